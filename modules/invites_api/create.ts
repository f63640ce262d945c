// Creating an invite on behalf of an API key: the request is checked against the key's
// scope (403 naming the bound), then handed to the invites module for the key's host.
// The same checks decide whether the key may bring back (un-revoke) an invite.
import type { CreatedInvite, InviteType, InvitesApi } from "../invites/types.js";
import { errors } from "./errors.js";
import type { ApiKey } from "./keys.js";
import { requireEmail, requireExpiry, requireGroups, requireInviter, requireOperation, requireResetTarget, requireRoles, requireType, requireUses } from "./scope.js";

export interface CreateInput {
  type: InviteType;
  /** undefined = the default (1); null = unlimited. */
  uses?: number | null;
  /** Epoch ms; undefined = the invites module's default, capped by the key's max-expiry. */
  expiresAt?: number;
  username?: string;
  inviter?: string;
  roles?: string[];
  groups?: string[];
  note?: string | null;
  /** Where invites_email sends the invite. */
  email?: string;
  /** The invitee's language (the email's). */
  lang?: string;
  /** Hold the username for the email's owner (invites_email's pre-activation). */
  preactivate?: boolean;
  /** Account invites only: made through a greeting (docs/greeting.md). */
  greeted?: boolean;
  /** Shown on the landing page as who invited (invite.extra.inviter_name). */
  inviterName?: string;
}

/** inviter_name as every front end checks it: 1 to 80 characters, no control characters. */
export function checkInviterName(value: string, field: string): string {
  const name = value.trim();
  if (name === "" || [...name].length > 80) throw errors.bad_parameter(`${field}: 1 to 80 characters`, { field });
  if (/[\p{Cc}\p{Cs}\uFFFE\uFFFF]/u.test(name)) throw errors.bad_parameter(`${field}: no control characters`, { field });
  return name;
}

export interface KeyDeps {
  invites: InvitesApi;
  /** Whether a JID is an admin of this service (reset keys leave admins alone). */
  isAdmin(jid: string): boolean;
}

export async function createForKey(d: KeyDeps, key: ApiKey, input: CreateInput, now: number): Promise<CreatedInvite> {
  const s = key.scope;
  requireOperation(s, "create");
  requireType(s, input.type);
  requireUses(s, input.uses === undefined ? 1 : input.uses);
  if (input.expiresAt !== undefined) requireExpiry(s, input.expiresAt, now);
  requireRoles(s, input.roles ?? []);
  requireGroups(s, input.groups ?? []);
  if (input.inviter !== undefined) {
    const domain = input.inviter.slice(input.inviter.lastIndexOf("@") + 1).toLowerCase();
    if (domain !== key.host) throw errors.out_of_scope(`inviter must be an account on ${key.host}, the host of this API key`, { field: "inviter" });
  }
  if (input.email !== undefined || input.preactivate) requireEmail(s, input.preactivate === true);
  if (input.preactivate) {
    if (input.type !== "account" || input.username === undefined || input.email === undefined || (input.uses ?? 1) !== 1) {
      throw errors.bad_parameter("preactivate needs type account, username, email and a single use", { field: "preactivate" });
    }
  }
  const contact = input.type === "contact" || input.type === "account_and_contact";
  // A key that acts for a user names them on every invite it makes, so that the invite tree
  // and deactivating that user (which revokes their pending invites) find these too.
  const inviter = contact ? requireInviter(s, input.inviter) : s.inviter ?? undefined;
  if (input.type === "reset" && input.username !== undefined) {
    const check = d.invites.checkUsername(input.username);
    if (check.ok) requireResetTarget(s, check.username, d.isAdmin(`${check.username}@${key.host}`));
  }
  const base = {
    host: key.host,
    source: `api/key/${key.id}`,
    ...(input.uses !== undefined ? { usesAllowed: input.uses } : {}),
    // Without an explicit expiry the invites module's default applies; a key's max-expiry caps it.
    ...(input.expiresAt !== undefined ? { expiresAt: input.expiresAt } : s.maxExpiryMs !== null ? { expiryCap: now + s.maxExpiryMs } : {}),
    ...(input.username !== undefined ? { username: input.username } : {}),
    ...(input.roles ? { roles: input.roles } : {}),
    ...(input.groups ? { groups: input.groups } : {}),
    ...(input.note !== undefined ? { note: input.note } : {}),
    ...(input.email !== undefined ? { email: input.email } : {}),
    ...(input.greeted ? { greeted: true } : {}),
  };
  const extra = {
    ...(input.lang !== undefined ? { lang: input.lang } : {}),
    ...(input.preactivate ? { preactivation: true } : {}),
    ...(input.inviterName !== undefined ? { inviter_name: checkInviterName(input.inviterName, "inviter_name") } : {}),
  };
  if (Object.keys(extra).length) Object.assign(base, { extra });
  const created = await make(d.invites, { ...input, ...(inviter === undefined ? {} : { inviter }) }, base);
  if (input.preactivate && !created.handled?.includes("preactivation")) {
    // No loaded module holds the name: an invite that promised it must not stay.
    await d.invites.delete(created.invite.id);
    throw errors.unavailable("Pre-activation needs the invites_email module (add it to modules_enabled)", { field: "preactivate" });
  }
  return created;
}

type Base = Parameters<InvitesApi["createAccount"]>[0];

function make(invites: InvitesApi, input: CreateInput, base: Base): Promise<CreatedInvite> {
  switch (input.type) {
    case "account":
      return invites.createAccount({ ...base, ...(input.inviter === undefined ? {} : { inviter: input.inviter }) });
    case "reset":
      if (input.username === undefined) throw errors.bad_parameter("A reset invite needs username (the account to reset)", { field: "username" });
      return invites.createReset({ ...base, username: input.username });
    case "contact":
    case "account_and_contact":
      if (input.inviter === undefined) throw errors.bad_parameter(`A ${input.type} invite needs inviter (the JID whose contact the new user becomes)`, { field: "inviter" });
      return invites.createContact({ ...base, inviter: input.inviter, allowRegistration: input.type === "account_and_contact" });
  }
}
