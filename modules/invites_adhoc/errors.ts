// Refusals of the ad-hoc commands. Each becomes an XEP-0050 IQ error whose condition
// says what kind of refusal it is and whose text says why (the field, the limit, ...).
import { defineErrors } from "../../core/types.js";

export const errors = defineErrors("invites_adhoc", {
  bad_field: { status: 400, type: "modify", condition: "bad-request", message: "A field of the form has a bad value" },
  forbidden: { status: 403, type: "auth", condition: "forbidden", message: "You may not do this" },
  not_found: { status: 404, type: "cancel", condition: "item-not-found", message: "No such invite" },
  no_account: { status: 404, type: "cancel", condition: "item-not-found", message: "No such account" },
  account_exists: { status: 409, type: "cancel", condition: "conflict", message: "That account already exists" },
  used_up: { status: 409, type: "cancel", condition: "not-allowed", message: "This invite has been used up" },
  quota: { status: 429, type: "wait", condition: "policy-violation", message: "You have reached your invite limit" },
});
