// Invite tokens and ids. The token is the secret in the link; the store keeps only its
// SHA-256, so looking an invite up "by hash" is also the constant-time comparison: an
// attacker timing the lookup learns about the hash of their guess, never about a token.
import { createHash, randomFillSync } from "node:crypto";

// Random bytes are drawn from the CSPRNG 4 KiB at a time and each byte is handed out once:
// one call into the generator per ~150 invites instead of two per invite (as node's own
// crypto.randomUUID does).
const pool = Buffer.alloc(4096);
let used = pool.length;
function randomBytes(n: number): Buffer {
  if (used + n > pool.length) { randomFillSync(pool); used = 0; }
  // A copy: the pool is refilled later, and the caller keeps what it got.
  const out = Buffer.from(pool.subarray(used, used + n));
  used += n;
  return out;
}

/** 18 random bytes = 144 bits, 24 base64url characters (as Prosody's mod_invites). */
export const TOKEN_BYTES = 18;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString("base64url");
}

/** Public, non-secret id used by admin surfaces (72 bits, 12 characters). */
export function newId(): string {
  return randomBytes(9).toString("base64url");
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** Cheap shape check before touching the store. */
export function looksLikeToken(text: string): boolean {
  return /^[A-Za-z0-9_-]{16,128}$/.test(text);
}

export function looksLikeId(text: string): boolean {
  return /^[A-Za-z0-9_-]{12}$/.test(text);
}
