// The commands that create invites: contact invite (XEP-0401 §4, one stage, as Prosody),
// account invite (XEP-0401 create-account form plus our fields) and password reset.
import type { AdminPort } from "../../core/types.js";
import type { AdhocCommand, AdhocRequest, AdhocResponse, DataForm, FormField, Logger, Permission } from "../../core/types.js";
import type { CreatedInvite, InvitesApi } from "../invites/types.js";
import { errors } from "./errors.js";
import { boolValue, expiresValue, invitationForm, listValue, renameFieldError, requiredText, textValue, usesValue, xmppTime } from "./fields.js";
import { domainOf, type Policy } from "./policy.js";

export const NODES = {
  invite: "urn:xmpp:invite#invite",
  createAccount: "urn:xmpp:invite#create-account",
  reset: "xmpp-invites#password-reset",
  list: "xmpp-invites#list",
  listAll: "xmpp-invites#list-all",
  revoke: "xmpp-invites#revoke",
  extend: "xmpp-invites#extend",
} as const;

export interface CommandDeps {
  invites: InvitesApi;
  policy: Policy;
  admin: () => AdminPort;
  log: Logger;
  /** Longest expiry a non-admin may ask for. */
  maxUserExpiryMs: number;
  now?: () => number;
}

/** Where an invites error names one of its fields, the form field to name instead. */
const FIELD_MAP = { username: "username", uses: "uses", expires: "expires-after", note: "note", roles: "roles", groups: "groups", host: "host", email: "email" };
const EXPIRES_DESC = 'A duration such as "1 week", "2d" or "12h", or a date such as 2026-12-01. Empty: the server default.';

function created(c: CreatedInvite, title: string, what: string): AdhocResponse {
  const uses = c.invite.usesAllowed === null ? "any number of times" : c.invite.usesAllowed === 1 ? "once" : `${c.invite.usesAllowed} times`;
  return {
    status: "completed",
    form: invitationForm(c, title),
    notes: [{ type: "info", text: `${what}: ${c.shortUrl ?? c.link} (usable ${uses}, until ${xmppTime(c.invite.expiresAt)}).` }],
  };
}

/** Takes a quota slot, creates, and gives the slot back if creation fails; one at a time per requester. */
function withQuota(deps: CommandDeps, req: AdhocRequest, make: () => Promise<CreatedInvite>): Promise<CreatedInvite> {
  return deps.policy.oneAtATime(req, async () => {
    const giveBack = await deps.policy.take(req);
    try {
      return await make();
    } catch (e) {
      await giveBack();
      throw renameFieldError(e, FIELD_MAP);
    }
  });
}

export function inviteCommand(deps: CommandDeps, permission: Permission): AdhocCommand {
  return {
    node: NODES.invite, name: "Create new contact invite", permission,
    async handler(req) {
      const refused = deps.policy.refuseForeign(req, true);
      if (refused) return refused;
      const inviter = req.fromBare.toLowerCase();
      const allowRegistration = deps.policy.mayInviteNewUsers(req);
      const c = await withQuota(deps, req, () => deps.invites.createContact({
        host: domainOf(inviter), inviter, allowRegistration, source: `adhoc/${inviter}`,
      }));
      return created(c, "New contact invite", allowRegistration ? "Send this link to invite someone (they can also create an account)" : "Send this link to invite a contact");
    },
  };
}

