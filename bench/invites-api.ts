// Invite creation over HTTP: /invites_api with a Bearer key at 16 connections (each 201
// answered after the invite is written to SQLite), against a bare express route returning
// a fixed 201 (the ceiling) and, when installed, Prosody's own mod_invites_api on SQLite.
// Run again with many invites already stored (BENCH_INVITES, default 1,000,000).
// Servers run as child processes so that autocannon (in this process) does not share
// their event loop. Figures are printed, not asserted.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { haveProsody, line, load, prosodyBenchConfig, ratio, startChild as startChildOf, stopChild, type Measured } from "./common.js";
import { bulkLoad } from "./bulk-load.js";

const BULK = Number(process.env.BENCH_INVITES ?? 1_000_000);
const HOST = "example.org";
const LIMITS = { invites_api_rate_limit: "1000000/second", invites_api_rate_burst: 1_000_000 };


const self = fileURLToPath(import.meta.url);

// ---- child side: one server per process ---------------------------------------------
/** The same bare route, on express's own app.listen() or on core's listen() (core/http.ts). */
async function serveExpress(viaCore: boolean): Promise<void> {
  const { default: express } = await import("express");
  const app = express();
  app.get("/invites_api", (_req, res) => { res.setHeader("Location", "xmpp:example.org?register;preauth=x"); res.status(201).end(); });
  if (viaCore) {
    const { listen } = await import("../core/http.js");
    const server = await listen(app, "127.0.0.1", 0);
    const addr = server.address();
    process.send!({ port: typeof addr === "object" && addr ? addr.port : 0 });
    return;
  }
  const server = app.listen(0, "127.0.0.1", () => {
    const addr = server.address();
    process.send!({ port: typeof addr === "object" && addr ? addr.port : 0 });
  });
}

async function serveHost(dataDir: string): Promise<void> {
  const { startTestHost } = await import("../test/helpers/host.js");
  const t = await startTestHost({ enabled: ["invites", "invites_api"], hosts: [HOST], store: "sqlite", http: true, dataDir, options: LIMITS, config: { log: { level: "warn" } } });
  const ctl = await t.runCtl(["mod_invites_api", "create", HOST, "bench", "--max-uses", "unlimited"]);
  if (ctl.code !== 0) throw new Error(ctl.stderr);
  process.send!({ port: Number(new URL(t.baseUrl).port), key: ctl.stdout.trim() });
  process.on("disconnect", () => { void t.stop().then(() => process.exit(0)); });
}

if (process.argv[2] === "--serve") {
  await (process.argv[3]!.startsWith("express") ? serveExpress(process.argv[3] === "express-core") : serveHost(process.argv[4]!));
}

// ---- parent side ----------------------------------------------------------------------
interface Served { port: number; key?: string }

const startChild = (args: string[]) => startChildOf<Served>(self, args);

async function benchProsody(report: (line: string) => void): Promise<Measured | undefined> {
  if (!haveProsody()) { report("prosody: not installed, skipped"); return undefined; }
  const { dir, cfg, http } = await prosodyBenchConfig("xi-bench-prosody-", ["http", "invites", "invites_api"],
    [`storage = "sql"`, `sql = { driver = "SQLite3", database = "{dir}/prosody.sqlite" }`]);
  const made = spawnSync("prosodyctl", ["--config", cfg, "mod_invites_api", "create", "localhost"], { encoding: "utf8" });
  const key = made.stdout.trim().split("\n").pop() ?? "";
  if (!/^\S+\/\S+$/.test(key)) throw new Error(`prosodyctl did not make a key: ${made.stdout}${made.stderr}`);
  const proc = spawn("prosody", ["--config", cfg], { stdio: "ignore" });
  try {
    const url = `http://127.0.0.1:${http}/invites_api?key=${key}`;
    for (let i = 0; i < 50; i++) {
      const ok = await fetch(url, { headers: { Host: "localhost" } }).then((r) => r.status === 201, () => false);
      if (ok) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    // A URL with a query: Prosody 0.12's module answers 500 to a Bearer request without one.
    const m = await load(url, { Host: "localhost" });
    report(line("Prosody 0.12 mod_invites_api (SQLite, ?key=)", m));
    return m;
  } finally {
    proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}


export async function benchInvitesApi(report: (line: string) => void): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "xi-bench-api-"));
  const bigDir = mkdtempSync(join(tmpdir(), "xi-bench-api-"));
  try {
    const ceilingServer = await startChild(["express"]);
    const ceiling = await load(`http://127.0.0.1:${ceilingServer.port}/invites_api`);
    await stopChild(ceilingServer);
    report(line("ceiling: bare express route, fixed 201", ceiling));
    const coreServer = await startChild(["express-core"]);
    const viaCore = await load(`http://127.0.0.1:${coreServer.port}/invites_api`);
    await stopChild(coreServer);
    report(line("  the same route served by core's listen() (request objects made in express's shape)", viaCore));

    let host = await startChild(["host", dataDir]);
    const empty = await load(`http://127.0.0.1:${host.port}/invites_api`, { Authorization: `Bearer ${host.key!}` });
    await stopChild(host);
    report(line("xmpp-invites /invites_api, Bearer, empty store", empty));
    report(`  = ${ratio(empty, ceiling)} of the express ceiling (aim: at least 80%, p99 at most 10 ms); ${ratio(empty, viaCore)} of the same route on core's listen()`);

    const prosody = await benchProsody(report);
    if (prosody) report(`  xmpp-invites / Prosody: ${(empty.rate / prosody.rate).toFixed(2)}x the rate; p99 ${empty.p99} vs ${prosody.p99} ms`);
    report("  (the invite store's own create rate, without HTTP, is printed by bench/invites.ts: npm run bench invites)");

    // A host opens the file first so that the table exists with keyv's schema.
    await stopChild(await startChild(["host", bigDir]));
    const start = Date.now();
    bulkLoad(join(bigDir, "invites.sqlite"), HOST, BULK);
    report(`bulk load: ${BULK.toLocaleString("en")} invites in ${((Date.now() - start) / 1000).toFixed(1)} s`);
    host = await startChild(["host", bigDir]);
    const full = await load(`http://127.0.0.1:${host.port}/invites_api`, { Authorization: `Bearer ${host.key!}` });
    await stopChild(host);
    report(line(`xmpp-invites /invites_api, Bearer, ${BULK.toLocaleString("en")}+ stored`, full));
    report(`  = ${ratio(full, ceiling)} of the express ceiling; ${ratio(full, empty)} of the empty-store rate`);
  } finally {
    for (const dir of [dataDir, bigDir]) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === self && process.argv[2] !== "--serve") await benchInvitesApi((l) => process.stdout.write(`${l}\n`));
