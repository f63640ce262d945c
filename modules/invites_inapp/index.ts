// In-app onboarding: the component's side of the server module (prosody-module/
// mod_xmpp_invites.lua). The XMPP server announces the module per host; then apps can
// register, reset a password and accept contact invites in-app, each through the same flow
// as the web (modules/invites_register) and the same invite store, which stays the only
// owner of invites. Pages ask, through the "in-app-paths" event, before offering those paths.
// See docs/server-module.md.
import { defineModule, opt } from "../../core/types.js";
import type { InvitesApi } from "../invites/types.js";
import type { InvitesRegisterApi } from "../invites_register/types.js";
import { serverProtocol } from "./handlers.js";
import { InFlight } from "./inflight.js";
import { NS } from "./protocol.js";
import { Servers } from "./servers.js";
import type { InvitesInAppApi } from "./types.js";

export type * from "./types.js";
export { NS as SERVER_PROTOCOL_NS } from "./protocol.js";
export { errors as inAppErrors } from "./errors.js";

export default defineModule({
  name: "invites_inapp",
  description: "In-app registration, resets and contact invites through the XMPP server's module (mod_xmpp_invites)",
  dependencies: ["invites", "invites_register"],
  options: {
    inapp_rate_limit: opt.integer({ default: 60, min: 0, describe: "Invite token checks through the XMPP server (preauth, subscription) per app address per minute (0 = no limit)" }),
  },
  setup(mod) {
    const servers = new Servers();
    const deps = {
      hosts: mod.config.hosts.map((h) => h.toLowerCase()),
      invites: mod.depends<InvitesApi>("invites"),
      register: mod.depends<InvitesRegisterApi>("invites_register"),
      admin: () => mod.admin,
      // Per app address (shared by every instance on PostgreSQL).
      limiter: mod.limiter("tokens", { points: mod.options.inapp_rate_limit, durationMs: 60_000 }),
      servers,
      inflight: new InFlight(),
      log: mod.log,
    };
    mod.handleIq("set", NS, serverProtocol(deps));
    // What the server announced belongs to that link: it announces again on reconnect.
    mod.hook("component-offline", () => { servers.clear(); });
    mod.hook("in-app-paths", (q) => { if (servers.available(q.host)) q.available = true; });
    return {
      available: (host) => servers.available(host),
      servers: () => servers.list(),
    } satisfies InvitesInAppApi;
  },
});
