// The JSON API routes of this module, under invites_api's /v1 and its API keys:
//   GET  /v1/agreements                 the agreements of the key's host      (scope: signatures)
//   GET  /v1/signatures[?jid=&limit=&cursor=]  signatures on that host        (scope: signatures)
//   POST /v1/users/{jid}/deactivate     {"tree"?: bool, "confirm"?: bool}     (scope: deactivate)
//   POST /v1/users/{jid}/reactivate                                           (scope: deactivate)
import type { HttpRequest } from "../../core/types.js";
import type { CallerKey, InvitesApiModule } from "../invites_api/types.js";
import type { InvitesRegisterApi } from "../invites_register/types.js";
import { accountJid, branchOf, deactivate, deactivatedJson, reactivate, reactivatedJson, type UsersDeps } from "./deactivate.js";
import { errors } from "./errors.js";

/** Query parameters, each at most once and among `allowed`. */
function query(req: HttpRequest, allowed: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.query)) {
    if (!allowed.includes(k)) throw errors.bad_request(`Unknown parameter ${JSON.stringify(k)}${allowed.length ? ` (allowed: ${allowed.join(", ")})` : ""}`, { field: k });
    if (typeof v !== "string") throw errors.bad_request(`Give ${k} once`, { field: k });
    out[k] = v;
  }
  return out;
}

/** A JSON object body with only `allowed` boolean fields ({} without a body). */
function flags(req: HttpRequest, allowed: readonly string[]): Record<string, boolean> {
  const body: unknown = req.body ?? {};
  if (typeof body !== "object" || body === null || Array.isArray(body)) throw errors.bad_request("Send a JSON object (or no body)");
  const out: Record<string, boolean> = {};
  for (const [k, v] of Object.entries(body)) {
    if (!allowed.includes(k)) throw errors.bad_request(`Unknown field ${JSON.stringify(k)} (allowed: ${allowed.join(", ")})`, { field: k });
    if (typeof v !== "boolean") throw errors.bad_request(`${k} must be true or false`, { field: k });
    out[k] = v;
  }
  return out;
}

/** The path's account, on the key's host and not an administrator's. */
function target(d: UsersDeps, isAdmin: (jid: string) => boolean, key: CallerKey, raw: unknown): string {
  const { jid, host } = accountJid(d, raw);
  if (host !== key.host) throw errors.forbidden(`This API key is for ${key.host}, not ${host}`, { field: "jid" });
  if (isAdmin(jid)) throw errors.forbidden(`${jid} is an administrator: deactivate it with invitectl user deactivate`, { field: "jid" });
  return jid;
}

export function addRoutes(api: Pick<InvitesApiModule, "route">, d: UsersDeps, register: Pick<InvitesRegisterApi, "agreements" | "signatures">, isAdmin: (jid: string) => boolean): void {
  api.route({
    method: "get", path: "/v1/agreements", operation: "signatures", summary: "The agreements the key's host requires before an account is created",
    async handle(req, key) {
      query(req, []);
      return { body: { host: key.host, agreements: register.agreements(key.host).map((a) => ({ id: a.id, version: a.version, title: a.title })) } };
    },
  });
  api.route({
    method: "get", path: "/v1/signatures", operation: "signatures", summary: "Signatures on the key's host, newest first (jid: of one account)",
    async handle(req, key) {
      const q = query(req, ["jid", "limit", "cursor"]);
      const limit = q["limit"] === undefined ? 50 : Number(q["limit"]);
      const jid = q["jid"] === undefined ? undefined : accountJid(d, q["jid"]).jid;
      if (jid !== undefined && !jid.endsWith(`@${key.host}`)) throw errors.forbidden(`This API key is for ${key.host}`, { field: "jid" });
      const page = await register.signatures({ host: key.host, limit, ...(jid ? { jid } : {}), ...(q["cursor"] !== undefined ? { cursor: q["cursor"] } : {}) });
      return {
        body: {
          signatures: page.signatures.map((s) => ({ jid: s.jid, agreement: s.agreement, version: s.version, lang: s.lang, signed_at: new Date(s.signedAt).toISOString(), invite: s.inviteId, source: s.source })),
          next_cursor: page.cursor ?? null,
        },
      };
    },
  });
  api.route({
    method: "post", path: "/v1/users/:jid/deactivate", operation: "deactivate",
    summary: "Lock an account, revoke its pending invites and delete its API keys; with tree, also its branch of the invite tree (confirm: true to do it, else the list)",
    async handle(req, key) {
      query(req, []);
      const f = flags(req, ["tree", "confirm"]);
      const jid = target(d, isAdmin, key, req.params["jid"]);
      const by = `api/key/${key.id}`;
      const accounts = f["tree"] ? [jid, ...(await branchOf(d, jid)).filter((j) => !isAdmin(j))] : [jid];
      if (f["tree"] && !f["confirm"]) return { body: { confirm: true, accounts, deactivated: [] } };
      const deactivated = [];
      for (const a of accounts) deactivated.push(deactivatedJson(await deactivate(d, a, by)));
      return { body: { deactivated } };
    },
  });
  api.route({
    method: "post", path: "/v1/users/:jid/reactivate", operation: "deactivate", summary: "Undo a deactivation: re-enable the account, or a password reset invite for its owner",
    async handle(req, key) {
      query(req, []);
      flags(req, []);
      const jid = target(d, isAdmin, key, req.params["jid"]);
      return { body: reactivatedJson(await reactivate(d, jid, `api/key/${key.id}`)) };
    },
  });
}
