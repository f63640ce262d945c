// Ad-hoc commands (XEP-0050) on the component JID for the whole invite lifecycle: the
// XEP-0401 commands clients know (invite, create-account), password reset, listing,
// revoke and extend. Core's component link speaks the protocol; these are the handlers.
// See docs/adhoc.md.
import { opt } from "../../core/types.js";
import { defineModule } from "../../core/types.js";
import type { InvitesApi } from "../invites/types.js";
import { createAccountCommand, inviteCommand, resetCommand, NODES, type CommandDeps } from "./create.js";
import { extendCommand, listAllCommand, listCommand, revokeCommand } from "./manage.js";
import { Policy } from "./policy.js";

export { NODES } from "./create.js";
export { INVITATION_FORM_TYPE } from "./fields.js";
export { errors as adhocErrors } from "./errors.js";

export default defineModule({
  name: "invites_adhoc",
  description: "XMPP ad-hoc commands to create, list, revoke and extend invites",
  dependencies: ["invites"],
  options: {
    allow_user_invites: opt.boolean({ default: false, describe: "Whether ordinary users' contact invites also let the invitee create an account (Prosody's option)" }),
    allow_contact_invites: opt.boolean({ default: true, describe: "Whether ordinary users may create contact invites at all (if false, only admins)" }),
    account_invite_users: opt.list({ default: [], item: /^[^\s/]+$/, describe: "Bare JIDs, or whole hosts, whose users may run create-account besides admins" }),
    max_pending_invites_per_user: opt.integer({ default: 10, min: 0, describe: "Pending invites a non-admin may have at once (0: no limit)" }),
    max_invites_per_day: opt.integer({ default: 20, min: 0, describe: "Invites a non-admin may create in 24 hours (0: no limit)" }),
    max_user_invite_expiry: opt.period({ default: "4 weeks", min: "1 hour", describe: "Longest expiry a non-admin may choose when creating or extending an invite" }),
  },
  setup(mod) {
    const o = mod.options;
    const invites = mod.depends<InvitesApi>("invites");
    const policy = new Policy({
      hosts: mod.config.hosts,
      allowUserInvites: o.allow_user_invites,
      accountInviteUsers: o.account_invite_users,
      maxPending: o.max_pending_invites_per_user,
      maxPerDay: o.max_invites_per_day,
      // Revoke and extend: at most 10 misses a minute per user (no oracle for others' ids).
      misses: mod.limiter("misses", { points: 10, durationMs: 60_000 }),
    }, invites, mod.openStore<number[]>("daily_count"));
    const deps: CommandDeps = { invites, policy, admin: () => mod.admin, log: mod.log, maxUserExpiryMs: o.max_user_invite_expiry };

    // The permission decides who sees the command in disco#items (XEP-0050 §2.2); the
    // handlers check again, with a reason, for the cases a permission cannot express.
    mod.provideCommand(inviteCommand(deps, o.allow_contact_invites ? "local_user" : "admin"));
    mod.provideCommand(createAccountCommand(deps, o.account_invite_users.length > 0 ? "local_user" : "admin"));
    mod.provideCommand(resetCommand(deps));
    mod.provideCommand(listCommand(deps));
    mod.provideCommand(listAllCommand(deps));
    mod.provideCommand(revokeCommand(deps));
    mod.provideCommand(extendCommand(deps));
    return { nodes: NODES };
  },
});
