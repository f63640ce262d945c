// `invitectl [--config FILE] <group> <command> ...`: loads the modules without connecting
// to the XMPP server and runs the command they declared.
import { connect as tcpConnect } from "node:net";
import { loadConfigFile, ConfigError } from "../core/config.js";
import { Host } from "../core/host.js";
import { LoadError } from "../core/loader.js";
import { createLogger } from "../core/log.js";
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

/** `invitectl check`: config valid (it loaded), store reachable, component reachable and accepted. */
function checkCommand(host: Host): ExtraCommand {
  return (y, io, setResult) => y.command("check", "Check the config, the store and the XMPP server's component port", () => {}, async () => {
    const lines: string[] = [`config: ok (${host.config.file})`];
    let failed = false;
    try { await host.storage.ping(); lines.push(`store: ok (${host.storage.uri})`); } catch (e) {
      failed = true; lines.push(`store: FAILED (${host.storage.uri}): ${(e as Error).message}`);
    }
    const server = host.config.component.server;
    const why = await probeTcp(server, 3000);
    if (why) { failed = true; lines.push(`component: FAILED: cannot reach ${server} (${why})`); }
    else {
      const { ComponentLink } = await import("../core/xmpp/link.js");
      const link = new ComponentLink({
        jid: host.config.component.jid, secret: host.config.component.secret, server, hosts: host.config.hosts,
        log: host.log, isAdmin: () => false, commands: new Map(), iqHandlers: new Map(),
      });
      const online = new Promise<boolean>((resolve) => {
        link.once("online", () => resolve(true));
        setTimeout(() => resolve(false), 5000).unref();
      });
      await link.start();
      const ok = await online;
      await link.stop();
      if (ok) lines.push(`component: ok (${host.config.component.jid} accepted by ${server})`);
      // Prosody checks the secret before refusing a second session with "conflict" (its
      // default component_conflict_resolve = "kick_new"; with "kick_old" the check briefly
      // displaces the running server, which reconnects by itself).
      else if (/conflict/.test(link.lastError ?? "")) lines.push(`component: ok (${host.config.component.jid} accepted by ${server}; already connected elsewhere, e.g. the running server)`);
      else { failed = true; lines.push(`component: FAILED: ${server} did not accept ${host.config.component.jid} (${link.lastError ?? "no answer"}); check component.jid and component.secret`); }
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

export async function main(argv: string[], io: CtlIo): Promise<number> {
  const file = configPathFrom(argv);
  let host: Host | undefined;
  try {
    const config = loadConfigFile(file);
    config.log.level = process.env["XMPP_INVITES_LOG_LEVEL"] ?? "warn";
    config.log.file = undefined;
    host = await Host.create({ config, mode: "ctl", logger: createLogger({ level: config.log.level }) });
  } catch (e) {
    if (e instanceof ConfigError || e instanceof LoadError) {
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