function accountForm(deps: CommandDeps, req: AdhocRequest): DataForm {
  const admin = req.isAdmin;
  const hosts = deps.policy.hosts;
  const fields: FormField[] = [
    { var: "username", type: "text-single", label: "Username (optional)", desc: usernameDesc(deps, hosts) },
    { var: "roster-subscription", type: "boolean", label: "Add the new user to my contacts", value: "0", ...contactsDesc(deps, domainOf(req.fromBare)) },
  ];
  if (admin && hosts.length > 1) {
    const own = domainOf(req.fromBare);
    fields.push({ var: "host", type: "list-single", label: "Server", required: true, value: hosts.includes(own) ? own : hosts[0]!, options: hosts.map((h) => ({ value: h })) });
  }
  fields.push({ var: "expires-after", type: "text-single", label: "Expires after", desc: EXPIRES_DESC });
  if (admin) {
    fields.push(
      { var: "uses", type: "text-single", label: "Number of uses", desc: 'A whole number, or "unlimited"', value: "1" },
      { var: "roles", type: "text-multi", label: "Roles (one per line)" },
      { var: "groups", type: "text-multi", label: "Groups (one per line)" },
    );
  }
  fields.push(
    { var: "email", type: "text-single", label: "Email address (optional)", desc: "Where to send the invite, when this service sends email" },
    { var: "note", type: "text-single", label: "Note (for you, not shown to the invitee)" },
    { var: "short-code", type: "boolean", label: "Also make a short code (to type or read out)", value: "0" },
    { var: "greeted", type: "boolean", label: "Greeted: the account is made only after you and the invitee confirm each other with codes (invitectl invite greet)", value: "0" },
  );
  return { type: "form", title: "Create new account invite", instructions: "Fill in what you need; everything is optional.", fields };
}

export function createAccountCommand(deps: CommandDeps, permission: Permission): AdhocCommand {
  return {
    node: NODES.createAccount, name: "Create new account invite", permission,
    form(req) {
      const refused = deps.policy.refuseForeign(req);
      if (refused) return refused;
      if (!deps.policy.mayCreateAccountInvites(req)) throw errors.forbidden("Only admins and the users listed in account_invite_users may create account invites");
      // Built for this requester: a user's form has no uses, roles, groups or host, so core
      // refuses those fields from a user whatever values they carry.
      return accountForm(deps, req);
    },
    async handler(req) {
      const v = req.values;
      const now = (deps.now ?? Date.now)();
      const own = domainOf(req.fromBare);
      const host = textValue(v, "host")?.toLowerCase() ?? (deps.policy.hosts.includes(own) ? own : deps.policy.hosts[0]!);
      if (!deps.policy.hosts.includes(host)) throw errors.bad_field(`Field "host": ${JSON.stringify(host)} is not served here (${deps.policy.hosts.join(", ")})`, { field: "host" });
      const username = await checkNewUsername(deps, textValue(v, "username"), host);
      const subscribe = boolValue(v, "roster-subscription");
      if (subscribe && !deps.policy.isLocal(req.fromBare)) {
        throw errors.bad_field(`Field "roster-subscription": your address ${req.fromBare} is not on a host served here, so the new user cannot be added to your contacts`, { field: "roster-subscription" });
      }
      // The contact invite's URI names the requester, and the account is made on their host.
      if (subscribe && host !== own) {
        throw errors.bad_field(`Field "roster-subscription": with it the account is made on your own host ${own}, not ${host}`, { field: "roster-subscription" });
      }
      const opts = {
        host, username, source: `adhoc/${req.fromBare.toLowerCase()}`, inviter: req.fromBare.toLowerCase(),
        expiresAt: expiresValue(v, "expires-after", now, req.isAdmin ? undefined : deps.maxUserExpiryMs),
        usesAllowed: usesValue(v, "uses"),
        roles: listValue(v, "roles"), groups: listValue(v, "groups"),
        note: textValue(v, "note") ?? null,
        email: textValue(v, "email") ?? null,
        shortCode: boolValue(v, "short-code"),
        greeted: boolValue(v, "greeted"),
      };
      const defined = Object.fromEntries(Object.entries(opts).filter(([, x]) => x !== undefined)) as typeof opts;
      const c = await withQuota(deps, req, () => subscribe
        ? deps.invites.createContact({ ...defined, allowRegistration: true })
        : deps.invites.createAccount(defined));
      if (c.greeterToken !== undefined) {
        const done = created(c, "New greeted account invite", "Send this link to the person who should get the account, then greet them");
        done.notes!.push({ type: "info", text: `Invitation token (for invitectl invite greet): ${c.greeterToken}` });
        return done;
      }
      return created(c, "New account invite", "Send this link to the person who should get the account");
    },
  };
}

