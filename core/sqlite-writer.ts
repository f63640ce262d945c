// Everything that writes to the embedded SQLite database goes through here: the tables'
// queries (core/sqlite-driver.ts) and the keyv rows (core/sqlite-adapter.ts) share one
// better-sqlite3 connection, so they must share its transactions too.
//
// Group commit: writes issued while another batch is being committed, or in the same turn
// of the event loop, are applied in order in one transaction, and each caller's promise
// settles only after that transaction has committed. A commit is the expensive part of a
// small write (about 0.1 ms in WAL mode, against a few microseconds for the statement), so
// under load N concurrent writes cost one commit instead of N, and nothing is acknowledged
// before it is in the write-ahead log. One failing write does not fail the others: the
// batch is then applied again one write per transaction.
//
// An explicit transaction (a reserve: UPDATE then INSERT) takes the connection for itself
// (lock()); batches and reads wait until it commits, so no one sees its uncommitted rows.
import type BetterSqlite3 from "better-sqlite3";

interface Job { op: () => unknown; resolve(v: unknown): void; reject(e: unknown): void }

export class SqliteWriter {
  private queue: Job[] = [];
  private scheduled = false;
  private tail: Promise<void> = Promise.resolve();
  private held = false;

  constructor(readonly db: BetterSqlite3.Database) {}

  /** Whether a transaction or a batch holds the connection right now. */
  get locked(): boolean { return this.held; }

  /** Runs `op` (synchronous statements) in the next group commit; settles once committed. */
  write<T>(op: () => T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ op, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => { void this.flush(); });
      }
    });
  }

  /** Runs a read now, or once the transaction holding the connection has ended. */
  async read<T>(op: () => T): Promise<T> {
    while (this.held) await this.tail;
    return op();
  }

  /** Exclusive use of the connection until the returned function is called. */
  async lock(): Promise<() => void> {
    const prev = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => { release = r; });
    await prev;
    this.held = true;
    return () => { this.held = false; release(); };
  }

  private async flush(): Promise<void> {
    const release = await this.lock();
    const batch = this.queue;
    this.queue = [];
    this.scheduled = false;
    try {
      if (!this.db.open) throw new Error("The database is closed");
      const results: unknown[] = [];
      try {
        this.db.transaction(() => { for (const j of batch) results.push(j.op()); }).immediate();
      } catch {
        // One bad write must not fail the others: apply them one by one instead.
        for (const j of batch) {
          try { j.resolve(this.db.transaction(j.op).immediate()); } catch (err) { j.reject(err); }
        }
        return;
      }
      batch.forEach((j, i) => j.resolve(results[i]));
    } catch (err) {
      for (const j of batch) j.reject(err);
    } finally {
      release();
      // Writes queued while this batch held the connection go in the next one.
      if (this.queue.length && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => { void this.flush(); });
      }
    }
  }

  /** Commits what is queued (before the connection closes). */
  async drain(): Promise<void> {
    while (this.queue.length || this.scheduled || this.held) {
      if (this.queue.length && !this.scheduled) { this.scheduled = true; setImmediate(() => { void this.flush(); }); }
      await new Promise((r) => setImmediate(r));
    }
  }
}
