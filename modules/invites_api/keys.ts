// API keys: "ID/SECRET", where ID is public and SECRET is 256 random bits shown once.
// The store keeps only SHA-256(SECRET). A slow KDF (bcrypt, scrypt) protects low-entropy
// passwords against guessing from a stolen hash; a 256-bit random secret cannot be guessed
// whatever the hash speed, so a fast hash loses nothing and keeps each request cheap.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Store } from "../../core/types.js";
import type { Scope } from "./scope.js";
import { randomText } from "../invites/index.js";

export const KEY_ID_BYTES = 9; // 12 base64url characters; not secret, names the key
export const SECRET_BYTES = 32; // 256 bits, 43 base64url characters
export const MAX_PRESENTED_LENGTH = 256;
export const METHODS = ["GET", "POST"] as const;
export type Method = (typeof METHODS)[number];

export interface ApiKey {
  id: string;
  /** The XMPP host the key makes invites for. */
  host: string;
  name: string | null;
  /** Hex SHA-256 of the secret: not usable as a key. */
  secretHash: string;
  createdAt: number;
  expiresAt: number | null;
  /** Methods allowed on the Prosody-compatible endpoint (Prosody's allowed_methods). */
  methods: Method[];
  scope: Scope;
}

export function hashSecret(secret: string): Buffer {
  return createHash("sha256").update(secret, "utf8").digest();
}

export function newKey(fields: Omit<ApiKey, "id" | "secretHash" | "createdAt">, now = Date.now()): { key: ApiKey; presented: string } {
  // Never starting with "-", which would read as a flag on the ctl command line (delete HOST KEY_ID).
  const id = randomText(KEY_ID_BYTES);
  const secret = randomBytes(SECRET_BYTES).toString("base64url");
  const key: ApiKey = { id, secretHash: hashSecret(secret).toString("hex"), createdAt: now, ...fields };
  return { key, presented: `${id}/${secret}` };
}

export type Parsed = { ok: true; id: string; secret: string } | { ok: false; reason: string };

/** Splits "ID/SECRET" and checks its shape before any store access. */
export function parsePresented(text: string): Parsed {
  if (text.length > MAX_PRESENTED_LENGTH) return { ok: false, reason: `The API key is too long (at most ${MAX_PRESENTED_LENGTH} characters)` };
  const m = /^([A-Za-z0-9_-]{1,64})\/([A-Za-z0-9_-]{1,190})$/.exec(text);
  if (!m) return { ok: false, reason: "The API key is malformed: expected ID/SECRET in base64url characters" };
  return { ok: true, id: m[1]!, secret: m[2]! };
}

const DUMMY = Buffer.alloc(32);

/** Constant-time comparison of hashes; the same work is done when there is no record. */
export function secretMatches(key: ApiKey | undefined, secret: string): boolean {
  const given = hashSecret(secret);
  const stored = key && /^[0-9a-f]{64}$/.test(key.secretHash) ? Buffer.from(key.secretHash, "hex") : DUMMY;
  return timingSafeEqual(given, stored) && key !== undefined;
}

/**
 * Keys, the per-host index the ctl lists from, and last-use times. Last use lives in its
 * own store so that the server never writes a key record: a key deleted by the ctl cannot
 * be brought back by a concurrent last-use write.
 */
export class KeyStore {
  private readonly lastWritten = new Map<string, number>();
  constructor(
    readonly keys: Store<ApiKey>,
    readonly index: Store<string[]>,
    readonly used: Store<number>,
    private readonly usedIntervalMs = 60_000,
  ) {}

  get(id: string): Promise<ApiKey | undefined> { return this.keys.get(id); }

  async add(key: ApiKey): Promise<void> {
    await this.keys.set(key.id, key);
    await this.index.update(key.host, (ids) => [...(ids ?? []).filter((x) => x !== key.id), key.id]);
  }

  async list(host: string): Promise<{ key: ApiKey; lastUsedAt: number | null }[]> {
    const ids = (await this.index.get(host)) ?? [];
    const [keys, used] = await Promise.all([this.keys.getMany(ids), this.used.getMany(ids)]);
    return keys.flatMap((key, i) => (key && key.host === host ? [{ key, lastUsedAt: used[i] ?? null }] : []));
  }

  async remove(host: string, id: string): Promise<boolean> {
    const key = await this.keys.get(id);
    if (!key || key.host !== host) return false;
    await this.keys.delete(id);
    await this.used.delete(id);
    await this.index.update(host, (ids) => {
      const rest = (ids ?? []).filter((x) => x !== id);
      return rest.length ? rest : undefined;
    });
    return true;
  }

  /** Records a use, writing at most once per interval per key to keep requests cheap. */
  async touch(id: string, now = Date.now()): Promise<void> {
    const last = this.lastWritten.get(id);
    if (last !== undefined && now - last < this.usedIntervalMs) return;
    this.lastWritten.set(id, now);
    if (this.lastWritten.size > 10_000) this.lastWritten.delete(this.lastWritten.keys().next().value!);
    await this.used.set(id, now);
  }
}
