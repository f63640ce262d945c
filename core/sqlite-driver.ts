// kysely's SQLite dialect with its driver replaced: statements go through SqliteWriter, so
// single writes are group-committed, explicit transactions take the connection for
// themselves (BEGIN IMMEDIATE: a writer never has to upgrade its lock, which another process
// could refuse), and reads run at once unless a transaction holds the connection. Prepared
// statements are kept per SQL text.
import type BetterSqlite3 from "better-sqlite3";
import { SqliteAdapter, SqliteDialect, type CompiledQuery, type DatabaseConnection, type Driver, type QueryResult, type DialectAdapter } from "kysely";
import { SqliteWriter } from "./sqlite-writer.js";

type Statement = BetterSqlite3.Statement<unknown[], unknown>;

function run<R>(stmt: Statement, parameters: readonly unknown[]): QueryResult<R> {
  if (stmt.reader) return { rows: stmt.all(...parameters) as R[] };
  const { changes, lastInsertRowid } = stmt.run(...parameters);
  return { rows: [], numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid) };
}

const WRITE = /^\s*(insert|update|delete|replace)\b/i;

class Connection implements DatabaseConnection {
  release: (() => void) | undefined;
  constructor(private readonly d: GroupCommitDriver) {}

  async executeQuery<R>(q: CompiledQuery): Promise<QueryResult<R>> {
    const stmt = this.d.prepare(q.sql);
    const params = q.parameters;
    if (this.release) return run<R>(stmt, params);
    if (WRITE.test(q.sql)) return this.d.writer.write(() => run<R>(stmt, params));
    return this.d.writer.read(() => run<R>(stmt, params));
  }

  // eslint-disable-next-line require-yield -- the interface wants a generator; nothing here streams
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("streaming is not used with SQLite");
  }
}

class GroupCommitDriver implements Driver {
  private readonly cache = new Map<string, Statement>();
  constructor(readonly writer: SqliteWriter) {}

  prepare(text: string): Statement {
    let stmt = this.cache.get(text);
    if (!stmt) {
      stmt = this.writer.db.prepare(text);
      if (this.cache.size >= 500) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(text, stmt);
    }
    return stmt;
  }

  async init(): Promise<void> {}
  async acquireConnection(): Promise<DatabaseConnection> { return new Connection(this); }
  async releaseConnection(): Promise<void> {}

  async beginTransaction(c: DatabaseConnection): Promise<void> {
    const conn = c as Connection;
    const release = await this.writer.lock();
    try { this.writer.db.exec("BEGIN IMMEDIATE"); } catch (e) { release(); throw e; }
    conn.release = release;
  }

  private end(c: DatabaseConnection, sqlText: string): void {
    const conn = c as Connection;
    const release = conn.release;
    conn.release = undefined;
    try {
      this.writer.db.exec(sqlText);
    } catch (e) {
      if (this.writer.db.inTransaction) this.writer.db.exec("ROLLBACK");
      throw e;
    } finally {
      release?.();
    }
  }

  async commitTransaction(c: DatabaseConnection): Promise<void> { this.end(c, "COMMIT"); }
  async rollbackTransaction(c: DatabaseConnection): Promise<void> { this.end(c, "ROLLBACK"); }

  async destroy(): Promise<void> {
    await this.writer.drain();
  }
}

/** kysely on SQLite, several "connections" over one handle (the driver above decides who runs when). */
class Adapter extends SqliteAdapter {
  override get supportsMultipleConnections(): boolean { return true; }
}

export class GroupCommitSqliteDialect extends SqliteDialect {
  constructor(private readonly writer: SqliteWriter) {
    super({ database: writer.db as never });
  }
  override createDriver(): Driver { return new GroupCommitDriver(this.writer); }
  override createAdapter(): DialectAdapter { return new Adapter(); }
}

