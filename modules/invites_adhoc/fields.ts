// Reading submitted XEP-0004 values and writing result forms. Pure functions: every bad
// value is answered with invites_adhoc.bad_field (bad-request) naming the field.
import { isModuleError } from "../../core/types.js";
import type { DataForm, FormField } from "../../core/types.js";
import { parseUses, parseWhen, requireWithin } from "../invites/index.js";
import type { CreatedInvite, Invite, InviteStatus } from "../invites/types.js";
import { errors } from "./errors.js";

export type Values = Record<string, string | string[]>;

/** XEP-0401 §5 result form type (what ejabberd and clients that know XEP-0401 read). */
export const INVITATION_FORM_TYPE = "urn:xmpp:invite#invitation";

const MAX_TEXT = 1000;

const bad = (field: string, why: string) => errors.bad_field(`Field "${field}": ${why}`, { field });

/** A single-valued field's value; several values are refused (core checks declared forms too). */
function first(values: Values, name: string): string | undefined {
  const v = values[name];
  if (!Array.isArray(v)) return v;
  if (v.length > 1) throw bad(name, `takes one value, got ${v.length}`);
  return v[0];
}

/** A single text value, trimmed; undefined when absent or empty. */
export function textValue(values: Values, name: string, maxLength = MAX_TEXT): string | undefined {
  const v = first(values, name)?.trim();
  if (v === undefined || v === "") return undefined;
  if (v.length > maxLength) throw bad(name, `longer than ${maxLength} characters`);
  return v;
}

export function requiredText(values: Values, name: string, maxLength = MAX_TEXT): string {
  const v = textValue(values, name, maxLength);
  if (v === undefined) throw bad(name, "is required");
  return v;
}

/** XEP-0004 §3.3 boolean: "0"/"1"/"false"/"true". */
export function boolValue(values: Values, name: string, fallback = false): boolean {
  const v = first(values, name)?.trim().toLowerCase();
  if (v === undefined || v === "") return fallback;
  if (v === "1" || v === "true") return true;
  if (v === "0" || v === "false") return false;
  throw bad(name, `expected true or false, got ${JSON.stringify(v)}`);
}

/** text-multi / list-multi: one name per value or per line, commas also separate. */
export function listValue(values: Values, name: string): string[] {
  const raw = values[name];
  const all = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).flatMap((v) => v.split(/[\n,]/));
  const names = all.map((s) => s.trim()).filter((s) => s !== "");
  const tooLong = names.find((s) => s.length > 256);
  if (tooLong !== undefined) throw bad(name, `${JSON.stringify(tooLong.slice(0, 40) + "…")} is longer than 256 characters`);
  return [...new Set(names)];
}

/** Number of uses (modules/invites/parse.ts: a whole number or "unlimited"); undefined = default. */
export function usesValue(values: Values, name: string): number | null | undefined {
  const v = textValue(values, name);
  return v === undefined ? undefined : parseUses(v, name, `Field "${name}"`);
}

/**
 * When the invite expires: a duration from now ("1 week", "2d", "12h") or an absolute
 * time ("2026-12-01", XEP-0082 "2026-12-01T10:00:00Z"). Undefined = default.
 */
export function expiresValue(values: Values, name: string, now: number, maxMs?: number): number | undefined {
  const v = textValue(values, name, 100);
  if (v === undefined) return undefined;
  const at = parseWhen(v, name, now, "duration or date", `Field "${name}"`);
  if (maxMs !== undefined) requireWithin(at, now, maxMs, name, "max_user_invite_expiry", `Field "${name}"`);
  return at;
}

/** XEP-0082 DateTime in UTC, without fractions of a second (as Prosody writes it). */
export function xmppTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Errors from the invites module that name one of its own fields are re-raised as
 * bad-request naming the form field the user filled in.
 */
export function renameFieldError(e: unknown, fieldMap: Record<string, string>): unknown {
  if (!isModuleError(e) || !e.code.startsWith("invites.")) return e;
  const field = e.detail?.["field"];
  if (typeof field !== "string" || !(field in fieldMap)) return e;
  return bad(fieldMap[field]!, e.message);
}

/** The XEP-0401 result: uri, landing-url, expire; then what we add (id, short link). */
export function invitationForm(created: CreatedInvite, title: string): DataForm {
  const { invite } = created;
  const fields: FormField[] = [
    { var: "FORM_TYPE", type: "hidden", value: INVITATION_FORM_TYPE },
    { var: "uri", type: "text-single", label: "Invite URI", value: created.uri },
  ];
  if (created.landingUrl !== undefined) fields.push({ var: "landing-url", type: "text-single", label: "Invite web page", value: created.landingUrl });
  fields.push({ var: "expire", type: "text-single", label: "Expires", value: xmppTime(invite.expiresAt) });
  fields.push({ var: "id", type: "text-single", label: "Invite id (to revoke or extend it)", value: invite.id });
  if (created.shortUrl !== undefined) fields.push({ var: "short-url", type: "text-single", label: "Short link", value: created.shortUrl });
  if (invite.shortCode !== null) fields.push({ var: "short-code", type: "text-single", label: "Short code", value: invite.shortCode });
  if (created.greeterToken !== undefined) fields.push({ var: "greeter-token", type: "text-private", label: "Invitation token (invitectl invite greet)", value: created.greeterToken });
  return { type: "result", title, fields };
}

const TYPE_TEXT: Record<Invite["type"], string> = {
  account: "account", contact: "contact", account_and_contact: "account + contact", reset: "password reset",
};

/** One line per invite, for lists and pick lists. */
export function describeInvite(invite: Invite, status: InviteStatus, opts: { inviter?: boolean } = {}): string {
  const parts = [invite.id, TYPE_TEXT[invite.type], status];
  parts.push(status === "expired" ? `expired ${xmppTime(invite.expiresAt)}` : `expires ${xmppTime(invite.expiresAt)}`);
  parts.push(`uses ${invite.usesCompleted}/${invite.usesAllowed ?? "unlimited"}`);
  if (invite.username !== null) parts.push(`for ${invite.username}@${invite.host}`);
  else parts.push(`on ${invite.host}`);
  if (opts.inviter && invite.inviter !== null) parts.push(`by ${invite.inviter}`);
  if (invite.note !== null) parts.push(`note: ${invite.note.length > 60 ? invite.note.slice(0, 60) + "…" : invite.note}`);
  return parts.join(" · ");
}
