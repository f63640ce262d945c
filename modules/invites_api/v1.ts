// The JSON API under /v1: create, list, read, update and revoke invites with the same
// keys, each operation checked against the key's scope, and only on invites the key could
// have made itself. Keys go only in the Authorization header here: a key in a URL ends up
// in proxy and browser logs.
import type { HttpRequest, HttpResponse } from "../../core/types.js";
import type { CreatedInvite, Invite, InviteDetail, InviteStatus, InviteType, InvitesApi, UpdateOptions } from "../invites/types.js";
import { isGreeted } from "../invites/index.js";
import type { ApiKey } from "./keys.js";
import { errors } from "./errors.js";
import { createForKey, type KeyDeps } from "./create.js";
import { parseQuery, rawQuery } from "./params.js";
import { outOfScope, requireExpiry, requireGroups, requireOperation, requireRoles, requireType, requireUses } from "./scope.js";
import { CreateInviteBody, InviteId, ListQuery, UpdateInviteBody } from "./schemas.js";
import { parseExpiry, parseUses, validator } from "./validate.js";

type Authenticate = (req: HttpRequest, res: HttpResponse, queryKey: string | undefined) => Promise<ApiKey>;

interface CreateBody { type?: InviteType; uses?: number | "unlimited"; expires_after?: string; expires_at?: string; username?: string; inviter?: string; inviter_name?: string; roles?: string[]; groups?: string[]; note?: string | null; email?: string; lang?: string; preactivate?: boolean; greeted?: boolean }
interface UpdateBody { uses?: number | "unlimited"; expires_after?: string; expires_at?: string; note?: string | null; revoked?: boolean }
interface ListParams { status?: InviteStatus; type?: InviteType; cursor?: string; limit: number }

const checkCreate = validator<CreateBody>(CreateInviteBody, "body");
const checkUpdate = validator<UpdateBody>(UpdateInviteBody, "body");
const checkList = validator<ListParams>(ListQuery, "query");
const idPattern = new RegExp(InviteId.pattern);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The public JSON of an invite: never the token hash or the reservations; other modules' details (email_delivery) after its own fields. */
export function inviteJson(invites: InvitesApi, i: Invite, details?: Record<string, InviteDetail>) {
  const own: Record<string, unknown> = {
    id: i.id, type: i.type, host: i.host, status: invites.status(i),
    username: i.username, email: i.email, lang: typeof i.extra["lang"] === "string" ? i.extra["lang"] : null, preactivated: i.extra["preactivation"] === true,
    inviter: i.inviter, source: i.source, roles: i.roles, groups: i.groups, note: i.note,
    uses_allowed: i.usesAllowed, uses_pending: i.usesPending, uses_completed: i.usesCompleted,
    created_at: iso(i.createdAt), not_before: iso(i.notBefore), expires_at: iso(i.expiresAt), revoked_at: iso(i.revokedAt), used_at: iso(i.usedAt),
    greeted: isGreeted(i),
  };
  for (const [name, d] of Object.entries(details ?? {})) if (!(name in own)) own[name] = d.json;
  return own;
}

/** inviteJson of each, with what other modules know about them (one invite-details round). */
export async function invitesJson(invites: InvitesApi, list: Invite[]) {
  const details = await invites.details(list);
  return list.map((i) => inviteJson(invites, i, details.get(i.id)));
}

export async function createdJson(invites: InvitesApi, c: CreatedInvite) {
  const [invite] = await invitesJson(invites, [c.invite]);
  return { invite, token: c.token, uri: c.uri, landing_url: c.landingUrl ?? null, link: c.link, ...(c.greeterToken === undefined ? {} : { greeter_token: c.greeterToken }) };
}

/** A JSON body, or {} when the request has none. */
function jsonBody(req: HttpRequest): unknown {
  const hasBody = Number(req.headers["content-length"] ?? 0) > 0 || req.headers["transfer-encoding"] !== undefined;
  if (!hasBody) return {};
  if (!req.is("application/json")) throw errors.bad_request("Send a JSON object with Content-Type: application/json");
  return req.body;
}

