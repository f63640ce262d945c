// Building a new invite record from CreateOptions, checking every field and naming the one
// at fault. Storing it and firing invite-created is api.ts's job.
import { errors } from "./errors.js";
import { newId, newToken, hashToken } from "./tokens.js";
import { formatDuration, illegalXmlChar } from "../../core/types.js";
import { checkUsername } from "./username.js";
import { parseBareJid } from "./uri.js";
import type { CreateOptions, Invite, InviteType } from "./types.js";

export interface CreateSettings {
  hosts: readonly string[];
  expiryMs: number;
  resetExpiryMs: number;
  /** Longest lifetime of an account or contact invite (max_invite_expiry). */
  maxExpiryMs: number;
  /** Longest lifetime of a reset invite (max_reset_invite_expiry). */
  maxResetExpiryMs: number;
  maxUsernameLength: number;
}

const MAX_NOTE = 1000;
/** Where a greeted invite says so (in `extra`, so the record keeps its shape). */
const GREETED = "greeted";

/** Whether the account may be made only through a greeting (invites_greeting). */
export function isGreeted(invite: Pick<Invite, "extra">): boolean {
  return invite.extra[GREETED] === true;
}
const MAX_LABEL = 256;

export function checkHost(host: unknown, hosts: readonly string[]): string {
  const h = typeof host === "string" ? host.trim().toLowerCase() : "";
  if (!hosts.includes(h)) throw errors.unknown_host(`Unknown host ${JSON.stringify(host)}: this service serves ${hosts.join(", ") || "no hosts"}`, { field: "host", host });
  return h;
}

/** A bare JID, normalized (domain lower case, localpart case-mapped and a valid username). */
export function normalizeJid(text: unknown, field: string): string {
  const jid = typeof text === "string" ? parseBareJid(text.trim()) : undefined;
  if (!jid) throw errors.bad_jid(`${field}: ${JSON.stringify(text)} is not a bare JID (user@host)`, { field });
  if (jid.local === undefined) return jid.domain;
  const local = checkUsername(jid.local);
  if (!local.ok) throw errors.bad_jid(`${field}: ${JSON.stringify(text)} is not a user's JID: ${local.reason}`, { field });
  return `${local.username}@${jid.domain}`;
}

/**
 * Text that ends up in stanzas (notes and labels in ad-hoc answers): what XML 1.0 cannot carry
 * is refused here, naming the field, rather than breaking the component link later.
 */
export function checkText(value: string, field: string): string {
  const bad = illegalXmlChar(value);
  if (bad) throw errors.bad_request(`${field} contains ${bad}, a character XML cannot carry`, { field, char: bad });
  return value;
}

export function checkUses(uses: unknown): number | null {
  if (uses === null) return null;
  if (typeof uses !== "number" || !Number.isInteger(uses) || uses < 1 || uses > 1_000_000_000) {
    throw errors.bad_uses(`uses must be a whole number of at least 1, or unlimited; got ${JSON.stringify(uses)}`, { field: "uses" });
  }
  return uses;
}

function labels(list: unknown, field: string): string[] {
  if (list === undefined || list === null) return [];
  if (!Array.isArray(list) || list.some((x) => typeof x !== "string" || x.trim() === "" || x.length > MAX_LABEL)) {
    throw errors.bad_request(`${field} must be a list of non-empty names`, { field });
  }
  return [...new Set((list as string[]).map((x) => checkText(x.trim(), field)))];
}

function time(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) throw errors.bad_duration(`${field} must be a time (epoch milliseconds)`, { field });
  return value;
}

/**
 * Every way to set an expiry (ctl, API, ad-hoc; create, extend, update) stops at the
 * configured maximum for the invite's type, and says which option sets it.
 */
export function checkLifetime(type: InviteType, expiresAt: number, now: number, s: Pick<CreateSettings, "maxExpiryMs" | "maxResetExpiryMs">): number {
  const reset = type === "reset";
  const max = reset ? s.maxResetExpiryMs : s.maxExpiryMs;
  if (expiresAt - now > max) {
    const option = reset ? "max_reset_invite_expiry" : "max_invite_expiry";
    throw errors.bad_duration(`expires: at most ${formatDuration(max)} from now is allowed for ${reset ? "reset" : "account and contact"} invites (${option})`, { field: "expires", limit: option });
  }
  return expiresAt;
}

