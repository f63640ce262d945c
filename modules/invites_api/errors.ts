// The invites API's error registry. Every failure answers JSON {error, message} with the
// status below; docs/invites-api.md lists them for admins' tools.
import { defineErrors } from "../../core/types.js";

export const errors = defineErrors("invites_api", {
  // Authentication (401 carries WWW-Authenticate: Bearer, RFC 6750 §3).
  no_key: { status: 401, type: "auth", condition: "not-authorized", message: "An API key is required: Authorization: Bearer ID/SECRET or ?key=ID/SECRET" },
  bad_key: { status: 401, type: "auth", condition: "not-authorized", message: "Invalid API key" },
  key_expired: { status: 401, type: "auth", condition: "not-authorized", message: "This API key has expired" },
  // Authorization: a valid key asking for something outside its scope.
  out_of_scope: { status: 403, type: "auth", condition: "forbidden", message: "This API key does not allow that" },
  method_not_allowed: { status: 405, type: "cancel", condition: "not-allowed", message: "This API key does not allow that HTTP method" },
  // Bad input.
  bad_request: { status: 400, type: "modify", condition: "bad-request", message: "Bad request" },
  unknown_parameter: { status: 400, type: "modify", condition: "bad-request", message: "Unknown parameter" },
  repeated_parameter: { status: 400, type: "modify", condition: "bad-request", message: "A parameter was given more than once" },
  bad_parameter: { status: 400, type: "modify", condition: "bad-request", message: "Invalid parameter value" },
  not_found: { status: 404, type: "cancel", condition: "item-not-found", message: "No such invite" },
  // A feature this service was not set up for (a module not enabled).
  unavailable: { status: 501, type: "cancel", condition: "feature-not-implemented", message: "Not available on this service" },
  // Rate limits (429 carries Retry-After).
  rate_limited: { status: 429, type: "wait", condition: "resource-constraint", message: "Too many requests with this API key; retry later" },
  auth_rate_limited: { status: 429, type: "wait", condition: "policy-violation", message: "Too many failed authentication attempts from this address; retry later" },
  // ctl.
  key_not_found: { status: 404, type: "cancel", condition: "item-not-found", message: "key not found" },
  unknown_host: { status: 404, type: "cancel", condition: "item-not-found", message: "please supply a valid host" },
  bad_scope: { status: 400, type: "modify", condition: "bad-request", message: "Invalid key scope" },
});
