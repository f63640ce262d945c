// What an API key may do: operations, invite types, bounds on the invites it makes, and
// whose name it may put on them. Written on the command line as `--scope create,list --types
// account,contact --max-uses 10 --max-expiry 30d --roles r --groups g --inviter alice@host
// --reset-users bob,carol`, stored as a Scope. A key reads, changes and revokes only
// invites it could have made itself (inScope), so it never grants more than it holds.
import { formatDuration } from "../../core/types.js";
import { parseLifetime, parseUses } from "../invites/index.js";
import type { Invite, InviteType } from "../invites/types.js";
import { errors } from "./errors.js";

export const OPERATIONS = ["create", "list", "read", "update", "revoke"] as const;
/**
 * Operations on accounts rather than invites, served by other modules' routes (route() in
 * types.ts): never part of "all", a key gets them only by name.
 */
export const ACCOUNT_OPERATIONS = ["signatures", "deactivate"] as const;
export type Operation = (typeof OPERATIONS)[number] | (typeof ACCOUNT_OPERATIONS)[number];
export const INVITE_TYPES: readonly InviteType[] = ["account", "contact", "account_and_contact", "reset"];

export interface Scope {
  operations: Operation[];
  types: InviteType[];
  /** Most uses one invite may allow; null = no bound (unlimited invites allowed). */
  maxUses: number | null;
  /** Longest time from now an invite may stay valid; null = only the invites module's own bound. */
  maxExpiryMs: number | null;
  /** Roles the key may put on invites ("*" = any). Default none: a key cannot hand out admin. */
  roles: string[];
  /** Groups the key may put on invites ("*" = any). */
  groups: string[];
  /**
   * The user the key acts for: its contact invites name this inviter (whose roster the
   * invitee joins). Null: the key names no inviter unless anyInviter allows any local user.
   */
  inviter?: string | null;
  /** An admin's key explicitly allowed to name any local user as the inviter. */
  anyInviter?: boolean;
  /** Accounts a reset key may reset ("*" = any user but admins); absent = any user but admins. */
  resetUsers?: string[] | null;
  /** Whether reset invites may target admins (default false). */
  resetAdmins?: boolean;
  /** Whether the key may have invites emailed (invites_email): mail goes out from this service's address. */
  email?: boolean;
  /** Whether the key may pre-activate accounts (hold a username for a person's email address). */
  preactivate?: boolean;
}

/** What a key made without --scope may do: what a Prosody key does (single-use account invites). */
export const DEFAULT_SCOPE: Scope = { operations: ["create"], types: ["account"], maxUses: 1, maxExpiryMs: null, roles: [], groups: [], inviter: null, anyInviter: false, resetUsers: null, resetAdmins: false, email: false, preactivate: false };

export interface ScopeFlags {
  scope?: unknown;
  types?: unknown;
  maxUses?: unknown;
  maxExpiry?: unknown;
  roles?: unknown;
  groups?: unknown;
  /** Bare JID of the user the key acts for, already checked to be on the key's host. */
  inviter?: string | null;
  anyInviter?: unknown;
  resetUsers?: unknown;
  resetAdmins?: unknown;
  email?: unknown;
  preactivate?: unknown;
}

/** "a,b" or ["a", "b,c"] -> ["a", "b", "c"]; undefined when the flag is absent. */
export function splitList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(","));
  return [...new Set(parts.map((p) => p.trim()).filter((p) => p !== ""))];
}

function pick<T extends string>(flag: string, value: unknown, allowed: readonly T[], fallback: T[], all: readonly T[] = allowed): T[] {
  const list = splitList(value);
  if (list === undefined) return fallback;
  if (list.includes("all") || list.includes("*")) return [...new Set([...all, ...list.filter((x): x is T => (allowed as readonly string[]).includes(x))])];
  const bad = list.filter((x) => !(allowed as readonly string[]).includes(x));
  if (bad.length) throw errors.bad_scope(`--${flag}: unknown ${bad.map((b) => JSON.stringify(b)).join(", ")} (choose from ${allowed.join(", ")}, or all)`, { flag });
  if (list.length === 0) throw errors.bad_scope(`--${flag}: name at least one of ${allowed.join(", ")}`, { flag });
  return list as T[];
}

