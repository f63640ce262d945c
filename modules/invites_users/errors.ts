// The errors of invites_users; each names what was wrong (ctl exit codes, HTTP statuses and
// XMPP conditions follow from the status and condition, see docs/modules.md).
import { defineErrors } from "../../core/types.js";

export const errors = defineErrors("invites_users", {
  bad_jid: { status: 400, type: "modify", condition: "jid-malformed", message: "Not an account of a host served here" },
  bad_request: { status: 400, type: "modify", condition: "bad-request", message: "Bad request" },
  forbidden: { status: 403, type: "auth", condition: "forbidden", message: "Not allowed" },
  not_deactivated: { status: 404, type: "cancel", condition: "item-not-found", message: "This account was not deactivated here" },
  confirm: { status: 409, type: "cancel", condition: "conflict", message: "Confirm first" },
});
