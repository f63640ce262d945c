// A keyv store adapter over the host's PostgreSQL pool, for the modules' own key/value
// stores: the same `keyv(key, value)` table as @keyv/postgres, plus the compare-and-set
// that makes Store.update atomic across instances (core/store.ts).
import { EventEmitter } from "node:events";
import type pg from "pg";

export class PgKeyvAdapter extends EventEmitter {
  readonly opts: { dialect: "postgres"; table: string };
  namespace?: string;

  constructor(private readonly pool: pg.Pool, private readonly table = "keyv") {
    super();
    this.opts = { dialect: "postgres", table };
  }

  private async q(text: string, values: unknown[]): Promise<pg.QueryResult<{ key?: string; value?: string | null }>> {
    return this.pool.query(text, values);
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.q(`SELECT value FROM ${this.table} WHERE key = $1`, [key])).rows[0]?.value ?? undefined;
  }

  async getMany(keys: string[]): Promise<(string | undefined)[]> {
    const rows = (await this.q(`SELECT key, value FROM ${this.table} WHERE key = ANY($1)`, [keys])).rows;
    const byKey = new Map(rows.map((r) => [r.key!, r.value ?? undefined]));
    return keys.map((k) => byKey.get(k));
  }

  async set(key: string, value: string): Promise<void> {
    await this.q(`INSERT INTO ${this.table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, [key, value]);
  }

  async delete(key: string): Promise<boolean> {
    return ((await this.q(`DELETE FROM ${this.table} WHERE key = $1`, [key])).rowCount ?? 0) > 0;
  }

  async deleteMany(keys: string[]): Promise<boolean> {
    return ((await this.q(`DELETE FROM ${this.table} WHERE key = ANY($1)`, [keys])).rowCount ?? 0) > 0;
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  async clear(): Promise<void> {
    // LIKE with the namespace escaped: a namespace never holds % or _ by design, but be exact.
    const prefix = (this.namespace ? `${this.namespace}:` : "").replace(/[\\%_]/g, (c) => `\\${c}`);
    await this.q(`DELETE FROM ${this.table} WHERE key LIKE $1`, [`${prefix}%`]);
  }

  async disconnect(): Promise<void> { /* the pool belongs to core/db.ts */ }

  async rawGet(key: string): Promise<string | undefined> {
    return this.get(key);
  }

  /** Writes `next` only if the row still holds `expected` (undefined: only if absent). */
  async compareAndSet(key: string, expected: string | undefined, next: string | undefined): Promise<boolean> {
    if (next === undefined) {
      if (expected === undefined) return true;
      return ((await this.q(`DELETE FROM ${this.table} WHERE key = $1 AND value = $2`, [key, expected])).rowCount ?? 0) === 1;
    }
    if (expected === undefined) {
      return ((await this.q(`INSERT INTO ${this.table} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [key, next])).rowCount ?? 0) === 1;
    }
    return ((await this.q(`UPDATE ${this.table} SET value = $1 WHERE key = $2 AND value = $3`, [next, key, expected])).rowCount ?? 0) === 1;
  }
}
