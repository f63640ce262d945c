// Invite tokens and ids. The token is the secret in the link; the store keeps only its
// SHA-256, so looking an invite up "by hash" is also the constant-time comparison: an
// attacker timing the lookup learns about the hash of their guess, never about a token.
import { createHash, createHmac, randomBytes } from "node:crypto";

/** 18 random bytes = 144 bits, 24 base64url characters (as Prosody's mod_invites). */
export const TOKEN_BYTES = 18;

/**
 * Random base64url text that starts with a letter or digit: a token or id starting with "-"
 * would read as a flag on the ctl command line (`invitectl invite revoke HOST TOKEN`). The
 * first character then carries log2(62) instead of 6 bits: a token keeps over 143 bits.
 */
export function randomText(bytes: number): string {
  for (;;) {
    const text = randomBytes(bytes).toString("base64url");
    if (/^[A-Za-z0-9]/.test(text)) return text;
  }
}

export function newToken(): string {
  return randomText(TOKEN_BYTES);
}

/** Public, non-secret id used by admin surfaces (about 72 bits, 12 characters). */
export function newId(): string {
  return randomText(9);
}

/**
 * The stored form of a short code: an HMAC keyed by the host's secret, which is not in the
 * store. A code has 30 to 40 bits, so a plain hash of it could be reversed by trying them all;
 * without the key, the database alone reveals no code.
 */
export function codeHasher(key: Buffer): (code: string) => string {
  return (code) => createHmac("sha256", key).update(code, "utf8").digest("hex");
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
