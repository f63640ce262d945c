// The invite module's error registry. The five validation reasons are codes too, so a
// surface that refuses an invite (HTTP, IBR, ad-hoc, ctl) reports the same thing.
// The full table is in README.md beside this file.
import { defineErrors } from "../../core/types.js";
import type { InvalidReason } from "./types.js";

export const errors = defineErrors("invites", {
  // Validation reasons (see validate.ts).
  invalid: { status: 404, type: "cancel", condition: "item-not-found", message: "This invite does not exist" },
  expired: { status: 410, type: "cancel", condition: "gone", message: "This invite has expired" },
  not_yet_valid: { status: 403, type: "wait", condition: "not-allowed", message: "This invite is not valid yet" },
  revoked: { status: 410, type: "cancel", condition: "gone", message: "This invite has been revoked" },
  used_up: { status: 410, type: "cancel", condition: "gone", message: "This invite has already been used" },
  // Lookups by id, token or code from admin surfaces (ctl exits 1 on *not_found).
  not_found: { status: 404, type: "cancel", condition: "item-not-found", message: "No such invite" },
  // Bad input.
  bad_request: { status: 400, type: "modify", condition: "bad-request", message: "Bad request" },
  bad_duration: { status: 400, type: "modify", condition: "bad-request", message: "Bad duration or date" },
  bad_uses: { status: 400, type: "modify", condition: "bad-request", message: "The number of uses must be a positive whole number or \"unlimited\"" },
  unknown_host: { status: 400, type: "modify", condition: "item-not-found", message: "This host is not served here" },
  bad_username: { status: 400, type: "modify", condition: "not-acceptable", message: "Invalid username" },
  bad_jid: { status: 400, type: "modify", condition: "jid-malformed", message: "Invalid JID" },
  greeting_unavailable: { status: 400, type: "cancel", condition: "feature-not-implemented", message: "Greeted invites need the invites_greeting module (add it to modules_enabled)" },
  username_mismatch: { status: 403, type: "auth", condition: "forbidden", message: "This invite is for another username" },
  // Lifecycle misuse and capacity.
  no_reservation: { status: 409, type: "cancel", condition: "conflict", message: "No such pending use of this invite" },
  code_space_full: { status: 503, type: "wait", condition: "resource-constraint", message: "Could not allocate a unique short code; try again" },
  // Start-up: options that contradict each other (core reports it as a config problem).
  bad_option: { status: 500, type: "cancel", condition: "internal-server-error", message: "Inconsistent options" },
});

export type InvitesErrorCode = keyof typeof errors.codes;

/** The error thrown when an invite cannot be used, for a validation reason. */
export function reasonError(reason: InvalidReason) {
  return errors[reason]();
}
