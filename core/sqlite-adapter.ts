// A keyv store adapter over better-sqlite3, for the modules' own key/value stores on the
// embedded database. It keeps @keyv/sqlite's table layout (key VARCHAR(255) PRIMARY KEY,
// value TEXT), so a file written by either can be read by the other. better-sqlite3 answers a point read in
// microseconds on the calling thread; @keyv/sqlite's driver hops to the thread pool for each
// statement, which made the store the bottleneck of every request (see docs/storage.md).
// Its writes are group-committed with the tables' (core/sqlite-writer.ts).
import { EventEmitter } from "node:events";
import type Database from "better-sqlite3";
import type { SqliteWriter } from "./sqlite-writer.js";

type Statement = Database.Statement<unknown[], { key?: string; value?: string }>;

export class SqliteAdapter extends EventEmitter {
  readonly opts: { dialect: "sqlite"; uri: string; table: string };
  namespace?: string;
  private readonly db: Database.Database;
  private readonly stmt: Record<"get" | "set" | "del" | "clear" | "casInsert" | "casUpdate" | "casDelete", Statement>;

  /** Over the host's database handle and its writer (core/db.ts); the table comes from core/schema.ts. */
  constructor(private readonly writer: SqliteWriter, table = "keyv") {
    super();
    this.db = writer.db;
    this.opts = { dialect: "sqlite", uri: `sqlite://${this.db.name}`, table };
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

  private value(key: string): string | undefined {
    return this.stmt.get.get(key)?.value ?? undefined;
  }

  async get(key: string): Promise<string | undefined> {
    return this.writer.read(() => this.value(key));
  }

  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    return this.writer.read(() => keys.map((k) => this.value(k)));
  }

  /** Writes are group-committed with every other write of the host (core/sqlite-writer.ts). */
  async set(key: string, value: string): Promise<void> {
    await this.writer.write(() => { this.stmt.set.run(key, value); });
  }

  async delete(key: string): Promise<boolean> {
    return this.writer.write(() => this.stmt.del.run(key).changes > 0);
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    return this.writer.write(() => keys.reduce((any, k) => this.stmt.del.run(k).changes > 0 || any, false));
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async clear(): Promise<void> {
    await this.writer.write(() => { this.stmt.clear.run(this.namespace ? `${this.namespace}:%` : "%"); });
  }

  /** The handle and its writer belong to core/db.ts. */
  async disconnect(): Promise<void> {}

  // ---- raw access for compare-and-set (core/store.ts) ----

  /** The stored text of a key, as written (serialized by keyv). */
  async rawGet(key: string): Promise<string | undefined> {
    return this.get(key);
  }

  /** Writes `next` only if the row still holds `expected` (undefined: only if absent). */
  compareAndSet(key: string, expected: string | undefined, next: string | undefined): Promise<boolean> {
    return this.writer.write(() => {
      if (next === undefined) return expected === undefined ? true : this.stmt.casDelete.run(key, expected).changes === 1;
      if (expected === undefined) return this.stmt.casInsert.run(key, next).changes === 1;
      return this.stmt.casUpdate.run(next, key, expected).changes === 1;
    });
  }
}
