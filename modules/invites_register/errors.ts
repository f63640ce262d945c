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
  terms_not_accepted: { status: 400, type: "modify", condition: "not-acceptable", message: "Accept the agreements this server requires to create an account" },
  terms_changed: { status: 400, type: "modify", condition: "not-acceptable", message: "An agreement changed since it was shown: read it again and accept it" },
  // The way the visitor registers cannot show the agreements (in-app, greeted): the web page can.
  terms_on_web: { status: 403, type: "cancel", condition: "forbidden", message: "This server asks new users to accept its terms first: create the account on its web page" },
  bad_request: { status: 400, type: "modify", condition: "bad-request", message: "Bad request" },
  bad_option: { status: 500, type: "cancel", condition: "internal-server-error", message: "Invalid option" },
});
