// Invite store rates through the module API on SQLite: create, get (by token) and reserve,
// on an empty store and again with 1,000,000 invites stored, plus list at that size.
//
// The million invites are bulk-loaded by bench/bulk-load.ts, then checked by looking
// loaded invites up through the API.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { checkConfig } from "../core/config.js";
import { Host } from "../core/host.js";
import invites from "../modules/invites/index.js";
import { bulkLoad } from "./bulk-load.js";
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
    const sample = bulkLoad(join(dirs[1]!, "invites.sqlite"), HOST, BULK);
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
