// Accounts after registration: deactivating a user who must leave (the lock on the server,
// their pending invites revoked, their API keys deleted, who did it and when) and
// reactivating them; through invitectl (user …), admin ad-hoc commands and the JSON API,
// which also lists the agreements hosts require and their signatures. See docs/users.md.
import { defineModule } from "../../core/types.js";
import type { InvitesApi } from "../invites/types.js";
import type { InvitesApiModule } from "../invites_api/types.js";
import type { InvitesRegisterApi } from "../invites_register/types.js";
import type { InvitesTreeApi } from "../invites_tree/types.js";
import { deactivateCommand, reactivateCommand } from "./adhoc.js";
import { userCommands } from "./ctl.js";
import { accountJid, branchOf, deactivate, reactivate, type UsersDeps } from "./deactivate.js";
import { Deactivations, migrations, type UserTables } from "./records.js";
import { addRoutes } from "./routes.js";
import type { InvitesUsersApi } from "./types.js";

export type * from "./types.js";
export { NODES as USER_NODES } from "./adhoc.js";
export { errors as usersErrors } from "./errors.js";

export default defineModule({
  name: "invites_users",
  description: "Deactivating and reactivating users (ctl, ad-hoc, JSON API); the JSON API of agreements and signatures",
  dependencies: ["invites", "invites_api", "invites_register", "invites_tree"],
  migrations,
  setup(mod) {
    const api = mod.depends<InvitesApiModule>("invites_api");
    const register = mod.depends<InvitesRegisterApi>("invites_register");
    const d: UsersDeps = {
      hosts: mod.config.hosts.map((h) => h.toLowerCase()),
      invites: mod.depends<InvitesApi>("invites"),
      api,
      tree: mod.depends<InvitesTreeApi>("invites_tree"),
      admin: () => mod.admin,
      records: new Deactivations(mod.db<UserTables>()),
      log: mod.log,
      now: () => mod.now(),
    };
    const isAdmin = (jid: string) => mod.isAdmin(jid);
    for (const cmd of userCommands(d)) mod.provideCtl(cmd);
    mod.provideCommand(deactivateCommand(d, isAdmin));
    mod.provideCommand(reactivateCommand(d));
    addRoutes(api, d, register, isAdmin);
    return {
      deactivate: (jid, by) => deactivate(d, accountJid(d, jid).jid, by),
      reactivate: (jid, by) => reactivate(d, accountJid(d, jid).jid, by),
      branch: (jid) => branchOf(d, accountJid(d, jid).jid),
    } satisfies InvitesUsersApi;
  },
});
