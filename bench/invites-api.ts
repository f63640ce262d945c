// Invite creation over HTTP: GET /invites_api with a Bearer key at 16 connections (each
// 201 answered after the invite is in the database), side by side in one run with:
//   - a bare node:http handler answering a fixed 201 (checks that the load generator is not
//     the bottleneck: it must be well above everything else),
//   - a bare express route answering a fixed 201 (the ceiling; aim: at least 80%, p99 at
//     most 10 ms),
//   - the same with BENCH_INVITES (default 1,000,000) invites stored (aim: at least 90% of the
//     empty-store rate), the server's RSS then (aim: at most 150 MiB) and its start-up on
//     that store (aim: at most 1 s),
//   - PostgreSQL, one instance and two instances on one database,
//   - Prosody 0.12's own mod_invites_api on SQLite, when prosody is installed.
// Servers run as child processes so that the load generator does not share their event
// loop. Figures are printed, not asserted. BENCH_PROFILE=DIR writes a CPU profile of the
// empty-store SQLite run there (node --cpu-prof; bench/profile.ts summarizes it).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { aim, haveProsody, line, load, loadTogether, prosodyBenchConfig, startChild as startChildOf, stopChild, type Measured } from "./common.js";
import { bulkLoad } from "./bulk-load.js";

const BULK = Number(process.env["BENCH_INVITES"] ?? 1_000_000);
const HOST = "example.org";
const LIMITS = { invites_api_rate_limit: "1000000/second", invites_api_rate_burst: 1_000_000 };

const self = fileURLToPath(import.meta.url);

// ---- child side: one server per process ---------------------------------------------
async function serveFixed(kind: "bare" | "express"): Promise<void> {
  const ready = (port: number) => process.send!({ port });
  if (kind === "bare") {
    const server = createServer((_req, res) => { res.writeHead(201, { Location: "xmpp:example.org?register;preauth=x" }); res.end(); });
    server.listen(0, "127.0.0.1", () => ready((server.address() as { port: number }).port));
    return;
  }
  const { default: express } = await import("express");
  const app = express();
  app.get("/invites_api", (_req, res) => { res.setHeader("Location", "xmpp:example.org?register;preauth=x"); res.status(201).end(); });
  const server = app.listen(0, "127.0.0.1", () => ready((server.address() as { port: number }).port));
}

/**
 * xmpp-invites with invites + invites_api, started as cli/server.ts starts it (the config
 * checked, Host.create, start) with its logger at "warn", minus the XMPP link, which
 * creating invites does not use. Reports its port, a key, and how long the host took.
 */
