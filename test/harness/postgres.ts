// A throwaway PostgreSQL for tests: Debian's server binaries, a cluster made by initdb in a
// temp dir (as user postgres when running as root, which initdb refuses to be), listening
// on a free loopback port only. One cluster per test process, started on first use; each
// caller gets a fresh database in it. A missing PostgreSQL fails the test with the apt-get
// line, never skips it.
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, chownSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports.js";

export interface TestPostgres {
  readonly port: number;
  readonly dir: string;
  /** A new empty database; returns its URI. */
  createDatabase(prefix?: string): Promise<string>;
  /** Stops the server (SIGINT: fast shutdown). */
  stop(): Promise<void>;
  /** Starts it again on the same port and data. */
  start(): Promise<void>;
}

const INSTALL = "apt-get install postgresql";

/** The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres. */
export function findPostgresBin(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, "bin", "initdb"))).sort((a, b) => Number(b) - Number(a)) : [];
  if (versions.length === 0) throw new Error(`PostgreSQL is not installed (needed by the store tests on PostgreSQL); install with: ${INSTALL}`);
  return join(root, versions[0]!, "bin");
}

function postgresUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync("id", [flag, "postgres"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u"), gid = id("-g");
  if (!Number.isInteger(uid) || uid <= 0) throw new Error(`Running as root, the tests start PostgreSQL as user postgres, which does not exist; install with: ${INSTALL}`);
  return { uid, gid };
}

async function accepting(port: number): Promise<boolean> {
  const c = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres", connectionTimeoutMillis: 1000 });
  try { await c.connect(); await c.end(); return true; } catch { await c.end().catch(() => {}); return false; }
}

export async function startPostgres(): Promise<TestPostgres> {
  const bin = findPostgresBin();
  const user = postgresUser();
  const dir = mkdtempSync(join(tmpdir(), "xmpp-invites-postgres-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, "data");
  const init = spawnSync(join(bin, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"], { encoding: "utf8", ...(user ?? {}) });
  if (init.status !== 0) throw new Error(`initdb failed (${init.status}): ${init.stderr || init.stdout}`);
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = "";

  async function start(): Promise<void> {
    if (child) return;
    // Loopback only, socket in the temp dir; durability settings off: test data only.
    const proc = spawn(join(bin, "postgres"), ["-D", data, "-p", String(port), "-k", dir, "-c", "listen_addresses=127.0.0.1",
      "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300"], { stdio: ["ignore", "pipe", "pipe"], ...(user ?? {}) });
    child = proc;
    const collect = (b: Buffer) => { output = (output + b.toString()).slice(-4000); };
    proc.stdout?.on("data", collect);
    proc.stderr?.on("data", collect);
    const deadline = Date.now() + 20_000;
    while (!(await accepting(port))) {
      if (proc.exitCode !== null || proc.signalCode !== null) { child = undefined; throw new Error(`PostgreSQL exited during start-up:\n${output}`); }
      if (Date.now() > deadline) throw new Error(`PostgreSQL did not accept connections within 20 s:\n${output}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const gone = new Promise((r) => proc.once("exit", r));
    proc.kill("SIGINT");
    await gone;
  }

  await start();
  // An aborted test run must not leave the server behind: immediate shutdown at exit.
  process.once("exit", () => { child?.kill("SIGQUIT"); rmSync(dir, { recursive: true, force: true }); });
  let n = 0;
  return {
    port, dir, start, stop,
    async createDatabase(prefix = "xi") {
      const name = `${prefix}_${process.pid}_${++n}_${Math.random().toString(36).slice(2, 8)}`;
      const c = new pg.Client({ host: "127.0.0.1", port, user: "postgres", database: "postgres" });
      await c.connect();
      try { await c.query(`CREATE DATABASE ${name}`); } finally { await c.end(); }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
  };
}

let shared: Promise<TestPostgres> | undefined;
/** The test process's PostgreSQL, started on first use. */
export function testPostgres(): Promise<TestPostgres> {
  shared ??= startPostgres();
  return shared;
}
