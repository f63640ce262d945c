// invites_directory: this product as a pairing directory for other servers (Plexus's pairing
// service): servers on its allow-list publish a URL and get a short code; a person types the
// code here (or opens /pairing/CODE) and is sent to the server that invited them. Codes live
// as long as the server asked, at most directory_max_ttl. See docs/pairing.md.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineModule, opt } from "../../core/types.js";
import type { Site } from "../../web/layout.js";
import "../invites_page/types.js";
import { DirectoryCodes, type CodeRecord, type EntryRecord } from "./codes.js";
import { directoryCtl } from "./ctl.js";
import { directoryRoutes } from "./routes.js";
import { Servers, type RegisteredServer } from "./servers.js";

const CSS = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../web/style.css"), "utf8");

export default defineModule({
  name: "invites_directory",
  description: "A pairing directory for other servers: short codes that lead to the server that invited",
  options: {
    directory_code_length: opt.integer({ default: 8, min: 6, max: 8, describe: "Characters in a directory code" }),
    directory_max_ttl: opt.period({ default: "1 day", min: "1 minute", max: "1 week", describe: "Longest time a code lives, whatever the server asks" }),
    directory_rate_limit: opt.integer({ default: 60, min: 0, describe: "Code lookups per IP per minute (0 = no limit)" }),
    directory_publish_rate_limit: opt.integer({ default: 600, min: 0, describe: "Publish and withdraw requests per server key per minute (0 = no limit)" }),
    directory_site_name: opt.optionalString({ describe: "Name on the code page (default: the first host)" }),
  },
  setup(mod) {
    const o = mod.options;
    const servers = new Servers(mod.openStore<RegisteredServer>("server"), mod.openStore<string[]>("server_index"));
    const codes = new DirectoryCodes(mod.openStore<CodeRecord>("code"), mod.openStore<EntryRecord>("entry"), o.directory_code_length);
    for (const cmd of directoryCtl(servers, () => mod.now())) mod.provideCtl(cmd);

    const base = () => mod.config.baseUrl.replace(/\/$/, "");
    const site: Site = {
      name: o.directory_site_name ?? mod.config.hosts[0] ?? "XMPP",
      logo: undefined,
      cssPath: "/pairing/style.css",
      get secure() { return mod.config.baseUrl.startsWith("https:"); },
      policy: {},
    };
    const lookups = mod.limiter("lookups", { points: o.directory_rate_limit, durationMs: 60_000 });
    const publishes = mod.limiter("publishes", { points: o.directory_publish_rate_limit, durationMs: 60_000 });
    directoryRoutes(mod.mount("/pairing"), {
      servers, codes, lookups, publishes,
      maxTtlMs: o.directory_max_ttl, site, css: CSS, log: mod.log,
      now: () => mod.now(), clientIp: (req) => mod.clientIp(req),
      codeUrl: (code) => `${base()}/pairing/${code}`,
    });
    // invites_page's /pairing/CODE, when it is mounted first, asks about codes it does not know.
    mod.hook("pairing-code-miss", async (q) => { q.location ??= await codes.resolve(q.code, mod.now()); });
    return { servers, codes };
  },
});
