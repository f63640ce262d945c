// Storage: one keyv instance per host, handed to modules as namespaced Stores.
// keyv swallows adapter errors by default (emits them and answers undefined); here every
// failure becomes a core.store error, so a broken database is never read as "no such invite".
import { mkdirSync } from "node:fs";
import { privateFile } from "./files.js";
import { dirname, isAbsolute, resolve } from "node:path";
import Keyv from "keyv";
import type { Store } from "./types.js";
import { SqliteAdapter } from "./sqlite-adapter.js";
import { coreErrors, isModuleError } from "./errors.js";

export interface Storage {
  open<T>(namespace: string): Store<T>;
  close(): Promise<void>;
  /** Cheap round trip to the backend (for `invitectl check` and /health). */
  ping(): Promise<void>;
  readonly uri: string;
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

/** Redacts credentials from a store URI for messages. */
export function safeUri(uri: string): string {
  return uri.replace(/\/\/([^@/]*)@/, "//[redacted]@");
}

/**
 * Compare-and-set on the SQLite table itself, so that an update is atomic across processes
 * too (invitectl beside the server): the write succeeds only if the row still holds what
 * was read; otherwise it is read again and the function re-run.
 */
function sqliteCas(keyv: Keyv, adapter: SqliteAdapter) {
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
      const raw = adapter.rawGet(key);
      const next = await fn((await de(raw)) as T | undefined);
      if (next === undefined && raw === undefined) return undefined;
      if (await adapter.compareAndSet(key, raw, next === undefined ? undefined : await ser(next))) return next;
      // Lost to another process: back off a random, growing moment so that one of them wins.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(20, attempt)));
    }
    throw new Error(`update of ${rawKey}: too much contention`);
  };
}

async function openKeyv(uri: string, dataDir: string): Promise<{ keyv: Keyv; ping: () => Promise<void>; cas?: ReturnType<typeof sqliteCas> }> {
  const scheme = uri.slice(0, uri.indexOf("://"));
  if (scheme === "memory") {
    const keyv = new Keyv({ store: new Map(), throwOnErrors: true });
    return { keyv, ping: async () => {} };
  }
  if (scheme === "sqlite") {
    const rest = uri.slice("sqlite://".length);
    const path = rest === ":memory:" ? rest : isAbsolute(rest) ? rest : resolve(dataDir, rest);
    if (path !== ":memory:") {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      // Made 0600 before SQLite opens it; its -wal and -shm files take the same permissions.
      privateFile(path);
    }
    const adapter = new SqliteAdapter(path);
    // Values are plain JSON (no Buffers or BigInts), so plain JSON (de)serialization: it writes
    // the same text as keyv's default serializer for such values, at a fraction of the cost.
    const keyv = new Keyv({ store: adapter, throwOnErrors: true, serialize: JSON.stringify, deserialize: (text: string) => JSON.parse(text) as never });
    return { keyv, ping: async () => { adapter.rawGet("__ping__"); }, cas: sqliteCas(keyv, adapter) };
  }
  // PostgreSQL and Redis adapters are optional dependencies, loaded only when configured.
  const pkg = scheme.startsWith("redis") ? "@keyv/redis" : "@keyv/postgres";
  let mod: { default: new (uri: string) => object };
  try {
    mod = (await import(pkg)) as typeof mod;
  } catch {
    throw coreErrors.config(`store ${safeUri(uri)} needs the package ${pkg}: npm install ${pkg}`);
  }
  const keyv = new Keyv({ store: new mod.default(uri), throwOnErrors: true });
  return { keyv, ping: async () => { await keyv.get("__ping__"); } };
}

export async function openStorage(uri: string, dataDir: string): Promise<Storage> {
  let opened: Awaited<ReturnType<typeof openKeyv>>;
  try {
    opened = await openKeyv(uri, dataDir);
  } catch (cause) {
    if (isModuleError(cause)) throw cause;
    throw coreErrors.store(`Cannot open the store ${safeUri(uri)}: ${(cause as Error).message}`, undefined, { cause });
  }
  const { keyv, ping, cas } = opened;
  keyv.on("error", () => { /* surfaced by throwOnErrors at the call site */ });
  const locks = new KeyLocks();
  const wrap = async <R>(op: string, fn: () => Promise<R>): Promise<R> => {
    try { return await fn(); } catch (cause) {
      throw coreErrors.store(undefined, { op }, { cause });
    }
  };
  return {
    uri: safeUri(uri),
    ping: () => wrap("ping", ping),
    close: async () => { await keyv.disconnect().catch(() => {}); },
    open<T>(namespace: string): Store<T> {
      const k = (key: string) => `${namespace}:${key}`;
      return {
        get: (key) => wrap("get", async () => (await keyv.get<T>(k(key))) ?? undefined),
        getMany: (keys) => wrap("getMany", async () => keys.length === 0 ? [] : ((await keyv.getMany<T>(keys.map(k))) as (T | undefined)[]).map((v) => v ?? undefined)),
        set: (key, value, ttl) => wrap("set", async () => { await keyv.set(k(key), value, ttl); }),
        delete: (key) => wrap("delete", async () => keyv.delete(k(key))),
        update: (key, fn) => locks.run(k(key), async () => {
          if (cas) return wrap("update", () => cas<T>(k(key), fn));
          const current = await wrap("get", async () => (await keyv.get<T>(k(key))) ?? undefined);
          const next = await fn(current);
          if (next === undefined) { if (current !== undefined) await wrap("delete", () => keyv.delete(k(key))); }
          else await wrap("set", async () => { await keyv.set(k(key), next); });
          return next;
        }),
      };
    },
  };
}