async function serveHost(dataDir: string, store: string, makeKey: boolean): Promise<void> {
  const started = performance.now();
  const [{ checkConfig }, { Host }, { createLogger }, { runCtl }] = await Promise.all([
    import("../core/config.js"), import("../core/host.js"), import("../core/log.js"), import("../cli/ctl.js"),
  ]);
  const loaded = performance.now();
  const config = checkConfig({
    hosts: [HOST], component: { jid: `invites.${HOST}`, secret: "bench" }, http: { listen: "127.0.0.1:0" }, data_dir: dataDir,
    store: store === "sqlite" ? "sqlite://invites.sqlite" : store, modules_enabled: ["invites", "invites_api"], log: { level: "warn" }, ...LIMITS,
  }, join(dataDir, "config.yml"));
  const host = await Host.create({ config, mode: "test", logger: createLogger({ level: "warn" }) });
  const port = await host.start({ port: 0 });
  const hostMs = performance.now() - loaded;
  let key: string | undefined;
  if (makeKey) {
    let out = "", err = "";
    const code = await runCtl(host, ["mod_invites_api", "create", HOST, "bench", "--max-uses", "unlimited"], { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
    if (code !== 0) throw new Error(err);
    key = out.trim();
  }
  process.send!({ port, key, hostMs, importMs: loaded - started });
  process.on("message", (m: string) => { if (m === "rss") process.send!({ rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed }); });
  process.on("disconnect", () => { void host.stop().then(() => process.exit(0)); });
}

if (process.argv[2] === "--serve") {
  const [kind, dir, store, key] = process.argv.slice(3);
  if (kind === "bare" || kind === "express") await serveFixed(kind);
  else await serveHost(dir!, store!, key === "key");
}

// ---- parent side ----------------------------------------------------------------------
interface Served { port: number; key?: string; hostMs?: number; importMs?: number }

const startChild = (args: string[], execArgv?: string[]) => startChildOf<Served>(self, args, execArgv);
const mib = (bytes: number) => bytes / 2 ** 20;

async function rssOf(child: Awaited<ReturnType<typeof startChild>>): Promise<{ rss: number; heap: number }> {
  return new Promise((resolve) => { child.proc.once("message", (m) => resolve(m as { rss: number; heap: number })); child.proc.send("rss"); });
}

async function benchProsody(report: (line: string) => void): Promise<Measured | undefined> {
  if (!haveProsody()) { report("prosody: not installed, Prosody's mod_invites_api not measured"); return undefined; }
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

async function benchPostgres(report: (line: string) => void, ceiling: Measured): Promise<void> {
  let pg: Awaited<ReturnType<typeof import("../test/harness/postgres.js")["startPostgres"]>>;
  try {
    const { startPostgres } = await import("../test/harness/postgres.js");
    pg = await startPostgres();
  } catch (e) {
    report(`PostgreSQL: not measured (${(e as Error).message})`);
    return;
  }
  const dirs = [mkdtempSync(join(tmpdir(), "xi-bench-pg-")), mkdtempSync(join(tmpdir(), "xi-bench-pg-"))];
  try {
    const uri = await pg.createDatabase("bench");
    const one = await startChild(["host", dirs[0]!, uri, "key"]);
    const single = await load(`http://127.0.0.1:${one.port}/invites_api`, { Authorization: `Bearer ${one.key!}` });
    report(line("xmpp-invites /invites_api, PostgreSQL, one instance", single));
    report(`  = ${((single.rate / ceiling.rate) * 100).toFixed(0)}% of the express ceiling`);
    const two = await startChild(["host", dirs[1]!, uri, "nokey"]);
    const both = await loadTogether([one, two].map((c) => `http://127.0.0.1:${c.port}/invites_api`), { Authorization: `Bearer ${one.key!}` });
    report(line("xmpp-invites /invites_api, PostgreSQL, two instances on one database (8 connections each)", both));
    report(`  two instances / one: ${(both.rate / single.rate).toFixed(2)}x (2 cores in all, shared with the database and the load generator)`);
    await stopChild(two);
    await stopChild(one);
  } finally {
    await pg.stop();
    for (const d of [...dirs, pg.dir]) rmSync(d, { recursive: true, force: true });
  }
}

export async function benchInvitesApi(report: (line: string) => void): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), "xi-bench-api-"));
  const bigDir = mkdtempSync(join(tmpdir(), "xi-bench-api-"));
  try {
    const bareServer = await startChild(["bare"]);
    const bare = await load(`http://127.0.0.1:${bareServer.port}/invites_api`);
    await stopChild(bareServer);
    report(line("generator check: bare node:http handler, fixed 201", bare));
    const ceilingServer = await startChild(["express"]);
    const ceiling = await load(`http://127.0.0.1:${ceilingServer.port}/invites_api`);
    await stopChild(ceilingServer);
    report(line("ceiling: bare express route, fixed 201", ceiling));
    report(`  the generator reaches ${(bare.rate / ceiling.rate).toFixed(1)}x the ceiling: it is not what limits the figures below`);

    const profile = process.env["BENCH_PROFILE"];
    let host = await startChild(["host", dataDir, "sqlite", "key"], profile ? ["--cpu-prof", `--cpu-prof-dir=${profile}`] : undefined);
    const baseline = await rssOf(host);
    const empty = await load(`http://127.0.0.1:${host.port}/invites_api`, { Authorization: `Bearer ${host.key!}` });
    await stopChild(host);
    report(line("xmpp-invites /invites_api, Bearer, SQLite, empty store", empty));
    report(aim("rate vs the express ceiling", empty.rate / ceiling.rate, 0.8, "%", true));
    report(aim("p99", empty.p99, 10, "ms", false));

    const prosody = await benchProsody(report);
    if (prosody) report(`  xmpp-invites / Prosody: ${(empty.rate / prosody.rate).toFixed(1)}x the rate; p99 ${empty.p99.toFixed(2)} vs ${prosody.p99.toFixed(2)} ms`);

    // A host opens the file first so that the tables exist.
    await stopChild(await startChild(["host", bigDir, "sqlite", "nokey"]));
    const start = Date.now();
    bulkLoad(join(bigDir, "invites.sqlite"), HOST, BULK);
    report(`bulk load: ${BULK.toLocaleString("en")} invites in ${((Date.now() - start) / 1000).toFixed(1)} s`);
    const spawned = performance.now();
    host = await startChild(["host", bigDir, "sqlite", "key"]);
    const processMs = performance.now() - spawned;
    report(`start-up with ${BULK.toLocaleString("en")} stored: ${host.hostMs!.toFixed(0)} ms (open the store, check its schema, load the modules, listen); the process from spawn to listening ${processMs.toFixed(0)} ms, of which ${host.importMs!.toFixed(0)} ms compiling and loading the code under tsx`);
    report(aim("start-up", host.hostMs!, 1000, "ms", false));
    const full = await load(`http://127.0.0.1:${host.port}/invites_api`, { Authorization: `Bearer ${host.key!}` });
    const mem = await rssOf(host);
    await stopChild(host);
    report(line(`xmpp-invites /invites_api, Bearer, SQLite, ${BULK.toLocaleString("en")}+ stored`, full));
    report(aim("rate vs the empty store", full.rate / empty.rate, 0.9, "%", true));
    report(`  = ${((full.rate / ceiling.rate) * 100).toFixed(0)}% of the express ceiling`);
    report(`RSS of the server after that load, ${BULK.toLocaleString("en")}+ stored: ${mib(mem.rss).toFixed(0)} MiB (JS heap in use ${mib(mem.heap).toFixed(0)} MiB); the same server just started on an empty store: ${mib(baseline.rss).toFixed(0)} MiB (heap ${mib(baseline.heap).toFixed(0)} MiB), most of it the code compiled in memory by tsx`);
    report(aim("RSS", mib(mem.rss), 150, "MiB", false));

    await benchPostgres(report, ceiling);
  } finally {
    for (const dir of [dataDir, bigDir]) rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === self && process.argv[2] !== "--serve") await benchInvitesApi((l) => process.stdout.write(`${l}\n`));
