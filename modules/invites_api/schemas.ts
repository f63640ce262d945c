// JSON Schemas (2020-12) of the JSON API. The validators and the OpenAPI document use
// these same objects, so the documentation cannot drift from what is enforced.
import { INVITE_TYPES } from "./scope.js";
import { LANGS } from "../../web/i18n.js";

const STATUSES = ["pending", "used", "expired", "revoked"] as const;

export const InviteId = { type: "string", pattern: "^[A-Za-z0-9_-]{1,64}$", description: "Invite id (public, not the token)" } as const;

const uses = {
  description: "a whole number from 1, or \"unlimited\" (how many accounts the invite may create)",
  anyOf: [{ type: "integer", minimum: 1, maximum: 1_000_000_000 }, { const: "unlimited" }],
} as const;
const expiresAfter = { type: "string", minLength: 1, maxLength: 64, description: "validity from now, e.g. \"7d\", \"12h\", \"1 week\"" } as const;
const expiresAt = { type: "string", minLength: 10, maxLength: 40, description: "absolute expiry, ISO 8601 (e.g. \"2026-12-01T10:00:00Z\")" } as const;
const note = { type: ["string", "null"], maxLength: 1000, description: "free text for admins" } as const;
const labels = (what: string) => ({ type: "array", maxItems: 32, uniqueItems: true, items: { type: "string", minLength: 1, maxLength: 256 }, description: what }) as const;

export const CreateInviteBody = {
  type: "object",
  additionalProperties: false,
  properties: {
    type: { enum: INVITE_TYPES, default: "account", description: "kind of invite" },
    uses,
    expires_after: expiresAfter,
    expires_at: expiresAt,
    username: { type: "string", minLength: 1, maxLength: 1023, description: "the only username the invite may register (reset: the account)" },
    inviter: { type: "string", minLength: 3, maxLength: 3071, description: "JID whose contact the new user becomes (contact invites)" },
    inviter_name: { type: "string", minLength: 1, maxLength: 80, description: "the name the landing page shows as the inviter (also for invites without an inviter account)" },
    roles: labels("roles given to the new account"),
    groups: labels("groups the new account joins"),
    note,
    email: { type: "string", minLength: 3, maxLength: 254, description: "send the invite to this address (needs invites_email and a key made with --email)" },
    lang: { enum: LANGS, description: "the invitee's language, for the email (default: email_lang)" },
    preactivate: { type: "boolean", description: "pre-activation: hold username for the owner of email until the invite is used, revoked or expires (type account, one use; a key made with --preactivate)" },
    greeted: { type: "boolean", description: "account invites: the account is made only after a greeting (greeter_token in the answer; docs/greeting.md)" },
  },
} as const;

export const UpdateInviteBody = {
  type: "object",
  additionalProperties: false,
  minProperties: 1,
  properties: {
    uses,
    expires_after: expiresAfter,
    expires_at: expiresAt,
    note,
    revoked: { type: "boolean", description: "false un-revokes; true revokes" },
  },
} as const;

/** Query parameters of GET /v1/invites (values arrive as strings and are coerced). */
export const ListQuery = {
  type: "object",
  additionalProperties: false,
  properties: {
    status: { enum: STATUSES, description: "only invites in this state" },
    type: { enum: INVITE_TYPES, description: "only invites of this type" },
    cursor: { type: "string", minLength: 1, maxLength: 512, description: "next_cursor of the previous page" },
    limit: { type: "integer", minimum: 1, maximum: 500, default: 50, description: "page size" },
  },
} as const;

const time = { type: ["string", "null"], description: "ISO 8601" } as const;

/** An invite as the API shows it: never the token or its hash. */
export const InviteJson = {
  type: "object",
  required: ["id", "type", "host", "status", "uses_allowed", "uses_pending", "uses_completed", "created_at", "expires_at"],
  properties: {
    id: InviteId,
    type: { enum: INVITE_TYPES },
    host: { type: "string" },
    status: { enum: STATUSES },
    username: { type: ["string", "null"] },
    email: { type: ["string", "null"] },
    lang: { type: ["string", "null"] },
    preactivated: { type: "boolean", description: "a pre-activation (holds its username)" },
    inviter: { type: ["string", "null"] },
    source: { type: "string" },
    roles: { type: "array", items: { type: "string" } },
    groups: { type: "array", items: { type: "string" } },
    note: { type: ["string", "null"] },
    uses_allowed: { type: ["integer", "null"], description: "null = unlimited" },
    uses_pending: { type: "integer" },
    uses_completed: { type: "integer" },
    created_at: { type: "string" },
    not_before: time,
    expires_at: { type: "string" },
    revoked_at: time,
    used_at: time,
    email_delivery: {
      type: "object",
      description: "with invites_email, for an invite with an email: queued (waiting or between attempts), sent, or failed (last_error says why)",
      properties: {
        state: { enum: ["queued", "sent", "failed"] },
        to: { type: "string" },
        attempts: { type: "integer" },
        last_error: { type: ["string", "null"] },
        next_attempt_at: time,
        sent_at: time,
      },
    },
    greeted: { type: "boolean", description: "made only through a greeting" },
  },
} as const;

export const CreatedJson = {
  type: "object",
  required: ["invite", "token", "uri", "link"],
  properties: {
    invite: InviteJson,
    token: { type: "string", description: "the invite's secret; shown only in this answer" },
    uri: { type: "string", description: "xmpp: URI (XEP-0401)" },
    landing_url: { type: ["string", "null"], description: "landing page, when one is configured" },
    link: { type: "string", description: "landing_url when there is one, else uri" },
    greeter_token: { type: "string", description: "a greeted invite's token for the greeter (invitectl invite greet); shown only in this answer" },
  },
} as const;

export const InviteListJson = {
  type: "object",
  required: ["invites", "next_cursor"],
  properties: {
    invites: { type: "array", items: InviteJson },
    next_cursor: { type: ["string", "null"], description: "pass as cursor for the next page; null on the last" },
  },
} as const;

export const ErrorJson = {
  type: "object",
  required: ["error", "message"],
  properties: {
    error: { type: "string", description: "stable code, e.g. invites_api.out_of_scope" },
    message: { type: "string", description: "what was wrong, for humans" },
    detail: { type: "object", description: "the field or parameter at fault" },
  },
} as const;
