// The commands that look at and change existing invites: list mine, list all (admins),
// revoke, and extend (Galène's /reinvite: a new expiry, and un-revoked).
import { formatDuration } from "../../core/types.js";
import type { AdhocCommand, AdhocRequest, AdhocResponse, DataForm, FormField } from "../../core/types.js";
import type { Invite, InviteStatus, InviteType, ListFilter } from "../invites/types.js";
import { errors } from "./errors.js";
import { describeInvite, expiresValue, requiredText, textValue, xmppTime } from "./fields.js";
import { NODES, type CommandDeps } from "./create.js";

/** Invites per page of a listing (a form of one fixed field each). */
export const PAGE_SIZE = 20;
const WEEK_MS = 7 * 86_400_000;
const STATUSES: readonly InviteStatus[] = ["pending", "used", "expired", "revoked"];
const TYPES: readonly InviteType[] = ["account", "contact", "account_and_contact", "reset"];

interface PageState { stage: "page"; filter: ListFilter; cursors: (string | null)[]; next: string | null }

/** One page of a listing; "next"/"prev" move through it while there is more. */
async function listPage(deps: CommandDeps, filter: ListFilter, cursors: (string | null)[], admin: boolean): Promise<AdhocResponse> {
  const cursor = cursors[cursors.length - 1] ?? undefined;
  const page = await deps.invites.list({ ...filter, limit: PAGE_SIZE, ...(cursor === undefined ? {} : { cursor }) });
  const now = (deps.now ?? Date.now)();
  if (page.invites.length === 0 && page.cursor === undefined && cursors.length === 1) {
    return { status: "completed", notes: [{ type: "info", text: "No invites found." }] };
  }
  const fields: FormField[] = page.invites.map((inv, i) => ({
    var: `invite-${i + 1}`, type: "fixed", value: describeInvite(inv, deps.invites.status(inv, now), { inviter: admin }),
  }));
  const title = `Invites, page ${cursors.length}`;
  if (page.cursor === undefined) return { status: "completed", form: { type: "result", title, fields } };
  const state: PageState = { stage: "page", filter, cursors, next: page.cursor };
  return {
    status: "executing", form: { type: "form", title, instructions: "Next shows more.", fields }, state,
    actions: cursors.length > 1 ? ["prev", "next", "complete"] : ["next", "complete"],
  };
}

/** Later pages of a listing: the action moves the cursor. */
function turnPage(deps: CommandDeps, req: AdhocRequest, admin: boolean): Promise<AdhocResponse> | AdhocResponse {
  const s = req.state as PageState;
  if (req.action === "complete") return { status: "completed" };
  if (req.action === "prev") return listPage(deps, s.filter, s.cursors.length > 1 ? s.cursors.slice(0, -1) : s.cursors, admin);
  return listPage(deps, s.filter, s.next === null ? s.cursors : [...s.cursors, s.next], admin);
}

export function listCommand(deps: CommandDeps): AdhocCommand {
  return {
    node: NODES.list, name: "List my invites", permission: "local_user",
    handler(req) {
      const refused = deps.policy.refuseForeign(req, true);
      if (refused) return refused;
      if (req.state !== undefined) return turnPage(deps, req, false);
      return listPage(deps, { inviter: req.fromBare.toLowerCase() }, [null], false);
    },
  };
}

export function listAllCommand(deps: CommandDeps): AdhocCommand {
  return {
    node: NODES.listAll, name: "List all invites", permission: "admin",
    form() {
      const fields: FormField[] = [
          { var: "status", type: "list-single", label: "Status", value: "pending", options: [{ value: "all", label: "any" }, ...STATUSES.map((s) => ({ value: s }))] },
          { var: "type", type: "list-single", label: "Type", value: "all", options: [{ value: "all", label: "any" }, ...TYPES.map((t) => ({ value: t }))] },
        ];
        if (deps.policy.hosts.length > 1) fields.push({ var: "host", type: "list-single", label: "Server", value: "all", options: [{ value: "all", label: "any" }, ...deps.policy.hosts.map((h) => ({ value: h }))] });
      fields.push({ var: "inviter", type: "jid-single", label: "Created by (optional)" });
      return { type: "form", title: "List all invites", fields };
    },
    handler(req) {
      if (req.state !== undefined) return turnPage(deps, req, true);
      return listPage(deps, readFilter(deps, req), [null], true);
    },
  };
}

function readFilter(deps: CommandDeps, req: AdhocRequest): ListFilter {
  const v = req.values;
  const filter: ListFilter = {};
  const status = textValue(v, "status") ?? "all";
  if (status !== "all") {
    if (!STATUSES.includes(status as InviteStatus)) throw errors.bad_field(`Field "status": expected one of all, ${STATUSES.join(", ")}, got ${JSON.stringify(status)}`, { field: "status" });
    filter.status = status as InviteStatus;
  }
  const type = textValue(v, "type") ?? "all";
  if (type !== "all") {
    if (!TYPES.includes(type as InviteType)) throw errors.bad_field(`Field "type": expected one of all, ${TYPES.join(", ")}, got ${JSON.stringify(type)}`, { field: "type" });
    filter.type = type as InviteType;
  }
  const host = textValue(v, "host")?.toLowerCase() ?? "all";
  if (host !== "all") {
    if (!deps.policy.hosts.includes(host)) throw errors.bad_field(`Field "host": ${JSON.stringify(host)} is not served here (${deps.policy.hosts.join(", ")})`, { field: "host" });
    filter.host = host;
  }
  const inviter = textValue(v, "inviter", 3071)?.toLowerCase();
  if (inviter !== undefined) {
    if (!/^([^@/\s]+@)?[^@/\s]+$/.test(inviter)) throw errors.bad_field(`Field "inviter": ${JSON.stringify(inviter)} is not a bare JID`, { field: "inviter" });
    filter.inviter = inviter;
  }
  return filter;
}

