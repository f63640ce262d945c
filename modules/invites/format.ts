// Human and JSON renderings of invites for the ctl (and any other admin surface).
import { formatCode } from "./codes.js";
import { isGreeted } from "./create.js";
import type { Invite, InviteDetail, InviteStatus } from "./types.js";

type Details = Record<string, InviteDetail> | undefined;

const iso = (ms: number | null) => (ms === null ? "-" : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));

/** What an admin may see of an invite: everything but the token hash and reservation ids. */
export function publicView(invite: Invite, status: InviteStatus, details?: Details): Record<string, unknown> {
  const view: Record<string, unknown> = {
    id: invite.id,
    type: invite.type,
    status,
    host: invite.host,
    username: invite.username,
    email: invite.email,
    lang: typeof invite.extra["lang"] === "string" ? invite.extra["lang"] : null,
    inviter: invite.inviter,
    source: invite.source,
    roles: invite.roles,
    groups: invite.groups,
    note: invite.note,
    uses_allowed: invite.usesAllowed,
    uses_pending: invite.usesPending,
    uses_completed: invite.usesCompleted,
    created_at: iso(invite.createdAt),
    not_before: invite.notBefore === null ? null : iso(invite.notBefore),
    expires_at: iso(invite.expiresAt),
    revoked_at: invite.revokedAt === null ? null : iso(invite.revokedAt),
    used_at: invite.usedAt === null ? null : iso(invite.usedAt),
    short_code: invite.shortCode,
    short_code_expires_at: invite.shortCodeExpiresAt === null ? null : iso(invite.shortCodeExpiresAt),
    greeted: isGreeted(invite),
  };
  // Other modules' details (invite-details), never over the invite's own fields.
  for (const [name, d] of Object.entries(details ?? {})) if (!(name in view)) view[name] = d.json;
  return view;
}

const uses = (i: Invite) => `${i.usesCompleted}/${i.usesAllowed ?? "∞"}${i.usesPending ? ` (+${i.usesPending} pending)` : ""}`;

/** One line per invite for `list`. */
export function listLine(invite: Invite, status: InviteStatus, details?: Details): string {
  const who = invite.username ? `user=${invite.username}` : invite.inviter ? `inviter=${invite.inviter}` : "";
  // "email_delivery" -> email=sent: the first word says what it is about.
  const extra = Object.entries(details ?? {}).map(([name, d]) => `${name.split("_")[0]}=${d.short}`);
  return [invite.id, invite.type.padEnd(19), status.padEnd(7), `uses=${uses(invite)}`, `expires=${iso(invite.expiresAt)}`, who, ...extra, invite.note ? `note=${JSON.stringify(invite.note)}` : ""]
    .filter((x) => x !== "").join("  ");
}

export const LIST_HEADER = "ID            TYPE                 STATUS   USES / EXPIRY / DETAILS";

/** "key: value" lines for `show`. */
export function showLines(invite: Invite, status: InviteStatus, details?: Details): string[] {
  const lines = [
    `id:          ${invite.id}`,
    `type:        ${invite.type}`,
    `status:      ${status}`,
    `host:        ${invite.host}`,
  ];
  if (invite.username) lines.push(`username:    ${invite.username}`);
  if (invite.email) lines.push(`email:       ${invite.email}`);
  if (typeof invite.extra["lang"] === "string") lines.push(`language:    ${invite.extra["lang"]}`);
  if (invite.inviter) lines.push(`inviter:     ${invite.inviter}`);
  lines.push(`source:      ${invite.source}`);
  if (invite.roles.length) lines.push(`roles:       ${invite.roles.join(", ")}`);
  if (invite.groups.length) lines.push(`groups:      ${invite.groups.join(", ")}`);
  if (invite.note) lines.push(`note:        ${invite.note}`);
  if (isGreeted(invite)) lines.push("greeted:     yes (the account is made only through invitectl invite greet)");
  lines.push(`uses:        ${uses(invite)}`, `created:     ${iso(invite.createdAt)}`);
  if (invite.notBefore !== null) lines.push(`not before:  ${iso(invite.notBefore)}`);
  lines.push(`expires:     ${iso(invite.expiresAt)}`);
  if (invite.revokedAt !== null) lines.push(`revoked:     ${iso(invite.revokedAt)}`);
  if (invite.shortCode) lines.push(`short code:  ${formatCode(invite.shortCode)} (until ${iso(invite.shortCodeExpiresAt)})`);
  else if (invite.shortCodeHash) lines.push(`short code:  (shown once, at creation) until ${iso(invite.shortCodeExpiresAt)}`);
  for (const [name, d] of Object.entries(details ?? {})) lines.push(`${`${name.replace(/_/g, " ")}:`.padEnd(12)} ${d.text}`, ...(d.more ?? []));
  return lines;
}

export { iso };
