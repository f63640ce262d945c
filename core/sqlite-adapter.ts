// A keyv store adapter over better-sqlite3, for the modules' own key/value stores on the
// embedded database. It keeps @keyv/sqlite's table layout (key VARCHAR(255) PRIMARY KEY,
// value TEXT), so a file written by either can be read by the other. better-sqlite3 answers a point read in
// microseconds on the calling thread; @keyv/sqlite's driver hops to the thread pool for each
// statement, which made the store the bottleneck of every request (see docs/storage.md).
import { EventEmitter } from "node:events";
import Database from "better-sqlite3";

type Statement = Database.Statement<unknown[], { key?: string; value?: string }>;

export class SqliteAdapter extends EventEmitter {
  readonly opts: { dialect: "sqlite"; uri: string; table: string };
  namespace?: string;
  readonly db: Database.Database;
  private readonly stmt: Record<"get" | "set" | "del" | "clear" | "casInsert" | "casUpdate" | "casDelete", Statement>;

  /** Over the host's database handle (core/db.ts, which set WAL and the rest); the table comes from core/schema.ts. */
  constructor(db: Database.Database, table = "keyv") {
    super();
    this.opts = { dialect: "sqlite", uri: `sqlite://${db.name}`, table };
    this.db = db;
    const p = (sql: string) => this.db.prepare(sql) as Statement;
    this.stmt = {
      get: p(`SELECT value FROM ${table} WHERE key = ?`),
      set: p(`INSERT INTO ${table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value`),
      del: p(`DELETE FROM ${table} WHERE key = ?`),
      clear: p(`DELETE FROM ${table} WHERE key LIKE ?`),
      casInsert: p(`INSERT INTO ${table} (key, value) VALUES (?, ?) ON CONFLICT(key) DO NOTHING`),
      casUpdate: p(`UPDATE ${table} SET value = ? WHERE key = ? AND value = ?`),
      casDelete: p(`DELETE FROM ${table} WHERE key = ? AND value = ?`),
    };
  }

  async get(key: string): Promise<string | undefined> {
    return this.stmt.get.get(key)?.value;
  }

  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    return keys.map((k) => this.stmt.get.get(k)?.value);
  }

  async set(key: string, value: string): Promise<void> {
    await this.write(() => { this.stmt.set.run(key, value); return true; });
  }

  async delete(key: string): Promise<boolean> {
    return this.write(() => this.stmt.del.run(key).changes > 0);
  }

  /**
   * Group commit: writes issued in the same turn of the event loop are applied in order in
   * one transaction, and each caller's promise settles after that transaction commits. Under
   * load this turns one commit per write into one per batch; a caller still never hears
   * "done" before its write is on disk (in the WAL). A read issued after awaiting a write
   * therefore sees it.
   */
  private write(op: () => boolean): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.queue.push({ op, resolve, reject });
      if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  private queue: { op: () => boolean; resolve(v: boolean): void; reject(e: unknown): void }[] = [];

  private flush(): void {
    const batch = this.queue;
    this.queue = [];
    const results: boolean[] = [];
    try {
      this.db.transaction(() => { for (const w of batch) results.push(w.op()); })();
    } catch {
      // One bad write must not fail the others: apply them one by one instead.
      for (const w of batch) {
        try { w.resolve(this.db.transaction(w.op)()); } catch (err) { w.reject(err); }
      }
      return;
    }
    batch.forEach((w, i) => w.resolve(results[i]!));
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    return this.write(() => keys.reduce((any, k) => this.stmt.del.run(k).changes > 0 || any, false));
  }

  async has(key: string): Promise<boolean> {
    return this.stmt.get.get(key) !== undefined;
  }

  async clear(): Promise<void> {
    await this.write(() => { this.stmt.clear.run(this.namespace ? `${this.namespace}:%` : "%"); return true; });
  }

  /** Flushes queued writes; the handle itself belongs to core/db.ts. */
  async disconnect(): Promise<void> {
    if (this.queue.length && this.db.open) this.flush();
  }

  // ---- raw access for compare-and-set (core/store.ts) ----

  /** The stored text of a key, as written (serialized by keyv). */
  async rawGet(key: string): Promise<string | undefined> {
    return this.stmt.get.get(key)?.value ?? undefined;
  }

  /** Writes `next` only if the row still holds `expected` (undefined: only if absent). */
  compareAndSet(key: string, expected: string | undefined, next: string | undefined): Promise<boolean> {
    return this.write(() => {
      if (next === undefined) return expected === undefined ? true : this.stmt.casDelete.run(key, expected).changes === 1;
      if (expected === undefined) return this.stmt.casInsert.run(key, next).changes === 1;
      return this.stmt.casUpdate.run(next, key, expected).changes === 1;
    });
  }
}
