// The reliability suite's harness: the real server process (`node bin/xmpp-invites.js`)
// with its own YAML config, SQLite file and log file, against a real XMPP server (Prosody or
// ejabberd, test/harness/servers.ts, which also says which accounts exist, asking the server
// itself); the real ctl process; and the registry of every secret the suite used, which
// 5-secrets greps the server logs for.
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { SERVER_NAMES, startProsodyServer, startServer as startXmppServer, type ServerKind, type TestXmppServer } from "../harness/servers.js";
import type { TestProsody } from "../harness/prosody.js";
import { freePort } from "../harness/ports.js";
import { testPostgres } from "../harness/postgres.js";
export { freePort };

/** The stores the load cases run on (XI_STORES=sqlite or postgres picks one). */
export const SUITE_STORES = (process.env["XI_STORES"] ?? "sqlite,postgres").split(",").filter((s): s is "sqlite" | "postgres" => s === "sqlite" || s === "postgres");

/**
 * Config for servers sharing one store: a fresh database on the test PostgreSQL, or one
 * SQLite file in a directory of its own that every server given these options opens.
 */
export async function sharedStore(kind: "sqlite" | "postgres"): Promise<Record<string, unknown>> {
  if (kind === "postgres") return { store: await (await testPostgres()).createDatabase("suite") };
  const dir = mkdtempSync(join(tmpdir(), "xi-shared-"));
  cleanups.push(dir);
  dbFiles.push(join(dir, "invites.sqlite"), join(dir, "invites.sqlite-wal"));
  return { data_dir: dir, store: "sqlite://invites.sqlite" };
}

const run = promisify(execFile);
const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");

/** Everything secret the suite handed to or got from a server: tokens, API keys, passwords. */
export const secretsUsed = new Set<string>();
/** Log files of every server started in this run. */
export const logFiles: string[] = [];
/** Raw SQLite files (database and WAL) of every server started in this run. */
export const dbFiles: string[] = [];
const cleanups: string[] = [];
// XI_KEEP=1 keeps the servers' directories (config, SQLite, log) for a look after a failure.
process.on("exit", () => { if (!process.env["XI_KEEP"]) for (const d of cleanups) rmSync(d, { recursive: true, force: true }); });

