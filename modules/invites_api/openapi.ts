// The OpenAPI 3.1 document served at /invites_api/v1/openapi.json. Its schemas are the
// objects the validators compile (schemas.ts); a module test checks that its paths and
// methods are exactly the routes the router has.
import { CreatedJson, CreateInviteBody, ErrorJson, InviteId, InviteJson, InviteListJson, ListQuery, UpdateInviteBody } from "./schemas.js";
import { INVITE_TYPES } from "./scope.js";
import type { ApiRoute } from "./types.js";

const err = (description: string) => ({ description, content: { "application/json": { schema: ErrorJson } } });
const retry = { "Retry-After": { description: "seconds to wait", schema: { type: "integer" } } };
const common = {
  400: err("bad input: unknown, repeated or invalid parameter or field (named in message)"),
  401: { ...err("missing, malformed, wrong, deleted or expired key (WWW-Authenticate: Bearer)"), headers: { "WWW-Authenticate": { schema: { type: "string" } } } },
  403: err("the key's scope does not allow this"),
  429: { ...err("rate limit of the key, or of failed authentications from this address"), headers: retry },
};
const json = (schema: object, description: string) => ({ description, content: { "application/json": { schema } } });
const idParam = { name: "id", in: "path", required: true, schema: InviteId };

const legacyParams = [
  { name: "key", in: "query", description: "ID/SECRET, when not sent as Authorization: Bearer", schema: { type: "string", maxLength: 256 } },
  { name: "redirect", in: "query", description: "true: answer 303 See Other instead of 201", schema: { type: "string", enum: ["", "true", "false", "1", "0", "yes", "no"] } },
  { name: "type", in: "query", schema: { enum: INVITE_TYPES, default: "account" } },
  { name: "uses", in: "query", schema: { type: "string", pattern: "^([1-9][0-9]{0,9}|unlimited)$" } },
  { name: "expires-after", in: "query", description: "e.g. 7d, 12h, \"1 week\"", schema: { type: "string" } },
  { name: "username", in: "query", schema: { type: "string" } },
  { name: "inviter", in: "query", description: "JID for contact invites", schema: { type: "string" } },
  { name: "roles", in: "query", description: "comma-separated", schema: { type: "string" } },
  { name: "groups", in: "query", description: "comma-separated", schema: { type: "string" } },
  { name: "note", in: "query", schema: { type: "string", maxLength: 1000 } },
];

const legacy = (method: string) => ({
  summary: `Create an invite (Prosody mod_invites_api compatible, ${method})`,
  security: [{ bearer: [] }, { queryKey: [] }],
  parameters: legacyParams,
  responses: {
    201: { description: "created; Location is the landing page URL, or the xmpp: URI without one", headers: { Location: { schema: { type: "string" } } } },
    303: { description: "created, with redirect=true; Location as for 201", headers: { Location: { schema: { type: "string" } } } },
    ...common,
    405: err("the key does not allow this HTTP method"),
  },
});

/** The routes other modules added, as OpenAPI paths. */
function addedPaths(routes: readonly ApiRoute[]): Record<string, Record<string, unknown>> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, "{$1}");
    const params = [...r.path.matchAll(/:(\w+)/g)].map((m) => ({ name: m[1], in: "path", required: true, schema: { type: "string" } }));
    paths[path] = { ...paths[path], [r.method]: { summary: `${r.summary} (scope: ${r.operation})`, parameters: params, responses: { 200: { description: "JSON" }, ...common } } };
  }
  return paths;
}

export function openApiDocument(serverUrl: string, added: readonly ApiRoute[] = []) {
  return {
    openapi: "3.1.0",
    info: { title: "xmpp-invites invites API", version: "1.0.0", description: "Create and manage XMPP invites with an API key (invitectl mod_invites_api create HOST)." },
    servers: [{ url: serverUrl }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "Authorization: Bearer ID/SECRET" },
        queryKey: { type: "apiKey", in: "query", name: "key", description: "Prosody-compatible endpoint only" },
      },
      schemas: { Invite: InviteJson, CreatedInvite: CreatedJson, InviteList: InviteListJson, Error: ErrorJson, CreateInvite: CreateInviteBody, UpdateInvite: UpdateInviteBody },
    },
    paths: {
      "/": { get: legacy("GET"), post: legacy("POST") },
      "/v1/invites": {
        post: {
          summary: "Create an invite (scope: create)",
          requestBody: { required: false, content: { "application/json": { schema: CreateInviteBody } } },
          responses: { 201: json(CreatedJson, "created; the token, URI and landing URL are shown only here"), ...common },
        },
        get: {
          summary: "List the invites of the key's host (scope: list)",
          parameters: Object.entries(ListQuery.properties).map(([name, schema]) => ({ name, in: "query", schema })),
          responses: { 200: json(InviteListJson, "one page"), ...common },
        },
      },
      "/v1/invites/{id}": {
        get: { summary: "One invite (scope: read)", parameters: [idParam], responses: { 200: json({ type: "object", properties: { invite: InviteJson } }, "the invite"), 404: err("no such invite for this key"), ...common } },
        patch: {
          summary: "Change uses, expiry or note; un-revoke with revoked:false (scope: update; revoked:true needs revoke)",
          parameters: [idParam],
          requestBody: { required: true, content: { "application/json": { schema: UpdateInviteBody } } },
          responses: { 200: json({ type: "object", properties: { invite: InviteJson } }, "the changed invite"), 404: err("no such invite for this key"), ...common },
        },
        delete: { summary: "Revoke (scope: revoke)", parameters: [idParam], responses: { 200: json({ type: "object", properties: { invite: InviteJson } }, "the revoked invite"), 404: err("no such invite for this key"), ...common } },
      },
      "/v1/openapi.json": { get: { summary: "This document", security: [], responses: { 200: { description: "OpenAPI 3.1 document" } } } },
      ...addedPaths(added),
    },
  };
}
