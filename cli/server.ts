// `xmpp-invites [--config FILE]`: runs the component and the HTTP server until SIGINT/SIGTERM;
// SIGHUP reopens the log file.
import { loadConfigFile, ConfigError } from "../core/config.js";
import { Host } from "../core/host.js";
import { LoadError } from "../core/loader.js";
import { reopenLog } from "../core/log.js";
import { configPathFrom } from "./config-path.js";

export async function serve(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    process.stdout.write("Usage: xmpp-invites [--config FILE]\n\nRuns the invites component and its HTTP server. See README.md.\n");
    return 0;
  }
  let host: Host;
  try {
    host = await Host.create({ config: loadConfigFile(configPathFrom(argv)), mode: "server" });
  } catch (e) {
    if (e instanceof ConfigError || e instanceof LoadError) {
      process.stderr.write(`xmpp-invites: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
  try {
    await host.start();
  } catch (e) {
    process.stderr.write(`xmpp-invites: cannot listen on ${host.config.http.host}:${host.config.http.port}: ${(e as Error).message}\n`);
    await host.stop();
    return 1;
  }
  // SIGHUP reopens the log file (log rotation), as Prosody and nginx do.
  const rotate = () => { if (reopenLog(host.log)) host.log.info("log file reopened"); };
  process.on("SIGHUP", rotate);
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => { host.log.info({ signal }, "stopping"); resolve(); };
    process.once("SIGINT", () => stop("SIGINT"));
    process.once("SIGTERM", () => stop("SIGTERM"));
  });
  process.off("SIGHUP", rotate);
  await host.stop();
  return 0;
}
