// invites_email's error codes (invites_email.<code>).
import { defineErrors } from "../../core/types.js";

export const errors = defineErrors("invites_email", {
  username_held: { status: 409, type: "cancel", condition: "conflict", message: "This username is reserved for someone else" },
  bad_address: { status: 400, type: "modify", condition: "bad-request", message: "Not an email address this service can send to" },
  not_preactivation: { status: 400, type: "modify", condition: "bad-request", message: "A pre-activation is an account invite for one username, one use, with an email address" },
  no_email: { status: 404, type: "cancel", condition: "item-not-found", message: "This invite has no email to send" },
  cannot_resend: { status: 409, type: "cancel", condition: "conflict", message: "This invite's email cannot be sent again" },
  bad_option: { status: 500, type: "cancel", condition: "internal-server-error", message: "Inconsistent options" },
});
