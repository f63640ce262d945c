// API keys: "ID/SECRET", where ID is public and SECRET is 256 random bits shown once.
// The store keeps only SHA-256(SECRET). A slow KDF (bcrypt, scrypt) protects low-entropy
// passwords against guessing from a stolen hash; a 256-bit random secret cannot be guessed
// whatever the hash speed, so a fast hash loses nothing and keeps each request cheap.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Kysely } from "../../core/types.js";
import type { Scope } from "./scope.js";
import type { ApiKeyRow, ApiTables } from "./schema.js";
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

const toKey = (r: ApiKeyRow): ApiKey => ({
  id: r.id, host: r.host, name: r.name, secretHash: r.secret_hash, createdAt: r.created_at, expiresAt: r.expires_at,
  methods: JSON.parse(r.methods) as Method[], scope: JSON.parse(r.scope) as Scope,
});

/**
 * Keys in the api_keys table, read on every request (no cache: a key made or deleted by the
 * ctl takes effect at once). The last use is one UPDATE of that column, written at most
 * once a minute per key; an UPDATE of a deleted key changes nothing, so it cannot bring it back.
 */
export class KeyStore {
  private readonly lastWritten = new Map<string, number>();
  constructor(private readonly db: Kysely<ApiTables>, private readonly usedIntervalMs = 60_000) {}

  async get(id: string): Promise<ApiKey | undefined> {
    const row = await this.db.selectFrom("api_keys").selectAll().where("id", "=", id).executeTakeFirst();
    return row && toKey(row);
  }

  async add(key: ApiKey): Promise<void> {
    await this.db.insertInto("api_keys").values({
      id: key.id, host: key.host, name: key.name, secret_hash: key.secretHash, created_at: key.createdAt, expires_at: key.expiresAt,
      methods: JSON.stringify(key.methods), scope: JSON.stringify(key.scope), last_used_at: null, inviter: key.scope.inviter ?? null,
    }).execute();
  }

  async list(host: string): Promise<{ key: ApiKey; lastUsedAt: number | null }[]> {
    const rows = await this.db.selectFrom("api_keys").selectAll().where("host", "=", host).orderBy("created_at").orderBy("id").execute();
    return rows.map((r) => ({ key: toKey(r), lastUsedAt: r.last_used_at }));
  }

  async remove(host: string, id: string): Promise<boolean> {
    const r = await this.db.deleteFrom("api_keys").where("id", "=", id).where("host", "=", host).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** Deletes every key that acts for `inviter` (its --inviter); returns their ids. */
  async removeForInviter(inviter: string): Promise<string[]> {
    const rows = await this.db.deleteFrom("api_keys").where("inviter", "=", inviter.toLowerCase()).returning("id").execute();
    return rows.map((r) => r.id);
  }

  /** Records a use, writing at most once per interval per key to keep requests cheap. */
  async touch(id: string, now = Date.now()): Promise<void> {
    const last = this.lastWritten.get(id);
    if (last !== undefined && now - last < this.usedIntervalMs) return;
    this.lastWritten.set(id, now);
    if (this.lastWritten.size > 10_000) this.lastWritten.delete(this.lastWritten.keys().next().value!);
    await this.db.updateTable("api_keys").set({ last_used_at: now }).where("id", "=", id).execute();
  }
}
