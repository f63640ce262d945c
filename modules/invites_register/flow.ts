// The registration hook, independent of HTTP: reserve the invite, let other modules veto
// (user-registering), create the account through the admin port, spend the use, announce
// it (user-registered). Anything failing before the account exists gives the use back.
import { defineErrors } from "../../core/types.js";
import { adminErrors, type AdminPort } from "../../core/types.js";
import type { Logger, ModuleContext } from "../../core/types.js";
import type { Invite, InvitesApi, Reservation } from "../invites/types.js";
import type { RegistrationEvent, UserRegisteredEvent } from "./types.js";

export const errors = defineErrors("invites_register", {
  not_for_registration: { status: 403, type: "auth", condition: "forbidden", message: "This invite does not allow creating an account" },
  not_a_reset: { status: 403, type: "auth", condition: "forbidden", message: "This invite is not a password reset" },
  csrf: { status: 403, type: "auth", condition: "forbidden", message: "The form has expired; load the page again" },
});

export interface FlowDeps {
  invites: InvitesApi;
  admin: () => AdminPort;
  fire: ModuleContext["fire"];
  log: Logger;
}

export interface Registered { jid: string; invite: Invite; contacts: string[]; contactsMissing: string[] }

async function release(deps: FlowDeps, reservation: Reservation): Promise<void> {
  try {
    await deps.invites.release(reservation);
  } catch (err) {
    // The reservation times out on its own (RESERVATION_TTL_MS), so the use comes back anyway.
    deps.log.error({ err, invite: reservation.invite.id }, "could not release an invite reservation");
  }
}

/** Creates `username` with `password` on the invite's host. Throws ModuleErrors. */
export async function registerAccount(deps: FlowDeps, req: { token: string; username: string; password: string; ip: string | undefined; source: string }): Promise<Registered> {
  // Nothing can be created while the link is down: say so before reserving, since a release
  // after a failure with the link down is left to crash recovery (it cannot tell then).
  if (!deps.admin().connected) throw adminErrors.not_connected();
  const reservation = await deps.invites.reserve(req.token, req.username);
  const invite = reservation.invite;
  const username = invite.reservations[reservation.reservationId]?.username ?? req.username;
  const jid = `${username}@${invite.host}`;
  const event: RegistrationEvent = { invite, reservationId: reservation.reservationId, username, host: invite.host, jid, ip: req.ip, source: req.source };
  try {
    if (invite.type !== "account" && invite.type !== "account_and_contact") throw errors.not_for_registration();
    await deps.fire("user-registering", event);
    await deps.admin().createAccount(jid, req.password);
  } catch (err) {
    await release(deps, reservation);
    throw err;
  }
  let completed = invite;
  try {
    completed = await deps.invites.complete(reservation);
  } catch (err) {
    // The account exists, so the registration stands; the reservation expires by itself.
    deps.log.error({ err, invite: invite.id, jid }, "account created but the invite use could not be recorded");
  }
  deps.log.info({ invite: invite.id, jid, source: req.source }, "account registered through an invite");
  const registered: UserRegisteredEvent = { ...event, invite: completed, contacts: [], contactsMissing: [] };
  try {
    await deps.fire("user-registered", registered);
  } catch (err) {
    deps.log.warn({ err, jid }, "a user-registered handler failed");
  }
  return { jid, invite: completed, contacts: registered.contacts, contactsMissing: registered.contactsMissing };
}

/**
 * Sets a new password on the account a reset invite is bound to. The server's own answer
 * says whether the account exists (admin.no_such_user); change-user-password never creates one.
 */
export async function resetPassword(deps: FlowDeps, req: { token: string; invite: Invite; password: string }): Promise<string> {
  if (req.invite.type !== "reset" || !req.invite.username) throw errors.not_a_reset();
  if (!deps.admin().connected) throw adminErrors.not_connected();
  const reservation = await deps.invites.reserve(req.token, req.invite.username);
  const jid = `${req.invite.username}@${req.invite.host}`;
  try {
    await deps.admin().changePassword(jid, req.password);
  } catch (err) {
    await release(deps, reservation);
    throw err;
  }
  try {
    await deps.invites.complete(reservation);
  } catch (err) {
    deps.log.error({ err, invite: req.invite.id }, "password changed but the invite use could not be recorded");
  }
  deps.log.info({ invite: req.invite.id, jid }, "password reset through an invite");
  return jid;
}