/**
 * The first stage of revoke and extend: admins type an invite id, token or short code;
 * users pick one of their own invites that the command applies to.
 */
async function pickInvite(deps: CommandDeps, req: AdhocRequest, applies: (s: InviteStatus) => boolean, none: string): Promise<FormField | string> {
  if (req.isAdmin) return { var: "invite", type: "text-single", label: "Invite id, token or short code", required: true };
  const now = (deps.now ?? Date.now)();
  const page = await deps.invites.list({ inviter: req.fromBare.toLowerCase(), limit: 100 });
  const mine = page.invites.map((inv) => ({ inv, status: deps.invites.status(inv, now) })).filter((x) => applies(x.status));
  if (mine.length === 0) return none;
  return {
    var: "invite", type: "list-single", label: "Invite", required: true,
    options: mine.map(({ inv, status }) => ({ value: inv.id, label: describeInvite(inv, status) })),
  };
}

/** The form of revoke and extend: the invite to act on, then `more`; a note when there is nothing to pick. */
async function pickForm(deps: CommandDeps, req: AdhocRequest, title: string, applies: (s: InviteStatus) => boolean, none: string, ...more: FormField[]): Promise<DataForm | AdhocResponse> {
  const refused = deps.policy.refuseForeign(req);
  if (refused) return refused;
  const field = await pickInvite(deps, req, applies, none);
  if (typeof field === "string") return { status: "completed", notes: [{ type: "info", text: field }] };
  return { type: "form", title, fields: [field, ...more] };
}

/** The invite named in the submitted form, if the requester may change it. */
async function chosenInvite(deps: CommandDeps, req: AdhocRequest, verb: string): Promise<Invite> {
  const key = requiredText(req.values, "invite", 200);
  if (!req.isAdmin) await deps.policy.checkLookups(req);
  const invite = await deps.invites.find(key);
  if (invite && deps.policy.mayManage(req, invite)) return invite;
  // A user hears the same for "no such invite" and "someone else's", and a few misses a minute
  // at most: the command is no oracle for guessing other people's invite ids or tokens.
  if (!req.isAdmin) {
    await deps.policy.missedLookup(req);
    throw errors.not_found(`Field "invite": you have no invite with the id, token or short code ${JSON.stringify(key)}; you may only ${verb} your own invites`, { field: "invite" });
  }
  throw errors.not_found(`Field "invite": no invite has the id, token or short code ${JSON.stringify(key)}`, { field: "invite" });
}

export function revokeCommand(deps: CommandDeps): AdhocCommand {
  return {
    node: NODES.revoke, name: "Revoke an invite", permission: "local_user",
    form: (req) => pickForm(deps, req, "Revoke an invite", (s) => s === "pending", "You have no pending invites to revoke."),
    async handler(req) {
      const invite = await chosenInvite(deps, req, "revoke");
      if (invite.revokedAt !== null) return { status: "completed", notes: [{ type: "info", text: `Invite ${invite.id} was already revoked.` }] };
      await deps.invites.revoke(invite.id, req.fromBare.toLowerCase());
      return { status: "completed", notes: [{ type: "info", text: `Invite ${invite.id} is revoked: its link no longer works.` }] };
    },
  };
}

export function extendCommand(deps: CommandDeps): AdhocCommand {
  return {
    node: NODES.extend, name: "Extend an invite", permission: "local_user",
    form(req) {
      const maxMs = req.isAdmin ? undefined : deps.maxUserExpiryMs;
      return pickForm(deps, req, "Extend an invite", (s) => s !== "used", "You have no invites that can be extended (used invites cannot).", {
        var: "expires-after", type: "text-single", label: "Valid for", required: true, value: formatDuration(Math.min(WEEK_MS, maxMs ?? WEEK_MS)),
        desc: `From now: a duration such as "1 week", "2d" or "12h", or a date such as 2026-12-01${maxMs === undefined ? "" : ` (at most ${formatDuration(maxMs)})`}. A revoked invite becomes valid again.`,
      });
    },
    async handler(req) {
      const maxMs = req.isAdmin ? undefined : deps.maxUserExpiryMs;
      const invite = await chosenInvite(deps, req, "extend");
      const now = (deps.now ?? Date.now)();
      requiredText(req.values, "expires-after", 100);
      const expiresAt = expiresValue(req.values, "expires-after", now, maxMs)!;
      const status = deps.invites.status(invite, now);
      if (status === "used") throw errors.used_up(`Invite ${invite.id} has been used up; a new expiry would not make it usable again`, { field: "invite" });
      // Bringing back an expired or revoked invite makes one more pending invite.
      const updated = await deps.policy.oneAtATime(req, async () => {
        if (status !== "pending") await deps.policy.checkPending(req);
        return deps.invites.extend(invite.id, expiresAt, req.fromBare.toLowerCase());
      });
      return { status: "completed", notes: [{ type: "info", text: `Invite ${updated.id} is valid until ${xmppTime(updated.expiresAt)}.` }] };
    },
  };
}
