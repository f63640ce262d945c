import { existsSync } from "node:fs";

/** --config FILE, else $XMPP_INVITES_CONFIG, else ./config.yml, else /etc/xmpp-invites/config.yml. */
export function configPathFrom(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): string {
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if ((a === "--config" || a === "-c") && argv[i + 1]) return argv[i + 1]!;
    if (a.startsWith("--config=")) return a.slice("--config=".length);
  }
  if (env["XMPP_INVITES_CONFIG"]) return env["XMPP_INVITES_CONFIG"];
  if (existsSync("config.yml")) return "config.yml";
  return "/etc/xmpp-invites/config.yml";
}
