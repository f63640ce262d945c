// Bulk-loads account invites straight into the invites table, for the "with 1M stored"
// figures: rows exactly as modules/invites writes them (rows.ts toRow of buildInvite), 500
// per INSERT, 50,000 per transaction. Loading through the module API instead would cost one
// transaction per invite. The database must have its schema already (open a host on it once).
import Database from "better-sqlite3";
import pg from "pg";
import { buildInvite } from "../modules/invites/create.js";
import { toRow } from "../modules/invites/rows.js";
import type { InviteRow } from "../modules/invites/schema.js";

const settings = (host: string) => ({ hosts: [host], maxExpiryMs: 31_536_000_000, maxResetExpiryMs: 604_800_000, expiryMs: 7 * 86_400_000, resetExpiryMs: 86_400_000, maxUsernameLength: 64 });

function* batches(host: string, count: number, sample: string[]): Generator<InviteRow[]> {
  const now = Date.now();
  for (let from = 0; from < count; from += 500) {
    const rows: InviteRow[] = [];
    for (let i = from; i < Math.min(count, from + 500); i++) {
      const { invite, token } = buildInvite("account", { host, source: "bench" }, settings(host), now - (count - i));
      if (i % 500 === 0) sample.push(token);
      rows.push(toRow(invite));
    }
    yield rows;
  }
}

/** Writes `count` account invites for `host` into a SQLite file; returns the tokens of every 500th. */
export function bulkLoad(file: string, host: string, count: number): string[] {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  const sample: string[] = [];
  let insert: Database.Statement | undefined;
  let cols: string[] = [];
  const tx = db.transaction((rows: InviteRow[][]) => {
    for (const batch of rows) {
      if (!insert) {
        cols = Object.keys(batch[0]!);
        insert = db.prepare(`INSERT INTO invites (${cols.join(", ")}) VALUES (${cols.map((c) => `@${c}`).join(", ")})`);
      }
      for (const r of batch) insert.run(r);
    }
  });
  let pending: InviteRow[][] = [];
  for (const batch of batches(host, count, sample)) {
    pending.push(batch);
    if (pending.length === 100) { tx(pending); pending = []; }
  }
  if (pending.length) tx(pending);
  db.close();
  return sample;
}

/** The same into PostgreSQL (multi-row INSERTs of 500). */
export async function bulkLoadPostgres(uri: string, host: string, count: number): Promise<string[]> {
  const c = new pg.Client({ connectionString: uri });
  await c.connect();
  const sample: string[] = [];
  try {
    await c.query("SET synchronous_commit = off");
    let n = 0;
    await c.query("BEGIN");
    for (const batch of batches(host, count, sample)) {
      const cols = Object.keys(batch[0]!);
      const values: unknown[] = [];
      const tuples = batch.map((r, i) => `(${cols.map((col, j) => { values.push((r as unknown as Record<string, unknown>)[col]); return `$${i * cols.length + j + 1}`; }).join(", ")})`);
      await c.query(`INSERT INTO invites (${cols.join(", ")}) VALUES ${tuples.join(", ")}`, values);
      if (++n % 100 === 0) { await c.query("COMMIT"); await c.query("BEGIN"); }
    }
    await c.query("COMMIT");
    await c.query("ANALYZE invites");
  } finally { await c.end(); }
  return sample;
}
