// The database: one connection (SQLite, embedded) or one pool (PostgreSQL) per host, behind
// a kysely query builder. Only core/ knows which; modules get a typed Kysely (mod.db()) and
// declare their tables as migrations (core/migrate.ts). Every driver failure becomes a
// core.store error (HTTP 503, XMPP internal-server-error), never a 500 or "not found".
import { mkdirSync } from "node:fs";
import { privateFile } from "./files.js";
import { dirname, isAbsolute, resolve } from "node:path";
import BetterSqlite3 from "better-sqlite3";
import pg from "pg";
import { Kysely, PostgresDialect, sql, type LogEvent, type DatabaseConnection, type Dialect, type Driver, type QueryResult, type CompiledQuery, type TransactionSettings } from "kysely";
import { coreErrors, isModuleError } from "./errors.js";
import { GroupCommitSqliteDialect } from "./sqlite-driver.js";
import { SqliteWriter } from "./sqlite-writer.js";

export type DialectName = "sqlite" | "postgres";

export interface Database {
  readonly dialect: DialectName;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the tables are typed by whoever queries them (modules pass their interfaces)
  readonly kysely: Kysely<any>;
  /** The store URI with credentials redacted. */
  readonly uri: string;
  /** The better-sqlite3 handle (SQLite only): PRAGMA data_version polling uses it. */
  readonly sqlite: BetterSqlite3.Database | undefined;
  /** SQLite only: every write to the handle goes through it (group commit, transactions). */
  readonly writer: SqliteWriter | undefined;
  /** The pool (PostgreSQL only): keyv, rate limits and the link's lock use it. */
  readonly pool: pg.Pool | undefined;
  /** For PostgreSQL: the connection settings, for a dedicated client (LISTEN, advisory lock). */
  readonly pgConfig: pg.ClientConfig | undefined;
  /** Calls `listener` after every SQL query, with its duration and error (metrics). */
  onQuery(listener: (event: LogEvent) => void): void;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** kysely's log hook, fanned out to whoever listens (set once, at construction). */
function queryListeners() {
  const listeners: ((event: LogEvent) => void)[] = [];
  return {
    log: (event: LogEvent) => { for (const l of listeners) l(event); },
    onQuery: (listener: (event: LogEvent) => void) => { listeners.push(listener); },
  };
}

/** Redacts credentials from a store URI for messages. */
export function safeUri(uri: string): string {
  return uri.replace(/\/\/([^@/]*)@/, "//[redacted]@");
}

/** A failure of the database, as modules and surfaces see it. */
export function storeError(cause: unknown, op = "query") {
  if (isModuleError(cause)) return cause;
  return coreErrors.store(undefined, { op }, { cause });
}

/** Wraps a dialect so that every driver error is a core.store error. */
function guarded(inner: Dialect): Dialect {
  const wrapConnection = (c: DatabaseConnection): DatabaseConnection => ({
    async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
      try { return await c.executeQuery<R>(q); } catch (e) { throw storeError(e); }
    },
    streamQuery: <R>(q: CompiledQuery, chunkSize: number) => c.streamQuery<R>(q, chunkSize),
  });
  return {
    createAdapter: () => inner.createAdapter(),
    createIntrospector: (db) => inner.createIntrospector(db),
    createQueryCompiler: () => inner.createQueryCompiler(),
    createDriver(): Driver {
      const d = inner.createDriver();
      const conns = new WeakMap<DatabaseConnection, DatabaseConnection>();
      const unwrap = new WeakMap<DatabaseConnection, DatabaseConnection>();
      const guard = async <T>(fn: () => Promise<T>): Promise<T> => { try { return await fn(); } catch (e) { throw storeError(e, "transaction"); } };
      return {
        init: () => guard(() => d.init()),
        async acquireConnection() {
          const raw = await guard(() => d.acquireConnection());
          let w = conns.get(raw);
          if (!w) { w = wrapConnection(raw); conns.set(raw, w); unwrap.set(w, raw); }
          return w;
        },
        beginTransaction: (c, s: TransactionSettings) => guard(() => d.beginTransaction(unwrap.get(c) ?? c, s)),
        commitTransaction: (c) => guard(() => d.commitTransaction(unwrap.get(c) ?? c)),
        rollbackTransaction: (c) => guard(() => d.rollbackTransaction(unwrap.get(c) ?? c)),
        releaseConnection: (c) => d.releaseConnection(unwrap.get(c) ?? c),
        destroy: () => d.destroy(),
      };
    },
  };
}