export function remember<T extends string | undefined>(secret: T): T {
  if (secret) secretsUsed.add(secret);
  return secret;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The suite's XMPP server of one kind. */
export function startSuiteServer(kind: ServerKind): Promise<TestXmppServer> {
  // Prosody gets the server module, so in-app onboarding runs in the suite too.
  return startXmppServer(kind, kind === "prosody" ? { prosody: { serverModule: true } } : {});
}

/** The cases that only need one server run on Prosody. */
export function startSuiteProsody(): Promise<TestProsody & TestXmppServer> {
  return startProsodyServer({ prosody: { serverModule: true } });
}

/** Which of these accounts exist, asked of the XMPP server itself (not of the product). */
export function existing(xmpp: TestXmppServer, jids: string[]): Promise<Set<string>> {
  return xmpp.existing(jids);
}

export interface Health { status: string; component: { state: string; link?: "held" | "standby" } }

export interface ServerProcess {
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  readonly baseUrl: string;
  readonly pid: number | undefined;
  /** Starts the process and waits until /health says the component is connected. */
  start(): Promise<void>;
  /** SIGKILL, no warning. */
  kill(): Promise<void>;
  /** SIGTERM and wait. */
  stop(): Promise<void>;
  alive(): boolean;
  /** Runs the real `node bin/invitectl.js --config FILE ...`. */
  ctl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  /** GET /health, or undefined when it does not answer. */
  health(): Promise<Health | undefined>;
  /** Makes an API key with every scope and returns ID/SECRET (remembered as a secret). */
  apiKey(name?: string): Promise<string>;
  output(): string;
}

/** What the product's config needs of the XMPP server (a TestProsody will do: it needs no extra keys). */
type ServerFor = Pick<TestXmppServer, "domain" | "componentJid" | "componentSecret" | "componentServer" | "adminJid"> & { productConfig?: Record<string, unknown> };

export async function startServer(xmpp: ServerFor, options: Record<string, unknown> = {}): Promise<ServerProcess> {
  const dir = mkdtempSync(join(tmpdir(), "xi-reliability-"));
  cleanups.push(dir);
  const port = await freePort();
  const configPath = join(dir, "config.yml");
  const logPath = join(dir, "server.log");
  logFiles.push(logPath);
  dbFiles.push(join(dir, "data", "invites.sqlite"), join(dir, "data", "invites.sqlite-wal"));
  const baseUrl = `http://127.0.0.1:${port}/`;
  writeFileSync(configPath, stringify({
    hosts: [xmpp.domain],
    component: { jid: xmpp.componentJid, secret: xmpp.componentSecret, server: xmpp.componentServer, timeout: 5 },
    http: { listen: `127.0.0.1:${port}`, base_url: baseUrl },
    data_dir: "data",
    store: "sqlite://invites.sqlite",
    admins: [xmpp.adminJid],
    modules_enabled: ["invites", "invites_api", "invites_page", "invites_register", "invites_adhoc", "invites_inapp"],
    log: { level: "debug", file: "server.log" },
    ...(xmpp.productConfig ?? {}),
    ...options,
  }), { mode: 0o600 });
  let child: ChildProcess | undefined;
  let out = "";

  async function healthy(): Promise<boolean> {
    try {
      const r = await fetch(new URL("health", baseUrl));
      return r.status === 200;
    } catch { return false; }
  }
  async function health(): Promise<Health | undefined> {
    try { return (await (await fetch(new URL("health", baseUrl))).json()) as Health; } catch { return undefined; }
  }

  const server: ServerProcess = {
    dir, configPath, logPath, baseUrl,
    get pid() { return child?.pid; },
    async start() {
      if (child) throw new Error("the server is already running");
      const proc = spawn(process.execPath, [join(root, "bin/xmpp-invites.js"), "--config", configPath], { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
      child = proc;
      const collect = (b: Buffer) => { out = (out + b.toString()).slice(-8000); };
      proc.stdout?.on("data", collect);
      proc.stderr?.on("data", collect);
      const deadline = Date.now() + 30_000;
      while (!(await healthy())) {
        if (proc.exitCode !== null || proc.signalCode !== null) { child = undefined; throw new Error(`the server exited during start-up:\n${out}`); }
        if (Date.now() > deadline) throw new Error(`the server was not healthy within 30 s:\n${out}`);
        await sleep(50);
      }
    },
    async kill() {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGKILL");
      await gone;
    },
    async stop() {
      const proc = child;
      child = undefined;
      if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
      const gone = new Promise((r) => proc.once("exit", r));
      proc.kill("SIGTERM");
      const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
      await gone;
      clearTimeout(timer);
    },
    alive: () => !!child && child.exitCode === null && child.signalCode === null,
    health,
    async ctl(args) {
      try {
        const r = await run(process.execPath, [join(root, "bin/invitectl.js"), "--config", configPath, ...args], { cwd: dir });
        return { code: 0, stdout: r.stdout, stderr: r.stderr };
      } catch (e) {
        const err = e as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof err.code === "number" ? err.code : -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
      }
    },
    async apiKey(name = "suite") {
      const r = await server.ctl(["mod_invites_api", "create", xmpp.domain, name, "--scope", "all", "--types", "all", "--max-uses", "unlimited", "--roles", "*", "--groups", "*", "--any-inviter", "--reset-admins"]);
      if (r.code !== 0) throw new Error(`invitectl mod_invites_api create failed: ${r.stderr}`);
      return remember(r.stdout.trim().split("\n").pop()!.trim());
    },
    output: () => out,
  };
  await server.start();
  return server;
}

/** What a load case (crash, outage) needs: one XMPP server, server processes without rate limits on one store, an API key. */
export interface LoadSuite { xmpp: TestXmppServer; server: ServerProcess; servers: ServerProcess[]; key: string }

/** One run of a load case: which XMPP server, which store. */
export interface SuiteRun { kind: ServerKind; store: "sqlite" | "postgres" }

/**
 * The runs of the load cases: both XMPP servers on SQLite, and Prosody on PostgreSQL. Every
 * server and every store is covered without the whole cross product, which would double the
 * suite's time for no new path (the store and the XMPP server meet only in the admin port).
 * XI_SERVERS and XI_STORES narrow it (e.g. XI_STORES=postgres).
 */
export const SUITE_RUNS: readonly SuiteRun[] = ([["prosody", "sqlite"], ["ejabberd", "sqlite"], ["prosody", "postgres"]] as const)
  .filter(([k, st]) => (process.env["XI_SERVERS"] ?? "prosody,ejabberd").split(",").includes(k) && SUITE_STORES.includes(st))
  .map(([kind, store]) => ({ kind, store }));

export const runName = (r: SuiteRun) => `${SERVER_NAMES[r.kind]}, ${r.store === "postgres" ? "PostgreSQL" : "SQLite"}`;

/**
 * Registers the before/after hooks that start and stop a LoadSuite; its fields are set once
 * `before` has run. `servers` processes share one store of the given kind.
 */
export function loadSuite(opts: SuiteRun & { servers?: number }): LoadSuite {
  const suite = {} as LoadSuite;
  before(async function () {
    this.timeout(120_000);
    suite.xmpp = await startSuiteServer(opts.kind);
    const store = await sharedStore(opts.store);
    suite.servers = [];
    for (let i = 0; i < (opts.servers ?? 1); i++) {
      suite.servers.push(await startServer(suite.xmpp, {
        register_rate_limit: 0, register_lookup_rate_limit: 0, inapp_rate_limit: 0,
        invites_api_rate_limit: "1000000/second", invites_api_rate_burst: 1_000_000,
        ...store,
      }));
    }
    suite.server = suite.servers[0]!;
    suite.key = await suite.server.apiKey();
  });
  after(async function () {
    this.timeout(60_000);
    for (const s of suite.servers ?? []) await s.stop();
    await suite.xmpp?.destroy();
  });
  return suite;
}

/** One figure line per case, printed as the case ends and kept for the summary. */
export const figures: string[] = [];
export function report(line: string): void {
  figures.push(line);
  process.stdout.write(`      ${line}\n`);
}

export { root };