export function parseScope(flags: ScopeFlags): Scope {
  const maxExpiryMs = flags.maxExpiry === undefined ? DEFAULT_SCOPE.maxExpiryMs : parseLifetime(String(flags.maxExpiry), "--max-expiry");
  return {
    operations: pick<Operation>("scope", flags.scope, [...OPERATIONS, ...ACCOUNT_OPERATIONS], DEFAULT_SCOPE.operations, OPERATIONS),
    types: pick("types", flags.types, INVITE_TYPES, DEFAULT_SCOPE.types),
    maxUses: flags.maxUses === undefined ? DEFAULT_SCOPE.maxUses : parseUses(String(flags.maxUses), "--max-uses"),
    maxExpiryMs,
    roles: splitList(flags.roles) ?? [],
    groups: splitList(flags.groups) ?? [],
    inviter: flags.inviter ?? null,
    anyInviter: flags.anyInviter === true,
    resetUsers: splitList(flags.resetUsers) ?? null,
    resetAdmins: flags.resetAdmins === true,
    email: flags.email === true || flags.preactivate === true,
    preactivate: flags.preactivate === true,
  };
}

/** One line for humans, in the same words as the flags. */
export function formatScope(s: Scope): string {
  const parts = [s.operations.join(","), `types=${s.types.join(",")}`, `max-uses=${s.maxUses ?? "unlimited"}`];
  if (s.maxExpiryMs !== null) parts.push(`max-expiry=${formatDuration(s.maxExpiryMs).replace(/ /g, "")}`);
  if (s.roles.length) parts.push(`roles=${s.roles.join(",")}`);
  if (s.groups.length) parts.push(`groups=${s.groups.join(",")}`);
  if (s.inviter) parts.push(`inviter=${s.inviter}`);
  if (s.anyInviter) parts.push("any-inviter");
  if (s.resetUsers) parts.push(`reset-users=${s.resetUsers.join(",")}`);
  if (s.resetAdmins) parts.push("reset-admins");
  if (s.preactivate) parts.push("preactivate");
  else if (s.email) parts.push("email");
  return parts.join(" ");
}

// The checks below throw invites_api.out_of_scope (403), naming what the key lacks.

export function requireOperation(s: Scope, op: Operation): void {
  const what = op === "signatures" ? "read agreement signatures" : op === "deactivate" ? "deactivate users" : `${op} invites`;
  if (!s.operations.includes(op)) throw errors.out_of_scope(`This API key may not ${what} (its scope: ${s.operations.join(", ")})`, { operation: op });
}

export function requireType(s: Scope, type: InviteType): void {
  if (!s.types.includes(type)) throw errors.out_of_scope(`This API key may not make ${type} invites (its types: ${s.types.join(", ")})`, { field: "type" });
}

export function requireUses(s: Scope, uses: number | null): void {
  if (s.maxUses === null) return;
  if (uses === null || uses > s.maxUses) {
    throw errors.out_of_scope(`uses ${uses ?? "unlimited"} is more than this API key allows (at most ${s.maxUses})`, { field: "uses" });
  }
}

export function requireExpiry(s: Scope, expiresAt: number, now: number): void {
  if (s.maxExpiryMs !== null && expiresAt - now > s.maxExpiryMs) {
    throw errors.out_of_scope(`An expiry ${formatDuration(expiresAt - now)} away is longer than this API key allows (at most ${formatDuration(s.maxExpiryMs)})`, { field: "expires" });
  }
}

