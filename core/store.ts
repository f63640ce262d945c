// Storage: the host's database (core/db.ts) with its schema brought up to date
// (core/migrate.ts), and over it the modules' small key/value stores (mod.openStore): keyv
// on the `keyv` table of the same database. keyv swallows adapter errors by default (emits
// them and answers undefined); here every failure becomes a core.store error, so a broken
// database is never read as "no such value".
import Keyv from "keyv";
import type { Store } from "./types.js";
import { SqliteAdapter } from "./sqlite-adapter.js";
import { PgKeyvAdapter } from "./keyv-pg.js";
import { openDatabase, safeUri, type Database } from "./db.js";
import { migrate, type MigrationReport, type MigrationSet } from "./migrate.js";
import { coreErrors, isModuleError } from "./errors.js";

export { safeUri };

export interface Storage {
  open<T>(namespace: string): Store<T>;
  close(): Promise<void>;
  /** Cheap round trip to the backend (for `invitectl check` and /health). */
  ping(): Promise<void>;
  readonly uri: string;
  readonly database: Database;
  /** What the migrations run at opening applied. */
  readonly migrations: MigrationReport;
}

/** Serializes async work per key within this process. */
class KeyLocks {
  private readonly tails = new Map<string, Promise<void>>();
  async run<R>(key: string, fn: () => Promise<R>): Promise<R> {
    const prev = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((r) => { release = r; });
    const tail = prev.then(() => mine);
    this.tails.set(key, tail);
    await prev;
    try {
      return await fn();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

interface CasAdapter {
  rawGet(key: string): Promise<string | undefined>;
  compareAndSet(key: string, expected: string | undefined, next: string | undefined): Promise<boolean>;
}

/**
 * Compare-and-set on the keyv table itself, so that an update is atomic across processes
 * (invitectl beside the server, several instances on one PostgreSQL): the write succeeds
 * only if the row still holds what was read; otherwise it is read again and `fn` re-run.
 */
function casUpdate(keyv: Keyv, adapter: CasAdapter) {
  const ser = async (value: unknown) => (await keyv.serialize!({ value, expires: undefined })) as string;
  const de = async (raw: string | undefined): Promise<unknown> => {
    if (raw === undefined) return undefined;
    const data = (await keyv.deserialize!(raw)) as { value?: unknown; expires?: number } | undefined;
    if (!data || (typeof data.expires === "number" && Date.now() > data.expires)) return undefined;
    return data.value;
  };
  return async <T>(rawKey: string, fn: (current: T | undefined) => T | undefined | Promise<T | undefined>): Promise<T | undefined> => {
    const key = `${keyv.namespace ?? "keyv"}:${rawKey}`;
    const deadline = Date.now() + 10_000;
    for (let attempt = 1; Date.now() < deadline; attempt++) {
      const raw = await adapter.rawGet(key);
      const next = await fn((await de(raw)) as T | undefined);
      if (next === undefined && raw === undefined) return undefined;
      if (await adapter.compareAndSet(key, raw, next === undefined ? undefined : await ser(next))) return next;
      // Lost to another process: back off a random, growing moment so that one of them wins.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(20, attempt)));
    }
    throw new Error(`update of ${rawKey}: too much contention`);
  };
}

function openKeyv(db: Database): { keyv: Keyv; cas: ReturnType<typeof casUpdate> } {
  const adapter = db.writer ? new SqliteAdapter(db.writer) : new PgKeyvAdapter(db.pool!);
  // Values are plain JSON (no Buffers or BigInts), so plain JSON (de)serialization: it writes
  // the same text as keyv's default serializer for such values, at a fraction of the cost.
  const keyv = new Keyv({ store: adapter, throwOnErrors: true, serialize: JSON.stringify, deserialize: (text: string) => JSON.parse(text) as never });
  return { keyv, cas: casUpdate(keyv, adapter) };
}

/** Opens the database and applies pending migrations (core's and those of `sets`). */
export async function openStorage(uri: string, dataDir: string, sets: readonly MigrationSet[] = []): Promise<Storage> {
  const database = await openDatabase(uri, dataDir);
  let migrations: MigrationReport;
  try {
    migrations = await migrate(database, sets);
  } catch (cause) {
    await database.close();
    if (isModuleError(cause) && cause.code === "core.store" && /^Migrating/.test(cause.message)) {
      // A file that is not a database at all says so when it is first read.
      const inner = cause.cause && isModuleError(cause.cause) ? cause.cause.cause : cause.cause;
      throw coreErrors.store(`Cannot open the store ${safeUri(uri)}: ${(inner as Error | undefined)?.message ?? cause.message}`, undefined, { cause });
    }
    throw cause;
  }
  const { keyv, cas } = openKeyv(database);
  keyv.on("error", () => { /* surfaced by throwOnErrors at the call site */ });
  const locks = new KeyLocks();
  const wrap = async <R>(op: string, fn: () => Promise<R>): Promise<R> => {
    try { return await fn(); } catch (cause) {
      if (isModuleError(cause)) throw cause;
      throw coreErrors.store(undefined, { op }, { cause });
    }
  };
  return {
    uri: safeUri(uri),
    database,
    migrations,
    ping: () => wrap("ping", () => database.ping()),
    close: async () => { await keyv.disconnect().catch(() => {}); await database.close(); },
    open<T>(namespace: string): Store<T> {
      const k = (key: string) => `${namespace}:${key}`;
      return {
        get: (key) => wrap("get", async () => (await keyv.get<T>(k(key))) ?? undefined),
        getMany: (keys) => wrap("getMany", async () => keys.length === 0 ? [] : ((await keyv.getMany<T>(keys.map(k))) as (T | undefined)[]).map((v) => v ?? undefined)),
        set: (key, value, ttl) => wrap("set", async () => { await keyv.set(k(key), value, ttl); }),
        delete: (key) => wrap("delete", async () => keyv.delete(k(key))),
        update: (key, fn) => locks.run(k(key), () => wrap("update", () => cas<T>(k(key), fn))),
      };
    },
  };
}
