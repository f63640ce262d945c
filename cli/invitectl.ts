// `invitectl [--config FILE] <group> <command> ...`: loads the modules without connecting
// to the XMPP server and runs the command they declared.
import { connect as tcpConnect } from "node:net";
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { checkConfig, loadConfigFile, ConfigError } from "../core/config.js";
import { Host } from "../core/host.js";
import { LoadError, resolveModules } from "../core/loader.js";
import { createLogger } from "../core/log.js";
import { capabilityLines } from "../core/capability-report.js";
import type { ServerCapabilities } from "../core/admin.js";
import { configPathFrom } from "./config-path.js";
import { runCtl, EXIT_FAILED, EXIT_OK, type CtlIo, type ExtraCommand } from "./ctl.js";

function probeTcp(hostPort: string, timeoutMs: number): Promise<string | undefined> {
  const sep = hostPort.lastIndexOf(":");
  return new Promise((resolve) => {
    const sock = tcpConnect({ host: hostPort.slice(0, sep), port: Number(hostPort.slice(sep + 1)) });
    const done = (why: string | undefined) => { sock.destroy(); resolve(why); };
    sock.setTimeout(timeoutMs, () => done("timed out"));
    sock.once("connect", () => done(undefined));
    sock.once("error", (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

/** The running server's /health, when one answers on http.listen (loopback, short timeout). */
async function runningServer(host: Host): Promise<{ url: string; body: HealthBody } | undefined> {
  const { host: h, port } = host.config.http;
  const addr = h === "0.0.0.0" || h === "::" || h === "" ? "127.0.0.1" : h.includes(":") ? `[${h}]` : h;
  const url = `http://${addr}:${port}/health`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    const body = (await res.json()) as HealthBody;
    return body?.component?.jid === host.config.component.jid ? { url, body } : undefined;
  } catch {
    return undefined;
  }
}

interface HealthBody { component?: { jid?: string; state?: string; lastError?: string }; server?: ServerCapabilities }

/**
 * `invitectl check`: config valid (it loaded), store reachable, component accepted, and what
 * the XMPP server can do for it. When the server process is running, its own link is asked
 * (through /health): a second component session would take stanzas from it (ejabberd
 * accepts several and spreads stanzas over them).
 */
function checkCommand(host: Host): ExtraCommand {
  return (y, io, setResult) => y.command("check", "Check the config, the store, the component link and what the XMPP server offers the component", () => {}, async () => {
    const lines: string[] = [`config: ok (${host.config.file})`];
    let failed = false;
    try { await host.storage.ping(); lines.push(`store: ok (${host.storage.uri})`); } catch (e) {
      failed = true; lines.push(`store: FAILED (${host.storage.uri}): ${(e as Error).message}`);
    }
    const server = host.config.component.server;
    const jid = host.config.component.jid;
    let caps: ServerCapabilities | undefined;
    const running = await runningServer(host);
    if (running) {
      const c = running.body.component ?? {};
      if (c.state === "connected") {
        lines.push(`component: ok (the running server, ${running.url}, is connected to ${server} as ${jid})`);
        caps = running.body.server;
      } else {
        failed = true;
        lines.push(`component: FAILED: the running server (${running.url}) is not connected to ${server}${c.lastError ? `: ${c.lastError}` : ""}; check component.server, component.jid and component.secret`);
      }
    } else {
      const why = await probeTcp(server, 3000);
      if (why) { failed = true; lines.push(`component: FAILED: cannot reach ${server} (${why})`); }
      else {
        const { ComponentLink } = await import("../core/xmpp/link.js");
        const link = new ComponentLink({
          jid, secret: host.config.component.secret, server, hosts: host.config.hosts,
          log: host.log, isAdmin: () => false, commands: new Map(), iqHandlers: new Map(), timeoutMs: host.config.component.timeoutMs,
          ...(host.config.ejabberdApi ? { ejabberdApi: host.config.ejabberdApi } : {}),
        });
        // "online" comes once the capabilities are known.
        const online = new Promise<boolean>((resolve) => {
          link.once("online", () => resolve(true));
          setTimeout(() => resolve(false), 5000 + host.config.component.timeoutMs).unref();
        });
        await link.start();
        const ok = await online;
        if (ok) caps = link.admin.capabilities;
        await link.stop();
        if (ok) lines.push(`component: ok (${jid} accepted by ${server})`);
        // Prosody checks the secret before refusing a second session with "conflict" (its
        // default component_conflict_resolve = "kick_new").
        else if (/conflict/.test(link.lastError ?? "")) lines.push(`component: ok (${jid} accepted by ${server}; already connected elsewhere, e.g. the running server, whose /health did not answer on ${host.config.http.host}:${host.config.http.port})`);
        else { failed = true; lines.push(`component: FAILED: ${server} did not accept ${jid} (${link.lastError ?? "no answer"}); check component.jid and component.secret`); }
      }
    }
    if (caps) {
      lines.push(...capabilityLines(caps));
      // Without account creation nothing works; the rest is reported, and the product adapts.
      if (Object.values(caps.hosts).some((h) => !h.accounts.ok)) failed = true;
    }
    io.stdout(lines.join("\n") + "\n");
    setResult(failed ? EXIT_FAILED : EXIT_OK);
  });
}

/** `invitectl migrate`: the host applied pending migrations when it opened the store; say which. */
function migrateCommand(host: Host): ExtraCommand {
  return (y, io) => y.command("migrate", "Bring the store's schema up to date (the server also does at start-up)", () => {}, () => {
    const { applied, total } = host.storage.migrations;
    io.stdout(applied.length
      ? `store ${host.storage.database.uri}: applied ${applied.length} migration(s): ${applied.join(", ")}\n`
      : `store ${host.storage.database.uri}: schema up to date (${total} migrations)\n`);
  });
}

/**
 * Without a readable config, a command its module declares `standalone` (it only talks to a
 * running server over HTTP, as `invite claim URL`) still runs: the built-in modules are loaded
 * with a throwaway in-memory config that serves nothing. Undefined: not such a command.
 */
async function standalone(argv: string[], io: CtlIo): Promise<number | undefined> {
  const words = argv.filter((a) => !a.startsWith("-"));
  const modulesDir = resolve(import.meta.dirname, "../modules");
  // index.ts under the sources (tests), index.js once compiled (dist/).
  let names = readdirSync(modulesDir).filter((d) => existsSync(join(modulesDir, d, "index.ts")) || existsSync(join(modulesDir, d, "index.js")));
  const dir = mkdtempSync(join(tmpdir(), "invitectl-"));
  try {
    // A module that cannot start without an option of its own (invites_pairing's
    // pairing_directory_url) is left out, with the modules that depend on it.
    for (let tries = 0; tries < 20 && names.length; tries++) {
      const config = checkConfig({
        hosts: ["standalone.invalid"], component: { jid: "invitectl.standalone.invalid", secret: "unused" },
        store: "memory://", data_dir: dir, modules_enabled: names, log: { level: "silent" },
      }, join(dir, "config.yml"));
      let host: Host;
      try {
        host = await Host.create({ config, mode: "ctl", logger: createLogger({ level: "silent" }) });
      } catch (e) {
        const wanting = e instanceof ConfigError ? await modulesNamedIn(e, names) : [];
        if (!wanting.length) return undefined;
        names = names.filter((n) => !wanting.includes(n));
        continue;
      }
      try {
        const runnable = host.ctl.filter((c) => c.cmd.standalone && c.group === words[0] && c.cmd.command.split(" ")[0] === words[1]);
        if (!runnable.length) return undefined;
        host.ctl.splice(0, host.ctl.length, ...runnable);
        return await runCtl(host, argv.filter((a, i) => !(a === "--config" || a === "-c" || argv[i - 1] === "--config" || argv[i - 1] === "-c")), io);
      } finally {
        await host.stop();
      }
    }
    return undefined;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The modules among `names` whose options `e` names, and those that depend on them. */
async function modulesNamedIn(e: ConfigError, names: string[]): Promise<string[]> {
  const options = new Set(e.problems.map((p) => /option "([^"]+)"/.exec(p)?.[1]).filter((o): o is string => !!o));
  const defs = await resolveModules(names, []);
  const out = new Set(defs.filter((d) => Object.keys(d.options ?? {}).some((o) => options.has(o))).map((d) => d.name));
  for (let grew = true; grew;) {
    grew = false;
    for (const d of defs) if (!out.has(d.name) && (d.dependencies ?? []).some((x) => out.has(x))) { out.add(d.name); grew = true; }
  }
  return [...out];
}

export async function main(argv: string[], io: CtlIo): Promise<number> {
  const file = configPathFrom(argv);
  let host: Host | undefined;
  try {
    const config = loadConfigFile(file);
    config.log.level = process.env["XMPP_INVITES_LOG_LEVEL"] ?? "warn";
    config.log.file = undefined;
    host = await Host.create({ config, mode: "ctl", logger: createLogger({ level: config.log.level }) });
  } catch (e) {
    if (e instanceof ConfigError) {
      const code = await standalone(argv, io);
      if (code !== undefined) return code;
    }
    if (e instanceof ConfigError || e instanceof LoadError) {
      // Completion still works without a config: the commands that need none.
      if (argv.includes("--get-yargs-completions") || argv[0] === "completion") return runCtl(undefined, argv, io);
      io.stderr(`invitectl: ${e.message}\n`);
      // Help still answers without a config, listing what needs none.
      if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
        io.stderr("invitectl: the modules' commands are listed once --config names a valid config file\n");
        await runCtl(undefined, ["--help"], io);
      }
      return EXIT_FAILED;
    }
    throw e;
  }
  try {
    return await runCtl(host, argv, io, [checkCommand(host), migrateCommand(host)]);
  } finally {
    await host.stop();
  }
}
