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

export interface Registered { jid: string; invite: Invite; contacts: string[] }

async function release(deps: FlowDeps, reservation: Reservation, cause: unknown): Promise<void> {
  try {
    await deps.invites.release(reservation, cause);
  } catch (err) {
    // Crash recovery settles the reservation (RESERVATION_TTL_MS at the latest).
    deps.log.error({ err, invite: reservation.invite.id }, "could not release an invite reservation");
  }
}

/** Creates `username` with `password` on the invite's host. Throws ModuleErrors. */
export async function registerAccount(deps: FlowDeps, req: { token: string; username: string; password: string; ip: string | undefined; source: string }): Promise<Registered> {
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
    await release(deps, reservation, err);
    throw err;
  }
  let completed = invite;
  try {
    completed = await deps.invites.complete(reservation);
  } catch (err) {
    // The account exists, so the registration stands; crash recovery completes the use (RESERVATION_TTL_MS at the latest).
    deps.log.error({ err, invite: invite.id, jid }, "account created but the invite use could not be recorded");
  }
  deps.log.info({ invite: invite.id, jid, source: req.source }, "account registered through an invite");
  const registered: UserRegisteredEvent = { ...event, invite: completed, contacts: [] };
  try {
    await deps.fire("user-registered", registered);
  } catch (err) {
    deps.log.warn({ err, jid }, "a user-registered handler failed");
  }
  return { jid, invite: completed, contacts: registered.contacts };
}

/** Sets a new password on the account a reset invite is bound to; never creates one. */
export async function resetPassword(deps: FlowDeps, req: { token: string; invite: Invite; password: string }): Promise<string> {
  if (req.invite.type !== "reset" || !req.invite.username) throw errors.not_a_reset();
  const reservation = await deps.invites.reserve(req.token, req.invite.username);
  const jid = `${req.invite.username}@${req.invite.host}`;
  try {
    // Checked first so that no server's change-user-password can end up creating the account.
    if (!(await deps.admin().accountExists(jid))) throw adminErrors.no_such_user();
    await deps.admin().changePassword(jid, req.password);
  } catch (err) {
    await release(deps, reservation, err);
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
