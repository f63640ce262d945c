// A throwaway ejabberd for integration tests, started like the Prosody one: its own
// ejabberd.yml and ejabberdctl config (passed with --ctl-config, so Debian's
// /etc/ejabberd/ejabberdctl.cfg never applies), its own spool, free loopback ports, and
// Erlang distribution on a loopback port of its own (ERL_DIST_PORT: no epmd). It runs in the
// foreground as user ejabberd. The config is the one docs/server-setup.md shows.
import { spawn, spawnSync, execFile, type ChildProcess } from "node:child_process";
import { tied } from "./lifeline.js";
import { randomBytes } from "node:crypto";
import { mkdtemp, mkdir, writeFile, rm, chown, readdir, stat, copyFile } from "node:fs/promises";
import { existsSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "node:net";
import { promisify } from "node:util";
import { freePort } from "./ports.js";

const run = promisify(execFile);

export const EJABBERD_INSTALL = "apt-get install -y ejabberd";

export interface EjabberdOptions {
  /** Grant the component XEP-0356 roster and message privileges (default true). */
  privilege?: boolean;
  /** Hand the product the mod_http_api URL and credentials in its config (default true). */
  contactsApi?: boolean;
  /** Compile and load this repository's server module (ejabberd-module/mod_xmpp_invites.erl). */
  serverModule?: boolean;
}

/** The folder holding mod_xmpp_invites.erl and build.sh. */
export const SERVER_MODULE_DIR = fileURLToPath(new URL("../../ejabberd-module", import.meta.url));

export interface TestEjabberd {
  readonly domain: "localhost";
  readonly componentJid: "invites.localhost";
  readonly componentSecret: string;
  readonly adminJid: "admin@localhost";
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly httpPort: number;
  /** "127.0.0.1:<componentPort>". */
  readonly componentServer: string;
  readonly dir: string;
  readonly configPath: string;
  readonly logPath: string;
  /** The Erlang node name (ejabberdctl --node). */
  readonly node: string;
  /** mod_http_api on loopback, with the credentials the product's config gets. */
  readonly api: { url: string; user: string; password: string };
  /** The core config keys the product needs for this server. */
  readonly productConfig: Record<string, unknown>;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  registerUser(user: string, password: string): Promise<void>;
  /** Which of these accounts exist, asked of ejabberd itself (its registered_users command). */
  existing(jids: string[]): Promise<Set<string>>;
  /** Runs `ejabberdctl <args>` against this node. */
  ctl(args: string[]): Promise<string>;
  /** The process group of the running server (its first process's id), while it runs. */
  pid(): number | undefined;
  destroy(): Promise<void>;
}

const DOMAIN = "localhost";
const COMPONENT = "invites.localhost";
const API_USER = "invites-api";
const HARNESS_USER = "test-harness";

function findEjabberd(): void {
  if (!existsSync("/usr/sbin/ejabberdctl")) {
    throw new Error(`ejabberd is not installed (needed by the integration tests); install with: ${EJABBERD_INSTALL} (npm test runs scripts/test-setup.sh, which does it as root)`);
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: "127.0.0.1" });
    sock.once("connect", () => { sock.destroy(); resolve(true); });
    sock.once("error", () => { sock.destroy(); resolve(false); });
  });
}

const q = (s: string) => JSON.stringify(s); // a JSON string is a valid YAML scalar

/** The ejabberd.yml of one test run. The product's part is what docs/server-setup.md recommends. */
export function ejabberdConfig(p: { c2s: number; comp: number; http: number; secret: string; privilege: boolean; serverModule?: boolean }): string {
  return `# Generated for one test run (test/harness/ejabberd.ts).
hosts:
  - ${DOMAIN}
loglevel: info
certfiles: []
auth_method: internal
# Stored as SCRAM hashes: then not even get-user-password (offered up to 24.02) can reveal one.
auth_password_format: scram

listen:
  - port: ${p.c2s}
    ip: "127.0.0.1"
    module: ejabberd_c2s
    starttls_required: false
  - port: ${p.comp}
    ip: "127.0.0.1"
    module: ejabberd_service
    hosts:
      ${COMPONENT}:
        password: ${q(p.secret)}
  - port: ${p.http}
    ip: "127.0.0.1"
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api

acl:
  admin:
    user: admin@${DOMAIN}
  invites_component:
    server: ${COMPONENT}
  invites_api:
    user: ${API_USER}@${DOMAIN}
  test_harness:
    user: ${HARNESS_USER}@${DOMAIN}

access_rules:
  # Global (node) commands such as restart, shutdown and backup: the admin only.
  configure:
    allow: admin

host_config:
  ${DOMAIN}:
    # This list replaces the global access_rules for the host: repeat the host's other rules here.
    access_rules:
      # XEP-0133 on this host (add-user, change-user-password, ...): the component too.
      configure:
        - allow: admin
        - allow: invites_component

api_permissions:
  "console commands":
    from: [ejabberd_ctl]
    who: all
    what: "*"
  "invites contacts":
    from: [mod_http_api]
    who: invites_api
    what: [check_account, add_rosteritem, get_roster]
  # Only for the tests' own checks, never handed to the product.
  "test harness":
    from: [mod_http_api]
    who: test_harness
    what: [register, registered_users]

modules:
  mod_adhoc: {}
  mod_admin_extra: {}
  mod_configure: {}
  mod_disco: {}
  mod_roster: {}
  mod_version: {}
  mod_caps: {}
  mod_pubsub:
    plugins: [flat, pep]
${p.privilege ? `  mod_privilege:
    roster:
      both:
        allow: invites_component
    message:
      outgoing:
        allow: invites_component
` : ""}${p.serverModule ? `  mod_xmpp_invites: {}
` : ""}`;
}

