// What the store keeps for a claimer between two of its requests (the password until the
// greeter confirms, a browser claimer's key and nonce) is sealed with a key derived from the
// claimer's session secret, which only the claimer holds (a cookie, or the claim process's
// memory); the store keeps its SHA-256. The server can open it only while the claimer asks.
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes, timingSafeEqual } from "node:crypto";

/** A session secret: 32 random bytes, base64url. */
export function newSecret(): string {
  return randomBytes(32).toString("base64url");
}

export function hashSecret(secret: string): string {
  return createHash("sha256").update(secret, "utf8").digest("base64url");
}

/** Whether `secret` is the one whose hash is stored (constant time). */
export function secretMatches(secret: unknown, hash: string | undefined): boolean {
  if (typeof secret !== "string" || hash === undefined || !/^[A-Za-z0-9_-]{43}$/.test(secret)) return false;
  const a = Buffer.from(hashSecret(secret));
  const b = Buffer.from(hash);
  return a.length === b.length && timingSafeEqual(a, b);
}

const key = (secret: string, purpose: string) => Buffer.from(hkdfSync("sha256", Buffer.from(secret, "utf8"), Buffer.alloc(0), `xmpp-invites greeting ${purpose}`, 32));

export function seal(secret: string, purpose: string, value: unknown): string {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", key(secret, purpose), iv);
  const body = Buffer.concat([cipher.update(JSON.stringify(value), "utf8"), cipher.final()]);
  return Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
}

/** The sealed value, or undefined when the secret is not the one it was sealed with. */
export function unseal<T>(secret: string, purpose: string, sealed: string): T | undefined {
  try {
    const raw = Buffer.from(sealed, "base64url");
    const decipher = createDecipheriv("aes-256-gcm", key(secret, purpose), raw.subarray(0, 12));
    decipher.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString("utf8")) as T;
  } catch {
    return undefined;
  }
}