function openSqlite(path: string): Database {
  if (path !== ":memory:") {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    // The file holds hashes of secrets and the modules' own secrets: owner only, made so
    // before SQLite opens it (its -wal and -shm files then take the same permissions).
    privateFile(path);
  }
  const handle = new BetterSqlite3(path, { timeout: 10_000 });
  // WAL lets invitectl and other processes read while one writes; NORMAL is durable across
  // process crashes (only an OS crash may lose the last transactions).
  handle.pragma("journal_mode = WAL");
  handle.pragma("synchronous = NORMAL");
  handle.pragma("foreign_keys = ON");
  // A million invites make a file of a few hundred MiB. A bounded page cache (32 MiB) keeps
  // the hot pages (index roots and recent leaves) in memory; no memory-mapped I/O, whose
  // touched pages would count in the process's RSS up to the file's size (the kernel's
  // page cache holds the rest of the file either way).
  handle.pragma("cache_size = -32768");
  handle.pragma("mmap_size = 0");
  const writer = new SqliteWriter(handle);
  const q = queryListeners();
  const kysely = new Kysely({ dialect: guarded(new GroupCommitSqliteDialect(writer)), log: q.log });
  return {
    onQuery: q.onQuery,
    dialect: "sqlite", kysely, uri: path === ":memory:" ? "memory://" : `sqlite://${path}`, sqlite: handle, writer, pool: undefined, pgConfig: undefined,
    ping: async () => { await writer.read(() => handle.prepare("SELECT 1").get()); },
    close: async () => { await kysely.destroy().catch(() => {}); await writer.drain(); if (handle.open) handle.close(); },
  };
}

// BIGINT (epoch milliseconds, counts) as JS numbers: every value this project stores fits.
const types = {
  getTypeParser(oid: number, format?: "text" | "binary") {
    if (oid === 20 || oid === 1700) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format as "text");
  },
};

async function openPostgres(uri: string): Promise<Database> {
  const pgConfig: pg.ClientConfig = { connectionString: uri, types, application_name: "xmpp-invites" };
  const pool = new pg.Pool({ ...pgConfig, max: 10, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 10_000 });
  // An idle client's error (the server restarted) must not crash the process: the pool drops it.
  pool.on("error", () => {});
  const q = queryListeners();
  const kysely = new Kysely({ dialect: guarded(new PostgresDialect({ pool })), log: q.log });
  await sql`SELECT 1`.execute(kysely);
  return {
    onQuery: q.onQuery,
    dialect: "postgres", kysely, uri: safeUri(uri), sqlite: undefined, writer: undefined, pool, pgConfig,
    ping: async () => { await sql`SELECT 1`.execute(kysely); },
    close: async () => { await kysely.destroy().catch(() => {}); },
  };
}

/**
 * Opens the database named by the config's `store:` URI: sqlite://FILE (relative to
 * data_dir), memory:// (SQLite in memory: tests), postgres://USER:PASSWORD@HOST/DB.
 */
export async function openDatabase(uri: string, dataDir: string): Promise<Database> {
  const scheme = uri.includes("://") ? uri.slice(0, uri.indexOf("://")) : "";
  try {
    if (scheme === "memory") return openSqlite(":memory:");
    if (scheme === "sqlite") {
      const rest = uri.slice("sqlite://".length);
      return openSqlite(rest === ":memory:" ? rest : isAbsolute(rest) ? rest : resolve(dataDir, rest));
    }
    if (scheme === "postgres" || scheme === "postgresql") return await openPostgres(uri);
  } catch (cause) {
    const inner = isModuleError(cause) && cause.cause ? cause.cause : cause;
    throw coreErrors.store(`Cannot open the store ${safeUri(uri)}: ${(inner as Error).message}`, undefined, { cause });
  }
  throw coreErrors.config(`store ${safeUri(uri)}: use sqlite://FILE (the default), postgres://USER:PASSWORD@HOST/DATABASE or memory:// (tests)`);
}
