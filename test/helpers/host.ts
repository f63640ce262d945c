// Starts a host in-process for module tests: in-memory or SQLite store, optional HTTP
// listener on a free port, optional XMPP link to a test Prosody.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { checkConfig } from "../../core/config.js";
import { Host } from "../../core/host.js";
import { REDACT_PATHS } from "../../core/log.js";
import type { ModuleDefinition } from "../../core/types.js";
import { runCtl } from "../../cli/ctl.js";
import { testPostgres } from "../harness/postgres.js";

/** The stores the store suites run on: SQLite in memory, a SQLite file, and a fresh database on the test PostgreSQL. */
export const STORES = ["memory", "sqlite", "postgres"] as const;
export type StoreKind = (typeof STORES)[number];
export const storeName = (kind: string) => ({ memory: "SQLite in memory", sqlite: "SQLite file", postgres: "PostgreSQL" })[kind] ?? kind;

/** A store URI for one of STORES (a new database each time for PostgreSQL). */
export async function storeUri(kind: StoreKind | string): Promise<string> {
  if (kind === "memory") return "memory://";
  if (kind === "sqlite") return "sqlite://invites.sqlite";
  if (kind === "postgres") return (await testPostgres()).createDatabase();
  return kind;
}

export interface TestHostOptions {
  /** Module definitions (in addition to the built-in modules found by name). */
  modules?: ModuleDefinition[];
  /** Names for modules_enabled; default: the names of `modules`. */
  enabled?: string[];
  /** Top-level module options. */
  options?: Record<string, unknown>;
  hosts?: string[];
  admins?: string[];
  /** "memory://" (default), "sqlite" for a fresh SQLite file, "postgres" for a fresh PostgreSQL database, or a full store URI. */
  store?: string;
  /** Listen on a free loopback port. */
  http?: boolean;
  /** Connect to an XMPP server: { server: "127.0.0.1:port", jid, secret }. */
  xmpp?: { server: string; jid: string; secret: string };
  /** Extra core config (merged at the top level). */
  config?: Record<string, unknown>;
  dataDir?: string;
  /**
   * "server" wires what only a running server has (crash recovery on each connection, the
   * hourly sweep, releases left to recovery while the link is down); default "test".
   */
  mode?: "server" | "test";
}

/** The host's clock: real time plus whatever the test moved it by. */
export interface TestClock { now(): number; advance(ms: number): void }

export interface TestHost {
  host: Host;
  baseUrl: string;
  dataDir: string;
  /** Every log line written so far (JSON). */
  logs: string[];
  api<A>(name: string): A;
  clock: TestClock;
  runCtl(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }>;
  stop(): Promise<void>;
}

export async function startTestHost(opts: TestHostOptions = {}): Promise<TestHost> {
  const dataDir = opts.dataDir ?? mkdtempSync(join(tmpdir(), "xi-test-"));
  const ownDir = opts.dataDir === undefined;
  const store = await storeUri(opts.store ?? "memory");
  const raw = {
    hosts: opts.hosts ?? ["localhost"],
    component: { jid: opts.xmpp?.jid ?? "invites.localhost", secret: opts.xmpp?.secret ?? "test-secret", server: opts.xmpp?.server ?? "127.0.0.1:1" },
    http: { listen: "127.0.0.1:0" },
    data_dir: dataDir,
    store,
    admins: opts.admins ?? ["admin@localhost"],
    modules_enabled: opts.enabled ?? (opts.modules ?? []).map((m) => m.name),
    log: { level: "debug" },
    ...opts.config,
    ...opts.options,
  };
  const config = checkConfig(raw, join(dataDir, "config.yml"));
  const logs: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { logs.push(String(chunk)); cb(); } });
  const logger = pino({ level: "debug", redact: { paths: REDACT_PATHS, censor: "[redacted]" } }, sink);
  let offset = 0;
  const clock: TestClock = { now: () => Date.now() + offset, advance: (ms) => { offset += ms; } };
  const host = await Host.create({ config, mode: opts.mode ?? "test", definitions: opts.modules ?? [], logger, connect: opts.xmpp !== undefined, now: clock.now });
  if (opts.http || opts.xmpp) await host.start();
  return {
    host, dataDir, logs, clock,
    get baseUrl() { return host.config.http.baseUrl; },
    api: <A>(name: string) => host.api<A>(name),
    async runCtl(argv: string[]) {
      let stdout = "", stderr = "";
      const code = await runCtl(host, argv, { stdout: (t) => { stdout += t; }, stderr: (t) => { stderr += t; } });
      return { code, stdout, stderr };
    },
    async stop() {
      await host.stop();
      if (ownDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
