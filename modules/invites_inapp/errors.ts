// Refusals of the server protocol (docs/server-module.md). The server module passes the
// condition and text on to the app, so each text says what was wrong.
import { defineErrors } from "../../core/types.js";

export const errors = defineErrors("invites_inapp", {
  not_a_server: { status: 403, type: "auth", condition: "forbidden", message: "Only the XMPP server of a host served here may use this protocol" },
  bad_request: { status: 400, type: "modify", condition: "bad-request", message: "Malformed request" },
  rate_limited: { status: 429, type: "wait", condition: "policy-violation", message: "Too many invite attempts from this address; try again in a minute" },
  other_host: { status: 403, type: "cancel", condition: "forbidden", message: "This invite is for another server" },
  not_for_app: { status: 403, type: "cancel", condition: "forbidden", message: "This invite cannot be used this way" },
  unknown_pending: { status: 404, type: "cancel", condition: "item-not-found", message: "No such registration in progress" },
  busy: { status: 503, type: "wait", condition: "resource-constraint", message: "Too many registrations in progress; try again shortly" },
});