/** Why the server cannot say whether an account exists on `host`, or undefined when it can. */
function cannotCheck(deps: CommandDeps, host: string): string | undefined {
  const caps = deps.admin().capabilities;
  if (!caps.known) return "the XMPP server is not connected";
  const c = caps.hosts[host]?.accountCheck;
  return c?.ok ? undefined : c?.why ?? "the XMPP server offers no way to check";
}

function usernameDesc(deps: CommandDeps, hosts: readonly string[]): string {
  const why = hosts.map((h) => cannotCheck(deps, h)).find((w) => w !== undefined);
  return why === undefined
    ? "Only this username can be registered with the invite; a name that is already taken is refused"
    : `Only this username can be registered with the invite. This server cannot tell whether an account exists (${why}), so a taken name is only refused when someone registers with the invite`;
}

/** When this server cannot make mutual contacts, the field says what will happen instead. */
function contactsDesc(deps: CommandDeps, host: string): { desc?: string } {
  const c = deps.admin().capabilities.hosts[host]?.contacts;
  return c && !c.ok ? { desc: `This server cannot add contacts for the component (${c.why}): the new user will be asked to add you by hand` } : {};
}

/** A requested username must be valid and, when the server can tell us, still free. */
async function checkNewUsername(deps: CommandDeps, input: string | undefined, host: string): Promise<string | null> {
  if (input === undefined) return null;
  const check = deps.invites.checkUsername(input);
  if (!check.ok) throw errors.bad_field(`Field "username": ${check.reason}`, { field: "username" });
  if (cannotCheck(deps, host) !== undefined) return check.username; // the form's field description said so
  let exists = false;
  try {
    exists = await deps.admin().accountExists(`${check.username}@${host}`);
  } catch (e) {
    // Registration refuses a taken name anyway (the server's add-user decides).
    deps.log.warn({ err: e }, "could not check whether the account exists");
  }
  if (exists) throw errors.account_exists(`Field "username": the account ${check.username}@${host} already exists, so an invite bound to it could never be used`, { field: "username" });
  return check.username;
}

export function resetCommand(deps: CommandDeps): AdhocCommand {
  return {
    node: NODES.reset, name: "Create password reset invite", permission: "admin",
    form: () => ({ type: "form", title: "Create password reset invite", fields: [{ var: "accountjid", type: "jid-single", label: "Account whose password is to be reset", required: true }] }),
    async handler(req) {
      const jid = requiredText(req.values, "accountjid", 3071);
      const m = /^([^@/\s]+)@([^@/\s]+)$/.exec(jid);
      const host = m?.[2]!.toLowerCase();
      if (!m || !deps.policy.hosts.includes(host!)) {
        throw errors.bad_field(`Field "accountjid": ${JSON.stringify(jid)} is not an account on a host served here (${deps.policy.hosts.join(", ")})`, { field: "accountjid" });
      }
      const check = deps.invites.checkUsername(m[1]!);
      if (!check.ok) throw errors.bad_field(`Field "accountjid": ${check.reason}`, { field: "accountjid" });
      const account = `${check.username}@${host}`;
      // Checked when the server can say; otherwise the invite is made and the reset itself
      // answers "no such account" (change-user-password never creates one).
      const unchecked = cannotCheck(deps, host!);
      if (unchecked === undefined && !(await deps.admin().accountExists(account))) {
        throw errors.no_account(`Field "accountjid": there is no account ${account}`, { field: "accountjid" });
      }
      let c: CreatedInvite;
      try {
        c = await deps.invites.createReset({ host: host!, username: check.username, inviter: req.fromBare.toLowerCase(), source: `adhoc/${req.fromBare.toLowerCase()}` });
      } catch (e) {
        throw renameFieldError(e, { username: "accountjid", host: "accountjid" });
      }
      const done = created(c, "Password reset invite", `Send this link to ${account} to set a new password`);
      if (unchecked !== undefined) {
        done.notes!.push({ type: "warn", text: `Whether ${account} exists was not checked: ${unchecked}. If it does not, the link will say so.` });
      }
      return done;
    },
  };
}