/** ejabberdctl runs ejabberd as user ejabberd; as root we start it as that user ourselves. */
function ejabberdUser(): { uid: number; gid: number } | undefined {
  const me = userInfo();
  if (me.uid !== 0) {
    if (me.username === "ejabberd") return undefined;
    throw new Error("the ejabberd test server must be started as root or as user ejabberd (ejabberdctl refuses other users)");
  }
  const id = (flag: string) => Number(spawnSync("id", [flag, "ejabberd"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u"), gid = id("-g");
  if (!Number.isInteger(uid) || uid <= 0) throw new Error(`user ejabberd is missing; reinstall ejabberd: ${EJABBERD_INSTALL}`);
  return { uid, gid };
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  if (!(await stat(path)).isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
}

export async function startEjabberd(opts: EjabberdOptions = {}): Promise<TestEjabberd> {
  findEjabberd();
  const user = ejabberdUser();
  const dir = await mkdtemp(join(tmpdir(), "xmpp-invites-ejabberd-"));
  const [c2sPort, componentPort, httpPort, distPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
  const componentSecret = `secret-${randomBytes(9).toString("base64url")}`;
  const node = `ejtest${distPort}@localhost`;
  const configPath = join(dir, "ejabberd.yml");
  const ctlConfig = join(dir, "ejabberdctl.cfg");
  const logPath = join(dir, "logs", "ejabberd.log");
  const api = { url: `http://127.0.0.1:${httpPort}/api`, user: `${API_USER}@${DOMAIN}`, password: randomBytes(12).toString("base64url") };
  const harness = { user: `${HARNESS_USER}@${DOMAIN}`, password: randomBytes(12).toString("base64url") };
  await writeFile(configPath, ejabberdConfig({ c2s: c2sPort, comp: componentPort, http: httpPort, secret: componentSecret, privilege: opts.privilege ?? true, serverModule: opts.serverModule ?? false }));
  // The server module, compiled for this run and put on the VM's code path (-pa).
  const moduleDir = join(dir, "modules");
  if (opts.serverModule) {
    try {
      await run(join(SERVER_MODULE_DIR, "build.sh"), [moduleDir]);
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(`compiling mod_xmpp_invites failed: ${(err.stdout || "") + (err.stderr || "") || err.message}`, { cause: e });
    }
  }
  // Sourced by ejabberdctl instead of /etc/ejabberd/ejabberdctl.cfg. ERL_DIST_PORT makes the
  // node listen on that port and the ctl connect to it, so no epmd is started or asked.
  await writeFile(ctlConfig, [
    `EJABBERD_PID_PATH=${join(dir, "ejabberd.pid")}`,
    `EJABBERD_CONFIG_PATH=${configPath}`,
    "INET_DIST_INTERFACE=127.0.0.1",
    `ERL_DIST_PORT=${distPort}`,
    "ERL_EPMD_ADDRESS=127.0.0.1",
    "EJABBERD_BYPASS_WARNINGS=true",
    `ERL_OPTIONS="-setcookie ${randomBytes(12).toString("hex")}${opts.serverModule ? ` -pa ${moduleDir}` : ""}"`,
    "",
  ].join("\n"));
  // --config-dir points ejabberdctl's other lookups (inetrc, vm.args) here too.
  await copyFile("/etc/ejabberd/inetrc", join(dir, "inetrc")).catch(() => writeFile(join(dir, "inetrc"), '{lookup,["file","native"]}.\n'));
  await mkdir(join(dir, "logs"), { recursive: true });
  await mkdir(join(dir, "db"), { recursive: true });
  if (user) await chownTree(dir, user.uid, user.gid);
  const base = ["--config-dir", dir, "--ctl-config", ctlConfig, "--logs", join(dir, "logs"), "--spool", join(dir, "db"), "--node", node];
  const env = { ...process.env, HOME: dir };

  let child: ChildProcess | undefined;
  let output = "";
  let firstStart = true;

  async function ctl(args: string[]): Promise<string> {
    try {
      const r = await run("/usr/sbin/ejabberdctl", [...base, ...args], { env, cwd: dir, ...(user ?? {}) });
      return r.stdout;
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(`ejabberdctl ${args.join(" ")} failed: ${(err.stdout || "") + (err.stderr || "") || err.message}`, { cause: e });
    }
  }

  async function apiCall(command: string, body: Record<string, unknown>): Promise<unknown> {
    const res = await fetch(`${api.url}/${command}`, {
      method: "POST",
      headers: { authorization: `Basic ${Buffer.from(`${harness.user}:${harness.password}`).toString("base64")}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status !== 200) throw new Error(`ejabberd ${command}: HTTP ${res.status} ${text}`);
    return JSON.parse(text) as unknown;
  }

  async function start(): Promise<void> {
    if (child) throw new Error("ejabberd is already running");
    output = "";
    // Its own process group, so that stop() reaches the Erlang VM under ejabberdctl's shell.
    // Tied to this process (lifeline.ts): the whole group stops when the test runner dies.
    const [cmd, args] = tied("/usr/sbin/ejabberdctl", [...base, "foreground"], { group: true });
    const proc = spawn(cmd, args, { env, cwd: dir, detached: true, stdio: ["ignore", "pipe", "pipe"], ...(user ?? {}) });
    child = proc;
    const collect = (b: Buffer) => { output = (output + b.toString()).slice(-4000); };
    proc.stdout?.on("data", collect);
    proc.stderr?.on("data", collect);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        child = undefined;
        throw new Error(`ejabberd exited during start-up (code ${proc.exitCode}); output:\n${output}\nlog: ${logPath}`);
      }
      if ((await accepts(c2sPort)) && (await accepts(componentPort)) && (await accepts(httpPort))) break;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`ejabberd did not open its ports within 30 s; output:\n${output}\nlog: ${logPath}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    if (firstStart) {
      firstStart = false;
      // The listeners can open before mnesia has created the accounts table of a fresh spool
      // ("no_exists, passwd"): the first registration waits for it.
      for (let i = 0; ; i++) {
        try {
          await ctl(["register", HARNESS_USER, DOMAIN, harness.password]);
          break;
        } catch (e) {
          if (i >= 100 || !/no_exists/.test((e as Error).message)) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      await registerUser(API_USER, api.password);
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc) return;
    child = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    const group = (signal: NodeJS.Signals) => { try { process.kill(-proc.pid!, signal); } catch { /* gone */ } };
    group("SIGTERM"); // the VM stops cleanly on SIGTERM (init:stop)
    const killTimer = setTimeout(() => group("SIGKILL"), 10_000);
    await exited;
    clearTimeout(killTimer);
    // The shell may end before the VM it started: wait until no process of the group is left.
    const alive = () => { try { process.kill(-proc.pid!, 0); return true; } catch { return false; } };
    for (let i = 0; i < 150 && alive(); i++) {
      if (i === 100) group("SIGKILL");
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function registerUser(name: string, password: string): Promise<void> {
    await apiCall("register", { user: name, host: DOMAIN, password });
  }

  async function existing(jids: string[]): Promise<Set<string>> {
    // One registered_users per host: each API call costs ejabberd a SCRAM check of the
    // harness's password, so one call per JID would take minutes for a few thousand.
    const hosts = [...new Set(jids.map((j) => j.split("@")[1]!))];
    const all = new Set<string>();
    for (const host of hosts) {
      const users = await apiCall("registered_users", { host });
      if (!Array.isArray(users)) throw new Error(`ejabberd registered_users answered ${JSON.stringify(users)}`);
      for (const u of users) all.add(`${String(u).toLowerCase()}@${host}`);
    }
    return new Set(jids.filter((j) => all.has(j.toLowerCase())));
  }

  await start();
  return {
    domain: DOMAIN,
    componentJid: COMPONENT,
    componentSecret,
    adminJid: "admin@localhost",
    c2sPort, componentPort, httpPort,
    componentServer: `127.0.0.1:${componentPort}`,
    dir, configPath, logPath, node, api,
    productConfig: opts.contactsApi === false ? {} : { ejabberd_api: { ...api } },
    start, stop,
    async restart() { await stop(); await start(); },
    registerUser, existing, ctl,
    pid: () => child?.pid,
    async destroy() { await stop(); await rm(dir, { recursive: true, force: true }); },
  };
}
