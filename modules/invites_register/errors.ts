// The registration module's error registry. Every way to register (web, in-app, greeted)
// refuses with these codes; each surface words them for its user (the web form maps the
// code and its detail to a translated sentence, XMPP sends the English message).
import { defineErrors } from "../../core/types.js";

export const errors = defineErrors("invites_register", {
  not_for_registration: { status: 403, type: "auth", condition: "forbidden", message: "This invite does not allow creating an account" },
  greeted_only: { status: 403, type: "auth", condition: "forbidden", message: "This invite is greeted: the account is made only once the person who invited you has confirmed it with you. Open the invite link" },
  bad_roles: { status: 400, type: "modify", condition: "bad-request", message: "Only roles the invite carries can be granted" },
  not_a_reset: { status: 403, type: "auth", condition: "forbidden", message: "This invite is not a password reset" },
  csrf: { status: 403, type: "auth", condition: "forbidden", message: "The form has expired; load the page again" },
  missing_fields: { status: 400, type: "modify", condition: "bad-request", message: "Enter a username and a password" },
  bad_username: { status: 400, type: "modify", condition: "not-acceptable", message: "This username cannot be used" },
  weak_password: { status: 400, type: "modify", condition: "not-acceptable", message: "This password cannot be used" },
});
