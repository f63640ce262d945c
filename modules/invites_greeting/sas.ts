// The codes greeter and claimer read to each other, after Parsec's SAS exchange: each side
// has an ephemeral X25519 key; the greeter commits to a random nonce (SHA-256), the claimer
// then sends its own nonce, and only then does the greeter reveal its nonce. The codes are an
// HMAC, under a key derived (HKDF) from the X25519 shared secret, over the whole transcript,
// so neither side can choose them, and nobody without one of the private keys can compute them.
// Pure functions of their inputs: tests pin them (test/unit/greeting-sas.test.ts).
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, randomBytes, randomInt } from "node:crypto";

/** 32 symbols without look-alikes (no 0/O, 1/I): 5 bits each. */
export const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";
/** 4 symbols: 20 bits, as Parsec's codes. */
export const CODE_LENGTH = 4;
/** How many codes a side chooses from (the right one and three others). */
export const CHOICES = 4;

const LABEL = "xmpp-invites greeting v1";
const B64 = /^[A-Za-z0-9_-]{43}$/;

export interface KeyPair { publicKey: string; privateKey: string }

/** A fresh X25519 key pair, both halves as 32 bytes base64url. */
export function newKeyPair(): KeyPair {
  const { publicKey, privateKey } = generateKeyPairSync("x25519");
  return { publicKey: publicKey.export({ format: "jwk" }).x!, privateKey: privateKey.export({ format: "jwk" }).d! };
}

/** 32 random bytes, base64url. */
export function newNonce(): string {
  return randomBytes(32).toString("base64url");
}

/** Whether a value has the shape of a public key or a nonce (32 bytes, base64url). */
export function isKey(value: unknown): value is string {
  return typeof value === "string" && B64.test(value);
}

/** The greeter's commitment to its nonce, sent before it sees the claimer's. */
export function commitment(nonce: string): string {
  return createHash("sha256").update(`${LABEL} commit\0${nonce}`).digest("base64url");
}

/** Everything both sides saw, in order. A change to any part changes the codes. */
export interface Transcript {
  inviteId: string;
  attempt: string;
  greeterKey: string;
  claimerKey: string;
  commitment: string;
  claimerNonce: string;
  greeterNonce: string;
}

function encode(t: Transcript): Buffer {
  const parts = [LABEL, t.inviteId, t.attempt, t.greeterKey, t.claimerKey, t.commitment, t.claimerNonce, t.greeterNonce];
  // Length-prefixed, so no two transcripts encode the same.
  return Buffer.concat(parts.flatMap((p) => {
    const b = Buffer.from(p, "utf8");
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b.length);
    return [len, b];
  }));
}

/** The X25519 shared secret; refuses a peer key that yields all zeros (a low-order point). */
export function sharedSecret(privateKey: string, peerPublicKey: string): Buffer {
  if (!isKey(privateKey) || !isKey(peerPublicKey)) throw new Error("keys are 32 bytes, base64url");
  const priv = createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: privateKey, x: publicOf(privateKey) }, format: "jwk" });
  const pub = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: peerPublicKey }, format: "jwk" });
  let secret: Buffer;
  try {
    secret = diffieHellman({ privateKey: priv, publicKey: pub });
  } catch {
    // OpenSSL refuses some points itself (RFC 7748 §6.1: an all-zero result).
    throw new Error("the peer's public key is not usable");
  }
  if (secret.every((b) => b === 0)) throw new Error("the peer's public key is not usable");
  return secret;
}

/** Whether a public key can be used for the exchange (not a low-order point). */
export function usableKey(publicKey: unknown): publicKey is string {
  if (!isKey(publicKey)) return false;
  try { sharedSecret(newKeyPair().privateKey, publicKey); return true; } catch { return false; }
}

/** The public half of a private key (base64url). */
export function publicOf(privateKey: string): string {
  const priv = createPrivateKey({ key: { kty: "OKP", crv: "X25519", d: privateKey, x: "A".repeat(43) }, format: "jwk" });
  return createPublicKey(priv).export({ format: "jwk" }).x!;
}

function code(bits: number): string {
  let out = "";
  for (let i = CODE_LENGTH - 1; i >= 0; i--) out += CODE_ALPHABET[(bits >>> (5 * i)) & 31];
  return out;
}

/**
 * The two codes: the greeter reads `greeter` to the claimer, the claimer reads `claimer` to
 * the greeter. Both sides compute the same pair from their own private key and the other's
 * public key.
 */
export function deriveCodes(shared: Buffer, t: Transcript): { greeter: string; claimer: string } {
  const salt = createHash("sha256").update(`${LABEL}\0${t.inviteId}\0${t.attempt}\0${t.greeterKey}\0${t.claimerKey}`).digest();
  const key = Buffer.from(hkdfSync("sha256", shared, salt, `${LABEL} codes`, 32));
  const mac = createHmac("sha256", key).update(encode(t)).digest();
  // 20 bits each: the first 40 bits of the MAC.
  const greeter = (mac.readUInt32BE(0) >>> 12) & 0xfffff;
  const claimer = (mac.readUInt32BE(2) >>> 4) & 0xfffff;
  return { greeter: code(greeter), claimer: code(claimer) };
}

/** A random code (for the other choices). */
export function randomCode(): string {
  let out = "";
  for (let i = 0; i < CODE_LENGTH; i++) out += CODE_ALPHABET[randomInt(CODE_ALPHABET.length)];
  return out;
}

/** The right code among CHOICES - 1 random others, in random order. */
export function choicesFor(right: string): string[] {
  const all = new Set([right]);
  while (all.size < CHOICES) all.add(randomCode());
  const list = [...all];
  for (let i = list.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [list[i], list[j]] = [list[j]!, list[i]!];
  }
  return list;
}

/** What a person typed, as a code (case and spaces ignored), or undefined. */
export function normalizeCode(text: unknown): string | undefined {
  if (typeof text !== "string") return undefined;
  const c = text.replace(/[\s-]/g, "").toUpperCase();
  return c.length === CODE_LENGTH && [...c].every((ch) => CODE_ALPHABET.includes(ch)) ? c : undefined;
}