function requireLabels(allowed: string[], wanted: string[], field: "roles" | "groups"): void {
  if (allowed.includes("*")) return;
  const bad = wanted.filter((w) => !allowed.includes(w));
  if (bad.length) {
    throw errors.out_of_scope(`This API key may not assign ${field} ${bad.map((b) => JSON.stringify(b)).join(", ")}${allowed.length ? ` (allowed: ${allowed.join(", ")})` : ""}`, { field });
  }
}

export function requireRoles(s: Scope, roles: string[]): void { requireLabels(s.roles, roles, "roles"); }
export function requireGroups(s: Scope, groups: string[]): void { requireLabels(s.groups, groups, "groups"); }

/**
 * The inviter a contact invite made with this key names: the key's own user, or (with
 * anyInviter) the one asked for. A key without either names nobody: putting someone in a
 * stranger's roster needs that person's consent (docs/invites-api.md, "Consent").
 */
export function requireInviter(s: Scope, asked: string | undefined): string {
  if (s.inviter) {
    if (asked !== undefined && asked.toLowerCase() !== s.inviter) {
      throw errors.out_of_scope(`This API key acts for ${s.inviter} and may not name ${asked} as the inviter`, { field: "inviter" });
    }
    return s.inviter;
  }
  if (!s.anyInviter) {
    throw errors.out_of_scope("This API key may not name an inviter: bind it to a user (--inviter JID) or, for an admin's key, allow any (--any-inviter)", { field: "inviter" });
  }
  if (asked === undefined) throw errors.bad_parameter("A contact invite needs inviter (the JID whose contact the new user becomes)", { field: "inviter" });
  return asked;
}

/** Emailing an invite, and pre-activating an account, each need the key to allow it. */
export function requireEmail(s: Scope, preactivate: boolean): void {
  if (preactivate && !s.preactivate) throw errors.out_of_scope("This API key may not pre-activate accounts (create it with --preactivate)", { field: "preactivate" });
  if (!s.email) throw errors.out_of_scope("This API key may not have invites emailed (create it with --email)", { field: "email" });
}

/** A reset key resets only the accounts it lists, and admins only when allowed to. */
export function requireResetTarget(s: Scope, username: string, isAdmin: boolean): void {
  const listed = s.resetUsers && !s.resetUsers.includes("*");
  if (listed && !s.resetUsers!.includes(username.toLowerCase())) {
    throw errors.out_of_scope(`This API key may not reset ${username} (it may reset: ${s.resetUsers!.join(", ")})`, { field: "username" });
  }
  if (isAdmin && !s.resetAdmins) {
    throw errors.out_of_scope(`This API key may not reset ${username}, an administrator (allow it with --reset-admins)`, { field: "username" });
  }
}

/**
 * Why an existing invite is outside what the key could have made itself (undefined when it is
 * inside): only such invites may be read, changed or revoked with the key.
 */
export function outOfScope(s: Scope, host: string, invite: Invite, now: number, isAdmin: (jid: string) => boolean): string | undefined {
  if (invite.host !== host) return "another host";
  if (!s.types.includes(invite.type)) return `type ${invite.type}`;
  const over = (allowed: string[], used: string[]) => !allowed.includes("*") && used.some((x) => !allowed.includes(x));
  if (over(s.roles, invite.roles)) return "its roles";
  if (over(s.groups, invite.groups)) return "its groups";
  if (s.maxUses !== null && (invite.usesAllowed === null || invite.usesAllowed > s.maxUses)) return "its number of uses";
  if (s.maxExpiryMs !== null && invite.expiresAt - Math.max(now, invite.createdAt) > s.maxExpiryMs) return "its expiry";
  if ((invite.type === "contact" || invite.type === "account_and_contact") && !s.anyInviter && invite.inviter !== (s.inviter ?? null)) return "its inviter";
  if (invite.type === "reset" && invite.username !== null) {
    const listed = s.resetUsers && !s.resetUsers.includes("*");
    if (listed && !s.resetUsers!.includes(invite.username)) return "its account";
    if (!s.resetAdmins && isAdmin(`${invite.username}@${invite.host}`)) return "its account";
  }
  return undefined;
}
