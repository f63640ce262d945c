// Invite store rates through the module API on SQLite: create, get (by token) and reserve,
// on an empty store and again with 1,000,000 invites stored, plus list at that size.
//
// The million invites are bulk-loaded straight into the SQLite table the store uses (rows
// written exactly as keyv writes them: key "keyv:<namespace>:<key>", value {"value": ...}),
// 10,000 rows per statement through json_each, 50,000 per transaction, with the records,
// the token index and full index pages built the same way the module builds them. Loading
// through the module API instead would be bounded by one SQLite transaction per write. The
// load is checked by looking loaded invites up through the API.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import sqlite3 from "sqlite3";
import { checkConfig } from "../core/config.js";
import { Host } from "../core/host.js";
import invites from "../modules/invites/index.js";
import { buildInvite } from "../modules/invites/create.js";
import { PAGE_SIZE, indexName } from "../modules/invites/pages.js";
import type { InvitesApi } from "../modules/invites/types.js";

const HOST = "example.org";
const OPS = 2_000;
const CONCURRENCY = 16;
const BULK = Number(process.env.BENCH_INVITES ?? 1_000_000);

const rss = () => `${(process.memoryUsage().rss / 2 ** 20).toFixed(0)} MiB`;

async function startHost(dataDir: string): Promise<Host> {
  const config = checkConfig({
    hosts: [HOST], component: { jid: "invites.example.org", secret: "bench", server: "127.0.0.1:1" },
    http: { listen: "127.0.0.1:0" }, data_dir: dataDir, store: "sqlite://invites.sqlite",
    admins: [], modules_enabled: ["invites"], log: { level: "warn" },
  }, join(dataDir, "config.yml"));
  return Host.create({ config, mode: "test", definitions: [invites], logger: pino({ level: "warn" }), connect: false });
}

/** Runs `fn(i)` for i < n with `CONCURRENCY` in flight; returns operations per second. */
async function rate(n: number, fn: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(Array.from({ length: CONCURRENCY }, async () => {
    while (next < n) await fn(next++);
  }));
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function measure(api: InvitesApi, label: string, report: (line: string) => void): Promise<void> {
  const tokens: string[] = [];
  const create = await rate(OPS, async () => { tokens.push((await api.createAccount({ host: HOST, source: "bench" })).token); });
  const get = await rate(OPS, async (i) => { if (!(await api.get(tokens[i]!))) throw new Error("lost invite"); });
  const reserve = await rate(OPS, (i) => api.reserve(tokens[i]!, `user${i}`));
  report(`${label}: create ${create.toFixed(0)}/s, get ${get.toFixed(0)}/s, reserve ${reserve.toFixed(0)}/s (${OPS} each, ${CONCURRENCY} in flight); RSS ${rss()}`);
}

function run(db: sqlite3.Database, sql: string, ...params: unknown[]): Promise<void> {
  return new Promise((resolve, reject) => db.run(sql, params, (err) => (err ? reject(err) : resolve())));
}

/** Writes `count` account invites directly; returns a sample of their tokens. */
async function bulkLoad(file: string, count: number): Promise<string[]> {
  const db = new sqlite3.Database(file);
  await run(db, "PRAGMA journal_mode=WAL");
  await run(db, "PRAGMA synchronous=OFF");
  const insert = "INSERT INTO keyv(key, value) SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]') FROM json_each(?)";
  const settings = { hosts: [HOST], expiryMs: 7 * 86_400_000, resetExpiryMs: 86_400_000, maxUsernameLength: 64 };
  const row = (ns: string, key: string, value: unknown) => [`keyv:invites.${ns}:${key}`, JSON.stringify({ value })];
  const all = indexName("all"), byHost = indexName("host", HOST);
  const sample: string[] = [];
  let rows: string[][] = [];
  let page: string[] = [];
  let inTx = 0;
  await run(db, "BEGIN");
  const flush = async (force = false) => {
    if (rows.length < 10_000 && !force) return;
    await run(db, insert, JSON.stringify(rows));
    inTx += rows.length;
    rows = [];
    if (inTx >= 50_000 || force) { await run(db, "COMMIT"); await run(db, "BEGIN"); inTx = 0; }
  };
  const now = Date.now();
  for (let slot = 0; slot < count; slot++) {
    const { invite, token } = buildInvite("account", { host: HOST, source: "bench" }, settings, now);
    if (slot % 500 === 0) sample.push(token);
    rows.push(row("invite", invite.id, { ...invite, slots: { [all]: slot, [byHost]: slot } }));
    rows.push(row("invite_token", invite.tokenHash, invite.id));
    page.push(invite.id);
    if (page.length === PAGE_SIZE || slot === count - 1) {
      const n = Math.floor(slot / PAGE_SIZE);
      rows.push(row("invite_index", `${all}:${n}`, page), row("invite_index", `${byHost}:${n}`, page));
      page = [];
    }
    await flush();
  }
  for (const index of [all, byHost]) rows.push(row("invite_index_head", index, { next: count, tail: 0 }));
  await flush(true);
  await run(db, "COMMIT");
  await new Promise<void>((resolve, reject) => db.close((err) => (err ? reject(err) : resolve())));
  return sample;
}

export async function benchInvites(report: (line: string) => void): Promise<void> {
  const dirs = [mkdtempSync(join(tmpdir(), "xi-bench-")), mkdtempSync(join(tmpdir(), "xi-bench-"))];
  try {
    report(`start: RSS ${rss()}`);
    const empty = await startHost(dirs[0]!);
    await measure(empty.api<InvitesApi>("invites"), "empty store", report);
    await empty.stop();

    // A host opens the file first so that the table exists with keyv's schema.
    const big = await startHost(dirs[1]!);
    await big.stop();
    const start = Date.now();
    const sample = await bulkLoad(join(dirs[1]!, "invites.sqlite"), BULK);
    report(`bulk load: ${BULK.toLocaleString("en")} invites in ${((Date.now() - start) / 1000).toFixed(1)} s; RSS ${rss()}`);

    const host = await startHost(dirs[1]!);
    const api = host.api<InvitesApi>("invites");
    let found = 0;
    for (const token of sample) if (await api.get(token)) found++;
    if (found !== sample.length) throw new Error(`bulk load check: ${found} of ${sample.length} loaded invites found`);
    const getLoaded = await rate(sample.length, (i) => api.get(sample[i]!));
    report(`get of bulk-loaded invites: ${getLoaded.toFixed(0)}/s (${sample.length})`);
    await measure(api, `${BULK.toLocaleString("en")} stored`, report);

    let t = process.hrtime.bigint();
    const first = await api.list({ host: HOST, limit: 50 });
    const ms = (since: bigint) => (Number(process.hrtime.bigint() - since) / 1e6).toFixed(1);
    report(`list newest 50 of ${BULK.toLocaleString("en")}: ${ms(t)} ms, ${first.invites.length} returned`);
    t = process.hrtime.bigint();
    const revoked = await api.list({ host: HOST, status: "revoked", limit: 50 });
    report(`list status=revoked (none exist, bounded scan): ${ms(t)} ms, ${revoked.invites.length} returned, cursor ${revoked.cursor ?? "none"}`);
    report(`end: RSS ${rss()}`);
    await host.stop();
  } finally {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  }
}