export function buildInvite(type: InviteType, opts: CreateOptions, s: CreateSettings, now: number): { invite: Invite; token: string } {
  const host = checkHost(opts.host, s.hosts);
  let username: string | null = null;
  if (opts.username !== undefined && opts.username !== null) {
    const check = checkUsername(opts.username, { maxLength: s.maxUsernameLength });
    if (!check.ok) throw errors.bad_username(`username ${JSON.stringify(opts.username)}: ${check.reason}`, { field: "username" });
    username = check.username;
  }
  if (type === "reset" && username === null) throw errors.bad_username("A reset invite needs the account's username", { field: "username" });
  const email = opts.email ?? null;
  if (email !== null && (typeof email !== "string" || !/^[^\s@\p{Cc}]+@[^\s@\p{Cc}]+$/u.test(email) || email.length > 254 || illegalXmlChar(email))) {
    throw errors.bad_request(`email ${JSON.stringify(email)} is not an email address`, { field: "email" });
  }
  const inviter = opts.inviter === undefined || opts.inviter === null ? null : normalizeJid(opts.inviter, "inviter");
  if (type === "contact" || type === "account_and_contact") {
    if (inviter === null) throw errors.bad_jid("A contact invite needs the inviter's JID", { field: "inviter" });
    // The URI names the inviter's JID, and registration (ibr=y) happens on its domain.
    if (inviter.slice(inviter.lastIndexOf("@") + 1) !== host) throw errors.bad_jid(`inviter ${inviter} is not a user of ${host}`, { field: "inviter" });
  }
  const note = opts.note ?? null;
  if (note !== null && (typeof note !== "string" || note.length > MAX_NOTE)) throw errors.bad_request(`note must be text of at most ${MAX_NOTE} characters`, { field: "note" });
  if (note !== null) checkText(note, "note");
  if (typeof opts.source !== "string" || opts.source === "") throw errors.bad_request("source is required (e.g. \"ctl\", \"api/key/<id>\")", { field: "source" });

  const usesAllowed = opts.usesAllowed === undefined ? 1 : checkUses(opts.usesAllowed);
  const notBefore = opts.notBefore === undefined || opts.notBefore === null ? null : time(opts.notBefore, "not_before");
  const expiresAt = opts.expiresAt === undefined
    ? Math.min(now + (type === "reset" ? s.resetExpiryMs : s.expiryMs), opts.expiryCap === undefined ? Infinity : time(opts.expiryCap, "expires"))
    : time(opts.expiresAt, "expires");
  if (expiresAt <= now) throw errors.bad_duration("The expiry is in the past", { field: "expires" });
  checkLifetime(type, expiresAt, now, s);
  if (notBefore !== null && notBefore >= expiresAt) throw errors.bad_duration("not_before must be earlier than the expiry", { field: "not_before" });
  if (opts.greeted === true) {
    if (type !== "account" && type !== "account_and_contact") throw errors.bad_request("Only account invites can be greeted", { field: "greeted" });
    if (usesAllowed !== 1) throw errors.bad_uses("A greeted invite is for one person: it allows exactly one use", { field: "uses" });
  }

  const token = newToken();
  const invite: Invite = {
    id: newId(),
    tokenHash: hashToken(token),
    type,
    host,
    username,
    email,
    inviter,
    source: opts.source,
    roles: labels(opts.roles, "roles"),
    groups: labels(opts.groups, "groups"),
    note,
    usesAllowed,
    usesPending: 0,
    usesCompleted: 0,
    reservations: {},
    createdAt: now,
    notBefore,
    expiresAt,
    revokedAt: null,
    usedAt: null,
    shortCode: null,
    shortCodeHash: null,
    shortCodeExpiresAt: null,
    extra: { ...(opts.extra ?? {}), ...(opts.greeted === true ? { [GREETED]: true } : {}) },
  };
  return { invite, token };
}
