// A throwaway Prosody for integration tests: its own config, data dir and free
// loopback ports, run in the foreground as a child process.
import { spawn, spawnSync, execFile, type ChildProcess } from "node:child_process";
import { mkdtemp, mkdir, writeFile, rm, chown, readdir, stat } from "node:fs/promises";
import { randomBytes } from "node:crypto";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { connect } from "node:net";
import { promisify } from "node:util";
import { freePort } from "./ports.js";
import { tied } from "./lifeline.js";

const run = promisify(execFile);

export interface ProsodyOptions {
  /** Grant the component XEP-0356 roster and message privileges (default true). */
  privilege?: boolean;
  /** With privilege: also the XEP-0356 "iq" privilege, namespace -> "get" | "set" | "both". */
  iqPrivilege?: Record<string, string>;
  /** Extra modules for the VirtualHost's modules_enabled. */
  modules?: string[];
  /** Extra Lua lines appended to the global section (before the VirtualHost). */
  extraConfig?: string;
  /** Extra Lua lines inside the VirtualHost section. */
  hostConfig?: string;
  /** Load this repository's server module (prosody-module/mod_xmpp_invites.lua) on the VirtualHost. */
  serverModule?: boolean;
}

/** The folder holding mod_xmpp_invites.lua, for plugin_paths. */
export const SERVER_MODULE_DIR = fileURLToPath(new URL("../../prosody-module", import.meta.url));

export interface TestProsody {
  readonly domain: "localhost";
  readonly componentJid: "invites.localhost";
  readonly componentSecret: string;
  readonly adminJid: "admin@localhost";
  readonly c2sPort: number;
  readonly componentPort: number;
  readonly httpPort: number;
  readonly dataDir: string;
  readonly configPath: string;
  readonly logPath: string;
  /** "127.0.0.1:<componentPort>", the form LinkOptions.server expects. */
  readonly componentServer: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  /** Freezes the process (SIGSTOP): its sockets stay open but nothing is answered, until thaw(). */
  freeze(): void;
  thaw(): void;
  registerUser(user: string, password: string): Promise<void>;
  /** The Prosody process's id while it runs. */
  pid(): number | undefined;
  /** The folder holding its config, data and log (removed by destroy()). */
  readonly dir: string;
  /** Runs `prosodyctl --config <this config> <args>` and returns its standard output. */
  ctl(args: string[]): Promise<string>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

const DOMAIN = "localhost";
const COMPONENT = "invites.localhost";

function findProsody(): void {
  const found = spawnSync("sh", ["-c", "command -v prosody && command -v prosodyctl"], { encoding: "utf8" });
  if (found.status !== 0) {
    throw new Error("Prosody is not installed (needed by the integration tests); install with: apt-get install prosody prosody-modules");
  }
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect({ port, host: "127.0.0.1" });
    sock.once("connect", () => { sock.destroy(); resolve(true); });
    sock.once("error", () => { sock.destroy(); resolve(false); });
  });
}

const lua = (s: string) => JSON.stringify(s); // JSON string syntax is valid Lua for these values

function configText(p: { dir: string; c2s: number; comp: number; http: number; secret: string; o: ProsodyOptions }): string {
  const privilege = p.o.privilege ?? true;
  const modules = ["roster", "saslauth", "disco", "register", "adhoc", "admin_adhoc", "ping", "version", ...(privilege ? ["privilege"] : []),
    ...(p.o.serverModule ? ["xmpp_invites"] : []), ...(p.o.modules ?? [])];
  return `-- Generated for one test run.
pidfile = ${lua(join(p.dir, "prosody.pid"))}
data_path = ${lua(join(p.dir, "data"))}
daemonize = false
log = { info = ${lua(join(p.dir, "prosody.log"))}; error = "*console" }
interfaces = { "127.0.0.1" }
c2s_ports = { ${p.c2s} }; s2s_ports = { }
component_ports = { ${p.comp} }; component_interfaces = { "127.0.0.1" }
http_ports = { ${p.http} }; http_interfaces = { "127.0.0.1" }; https_ports = { }
admins = { "admin@${DOMAIN}", "${COMPONENT}" }
plugin_paths = { "/usr/lib/prosody/modules"${p.o.serverModule ? `, ${lua(SERVER_MODULE_DIR)}` : ""} }
modules_enabled = { ${modules.map(lua).join("; ")} }
c2s_require_encryption = false
allow_unencrypted_plain_auth = true
authentication = "internal_hashed"
${p.o.extraConfig ?? ""}
VirtualHost "${DOMAIN}"
${privilege ? `  privileged_entities = { [${lua(COMPONENT)}] = { roster = "both"; message = "outgoing"${iqPerm(p.o.iqPrivilege)} } }` : ""}
${p.o.hostConfig ?? ""}
Component "${COMPONENT}"
  component_secret = ${lua(p.secret)}
${privilege ? `  modules_enabled = { "privilege" }` : ""}
`;
}

