// The greeting module's errors. Each says what happened in words both sides can show.
import { defineErrors } from "../../core/types.js";

export const errors = defineErrors("invites_greeting", {
  not_greeted: { status: 404, type: "cancel", condition: "item-not-found", message: "This invite is not a greeted invite" },
  bad_token: { status: 401, type: "auth", condition: "not-authorized", message: "Unknown invitation token" },
  greeter_busy: { status: 409, type: "cancel", condition: "conflict", message: "Someone is already greeting this invite" },
  claimer_busy: { status: 409, type: "cancel", condition: "conflict", message: "Someone else is already claiming this invite" },
  no_session: { status: 409, type: "cancel", condition: "conflict", message: "This greeting session is not active: start again" },
  ended: { status: 409, type: "cancel", condition: "conflict", message: "This attempt has ended" },
  finished: { status: 410, type: "cancel", condition: "gone", message: "The account has been created: this invite is used" },
  revoked: { status: 410, type: "cancel", condition: "gone", message: "Too many failed attempts: this invite has been revoked" },
  out_of_turn: { status: 409, type: "cancel", condition: "conflict", message: "Not the step the greeting is at" },
  bad_request: { status: 400, type: "modify", condition: "bad-request", message: "Bad request" },
  not_confirmed: { status: 403, type: "auth", condition: "forbidden", message: "This greeted invite has not been confirmed by its greeter" },
  rate_limited: { status: 429, type: "wait", condition: "resource-constraint", message: "Too many attempts; try again in a minute" },
  cancelled: { status: 409, type: "cancel", condition: "conflict", message: "Cancelled: the other side has been told, and no account was made" },
  server: { status: 502, type: "cancel", condition: "remote-server-not-found", message: "The invites server did not answer as expected" },
});