export function v1Handlers(d: KeyDeps, authenticate: Authenticate, now: () => number) {
  const { invites } = d;
  /** Authenticates with the header only and refuses query parameters outside `allowed`. */
  async function start(req: HttpRequest, res: HttpResponse, allowed: readonly string[]): Promise<{ key: ApiKey; query: Record<string, string> }> {
    const query = rawQuery(req.originalUrl);
    if (/(^|&)key=/.test(query)) throw errors.bad_request("The JSON API takes the key only in Authorization: Bearer ID/SECRET (keys in URLs end up in logs)");
    const key = await authenticate(req, res, undefined);
    return { key, query: parseQuery(query, allowed) };
  }

  /**
   * An invite the key could have made itself (its host, types, roles, groups, uses, expiry,
   * inviter, reset account); anything else is "not found", so a key cannot probe beyond its scope.
   */
  async function ownInvite(key: ApiKey, id: string): Promise<Invite> {
    if (!idPattern.test(id)) throw errors.bad_parameter(`Invalid invite id: ${InviteId.description.toLowerCase()} is ${InviteId.pattern}`, { field: "id" });
    const invite = await invites.getById(id);
    if (!invite || outOfScope(key.scope, key.host, invite, now(), d.isAdmin) !== undefined) throw errors.not_found(`No invite ${id} on ${key.host}`);
    return invite;
  }

  const by = (key: ApiKey) => `api/key/${key.id}`;

  return {
    async create(req: HttpRequest, res: HttpResponse) {
      const { key } = await start(req, res, []);
      const body = checkCreate(jsonBody(req));
      const at = now();
      const expiresAt = parseExpiry(body.expires_after, body.expires_at, ["expires_after", "expires_at"], at);
      const created = await createForKey(d, key, {
        type: body.type ?? "account",
        ...(body.uses !== undefined ? { uses: parseUses(body.uses, "uses") } : {}),
        ...(expiresAt !== undefined ? { expiresAt } : {}),
        ...(body.username !== undefined ? { username: body.username } : {}),
        ...(body.inviter !== undefined ? { inviter: body.inviter } : {}),
        ...(body.roles !== undefined ? { roles: body.roles } : {}),
        ...(body.groups !== undefined ? { groups: body.groups } : {}),
        ...(body.note !== undefined ? { note: body.note } : {}),
        ...(body.email !== undefined ? { email: body.email } : {}),
        ...(body.lang !== undefined ? { lang: body.lang } : {}),
        ...(body.preactivate !== undefined ? { preactivate: body.preactivate } : {}),
        ...(body.greeted === true ? { greeted: true } : {}),
        ...(body.inviter_name !== undefined ? { inviterName: body.inviter_name } : {}),
      }, at);
      res.setHeader("Location", `${req.baseUrl}/v1/invites/${created.invite.id}`);
      res.setHeader("Cache-Control", "no-store");
      res.status(201).json(await createdJson(invites, created));
    },

    async list(req: HttpRequest, res: HttpResponse) {
      const { key, query } = await start(req, res, Object.keys(ListQuery.properties));
      const q = checkList({ ...query });
      requireOperation(key.scope, "list");
      if (q.type !== undefined) requireType(key.scope, q.type);
      const page = await invites.list({ host: key.host, limit: q.limit, ...(q.type ? { type: q.type } : {}), ...(q.status ? { status: q.status } : {}), ...(q.cursor ? { cursor: q.cursor } : {}) });
      // A key sees only invites inside its scope (a page may then hold fewer than limit).
      const at = now();
      const shown = page.invites.filter((i) => outOfScope(key.scope, key.host, i, at, d.isAdmin) === undefined);
      res.json({ invites: await invitesJson(invites, shown), next_cursor: page.cursor ?? null });
    },

    async read(req: HttpRequest, res: HttpResponse) {
      const { key } = await start(req, res, []);
      requireOperation(key.scope, "read");
      res.json({ invite: (await invitesJson(invites, [await ownInvite(key, String(req.params["id"]))]))[0] });
    },

    async update(req: HttpRequest, res: HttpResponse) {
      const { key } = await start(req, res, []);
      const body = checkUpdate(jsonBody(req));
      const { revoked, ...rest } = body;
      if (Object.keys(rest).length > 0 || revoked === false) requireOperation(key.scope, "update");
      if (revoked === true) requireOperation(key.scope, "revoke");
      const invite = await ownInvite(key, String(req.params["id"]));
      const changes: UpdateOptions = {};
      if (body.uses !== undefined) { changes.usesAllowed = parseUses(body.uses, "uses"); requireUses(key.scope, changes.usesAllowed); }
      const at = now();
      const expiresAt = parseExpiry(body.expires_after, body.expires_at, ["expires_after", "expires_at"], at);
      if (expiresAt !== undefined) { requireExpiry(key.scope, expiresAt, at); changes.expiresAt = expiresAt; }
      if (body.note !== undefined) changes.note = body.note;
      if (revoked === false) {
        // Bringing an invite back needs the rights to make it: create, and its roles and groups.
        requireOperation(key.scope, "create");
        requireRoles(key.scope, invite.roles);
        requireGroups(key.scope, invite.groups);
        if (revoked === false) changes.unrevoke = true;
      }
      let updated = Object.keys(changes).length ? await invites.update(invite.id, changes, by(key)) : invite;
      if (revoked === true) updated = await invites.revoke(invite.id, by(key));
      res.json({ invite: (await invitesJson(invites, [updated]))[0] });
    },

    async revoke(req: HttpRequest, res: HttpResponse) {
      const { key } = await start(req, res, []);
      requireOperation(key.scope, "revoke");
      const invite = await ownInvite(key, String(req.params["id"]));
      res.json({ invite: (await invitesJson(invites, [await invites.revoke(invite.id, by(key))]))[0] });
    },
  };
}