const iqPerm = (perms: Record<string, string> | undefined) =>
  perms ? `; iq = { ${Object.entries(perms).map(([ns, type]) => `[${lua(ns)}] = ${lua(type)}`).join("; ")} }` : "";

/** Prosody drops to user "prosody" in prosodyctl when run as root, so as root we run both as that user. */
function prosodyUser(): { uid: number; gid: number } | undefined {
  if (userInfo().uid !== 0) return undefined;
  const id = (flag: string) => Number(spawnSync("id", [flag, "prosody"], { encoding: "utf8" }).stdout.trim());
  const uid = id("-u"), gid = id("-g");
  return Number.isInteger(uid) && uid > 0 ? { uid, gid } : undefined;
}

async function chownTree(path: string, uid: number, gid: number): Promise<void> {
  await chown(path, uid, gid);
  if (!(await stat(path)).isDirectory()) return;
  for (const name of await readdir(path)) await chownTree(join(path, name), uid, gid);
}

export async function startProsody(opts: ProsodyOptions = {}): Promise<TestProsody> {
  findProsody();
  const dir = await mkdtemp(join(tmpdir(), "xmpp-invites-prosody-"));
  const [c2sPort, componentPort, httpPort] = [await freePort(), await freePort(), await freePort()];
  // The component secret gives server-admin rights (XEP-0133): from the CSPRNG, like any secret.
  const componentSecret = randomBytes(18).toString("base64url");
  const configPath = join(dir, "prosody.cfg.lua");
  const logPath = join(dir, "prosody.log");
  await writeFile(configPath, configText({ dir, c2s: c2sPort, comp: componentPort, http: httpPort, secret: componentSecret, o: opts }));
  await mkdir(join(dir, "data"), { recursive: true });
  const user = prosodyUser();
  if (user) await chownTree(dir, user.uid, user.gid);

  let child: ChildProcess | undefined;
  let output = "";

  async function start(): Promise<void> {
    if (child) throw new Error("Prosody is already running");
    output = "";
    // Tied to this process: it stops when the test runner (or the demo) dies, however.
    const [cmd, args] = tied("prosody", ["--config", configPath]);
    const proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], ...(user ?? {}) });
    child = proc;
    const collect = (b: Buffer) => { output = (output + b.toString()).slice(-4000); };
    proc.stdout?.on("data", collect);
    proc.stderr?.on("data", collect);
    const deadline = Date.now() + 15000;
    for (;;) {
      if (proc.exitCode !== null || proc.signalCode !== null) {
        child = undefined;
        throw new Error(`Prosody exited during start-up (code ${proc.exitCode}); output:\n${output}\nlog: ${logPath}`);
      }
      if ((await accepts(c2sPort)) && (await accepts(componentPort))) return;
      if (Date.now() > deadline) {
        await stop();
        throw new Error(`Prosody did not open its ports within 15 s; output:\n${output}\nlog: ${logPath}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function stop(): Promise<void> {
    const proc = child;
    if (!proc) return;
    child = undefined;
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    proc.kill("SIGTERM");
    const killTimer = setTimeout(() => proc.kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(killTimer);
  }

  async function ctl(args: string[]): Promise<string> {
    try {
      return (await run("prosodyctl", ["--config", configPath, ...args])).stdout;
    } catch (e) {
      const err = e as { stderr?: string; stdout?: string; message: string };
      throw new Error(`prosodyctl ${args[0] ?? ""} failed: ${err.stderr || err.stdout || err.message}`, { cause: e });
    }
  }

  async function registerUser(name: string, password: string): Promise<void> {
    await ctl(["register", name, DOMAIN, password]);
  }

  await start();
  return {
    domain: DOMAIN,
    componentJid: COMPONENT,
    componentSecret,
    adminJid: "admin@localhost",
    c2sPort,
    componentPort,
    httpPort,
    dataDir: join(dir, "data"),
    configPath,
    logPath,
    componentServer: `127.0.0.1:${componentPort}`,
    start,
    stop,
    async restart() { await stop(); await start(); },
    freeze() { child?.kill("SIGSTOP"); },
    thaw() { child?.kill("SIGCONT"); },
    registerUser,
    ctl,
    pid: () => child?.pid,
    dir,
    async destroy() { await stop(); await rm(dir, { recursive: true, force: true }); },
  };
}
