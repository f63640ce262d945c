// Registration, independent of how the visitor reached us: the rules every way to register
// applies (invite type, username, bound name, password policy), then reserve the invite,
// let other modules veto (user-registering), create the account, spend the use and announce
// it (user-registered). Anything failing before the account exists gives the use back.
// The web form, in-app registration and greeted invites all come through here.
import { adminErrors, isModuleError, type AdminPort, type Logger, type ModuleContext } from "../../core/types.js";
import { invitesErrors, isGreeted } from "../invites/index.js";
import type { Invite, InvitesApi, Reservation } from "../invites/types.js";
import { translator } from "../../web/i18n.js";
import { requireAccepted, requiredFor, type Acceptance, type Agreement } from "./agreements.js";
import { errors } from "./errors.js";
import { checkPassword, type PasswordPolicy } from "./policy.js";
import type { Signatures } from "./signatures.js";
import type { PendingRegistration, PendingReset, RegisterRequest, Registered, RegistrationEvent, ResetRequest, UserRegisteredEvent } from "./types.js";

export { errors };

export interface FlowDeps {
  invites: InvitesApi;
  admin: () => AdminPort;
  fire: ModuleContext["fire"];
  log: Logger;
  policy: PasswordPolicy;
  /** The agreements hosts require (the agreements option) and where acceptances are recorded. */
  agreements: readonly Agreement[];
  signatures: Signatures;
  /** The web registration page of an invite, for the ways to register that cannot show agreements. */
  webPage(token: string): string;
  now(): number;
  /** Counts a registration or reset by outcome: "created"/"reset", else the error's code (metrics). */
  outcome?(kind: "registration" | "reset", outcome: string, source: string): void;
}

/** An error as an outcome label: a ModuleError's code, else "error". */
export const outcomeCode = (err: unknown): string => (isModuleError(err) ? err.code : "error");

/** Runs one registration or reset and reports its outcome. */
async function counted<T>(deps: Pick<FlowDeps, "outcome">, kind: "registration" | "reset", source: string, fn: () => Promise<T>, ok: string): Promise<T> {
  try {
    const v = await fn();
    deps.outcome?.(kind, ok, source);
    return v;
  } catch (err) {
    deps.outcome?.(kind, outcomeCode(err), source);
    throw err;
  }
}

/** The reservation behind a PendingRegistration (kept inside this module). */
export interface Pending extends PendingRegistration { reservation: Reservation; event: RegistrationEvent; accepted: readonly Acceptance[]; lang: string }

const english = translator("en");

/** The password rules; throws invites_register.weak_password naming the rule. */
export function requirePassword(password: string, username: string, policy: PasswordPolicy): void {
  const bad = checkPassword(password, username, policy);
  if (bad) throw errors.weak_password(english(bad.key, bad.vars), { field: "password", rule: bad.key, ...(bad.vars ? { vars: bad.vars } : {}) });
}

/**
 * Every rule a new account must pass, in the order a visitor fixes them; returns the
 * canonical (PRECIS) username. Throws ModuleErrors naming the field at fault.
 */
export function checkRegistration(deps: Pick<FlowDeps, "invites" | "policy">, invite: Invite, username: string, password: string): string {
  if (invite.type !== "account" && invite.type !== "account_and_contact") throw errors.not_for_registration();
  if (username.trim() === "" || password === "") throw errors.missing_fields();
  const checked = deps.invites.checkUsername(username.trim());
  if (!checked.ok) throw errors.bad_username(`This username cannot be used: ${checked.reason}`, { field: "username", reason: checked.reason });
  if (invite.username !== null && invite.username !== checked.username) {
    throw invitesErrors.username_mismatch(`This invite is for the username ${invite.username} only`, { field: "username", username: invite.username });
  }
  requirePassword(password, checked.username, deps.policy);
  return checked.username;
}

async function inviteFor(deps: FlowDeps, token: string): Promise<Invite> {
  const v = await deps.invites.validate(token);
  if (!v.ok) throw invitesErrors[v.reason]();
  return v.invite;
}

async function release(deps: FlowDeps, reservation: Reservation, cause: unknown): Promise<void> {
  try {
    await deps.invites.release(reservation, cause);
  } catch (err) {
    // Crash recovery settles a reservation nobody released (modules/invites/recovery.ts).
    deps.log.error({ err, invite: reservation.invite.id }, "could not release an invite reservation");
  }
}

/**
 * Checks the rules, reserves a use for the username and asks the other modules
 * (user-registering). The caller then creates the account and calls finishRegistration.
 */
export async function beginRegistration(deps: FlowDeps, req: RegisterRequest): Promise<Pending> {
  const found = await inviteFor(deps, req.token);
  // The greeting module vetoes, in user-registering, any greeted registration it did not confirm.
  if (isGreeted(found) && req.source !== "greeted") throw errors.greeted_only();
  const username = checkRegistration(deps, found, req.username, req.password);
  const roles = req.roles ?? found.roles;
  const foreign = roles.find((r) => !found.roles.includes(r));
  if (foreign !== undefined) throw errors.bad_roles(`The invite does not carry the role ${JSON.stringify(foreign)}`, { field: "roles" });
  // Before a use is reserved: the agreements of the invite's host, accepted in their current version.
  requireAccepted(requiredFor(deps.agreements, found.host), req.accepted, () => deps.webPage(req.token));
  const reservation = await deps.invites.reserve(req.token, username);
  const invite = reservation.invite;
  const event: RegistrationEvent = {
    invite, reservationId: reservation.reservationId, username, host: invite.host, jid: `${username}@${invite.host}`, ip: req.ip, source: req.source,
    roles: [...roles], ...(req.displayName === undefined ? {} : { displayName: req.displayName }),
  };
  try {
    await deps.fire("user-registering", event);
  } catch (err) {
    await release(deps, reservation, err);
    throw err;
  }
  return { reservation, event, accepted: req.accepted ?? [], lang: req.lang ?? "en" };
}

/** The account exists (created: spend the use, announce it) or could not be made (give the use back). */
export async function finishRegistration(deps: FlowDeps, pending: Pending, created: true): Promise<Registered>;
export async function finishRegistration(deps: FlowDeps, pending: Pending, created: false, cause?: unknown): Promise<undefined>;
export async function finishRegistration(deps: FlowDeps, pending: Pending, created: boolean, cause?: unknown): Promise<Registered | undefined>;
/** `cause`: why creating the account failed; an ambiguous one (a timeout) leaves the use to crash recovery. */
export async function finishRegistration(deps: FlowDeps, pending: Pending, created: boolean, cause?: unknown): Promise<Registered | undefined> {
  const { reservation, event } = pending;
  if (!created) { await release(deps, reservation, cause); return undefined; }
  let completed = event.invite;
  try {
    completed = await deps.invites.complete(reservation);
  } catch (err) {
    // The account exists, so the registration stands; recovery settles the reservation.
    deps.log.error({ err, invite: event.invite.id, jid: event.jid }, "account created but the invite use could not be recorded");
  }
  deps.log.info({ invite: event.invite.id, jid: event.jid, source: event.source }, "account registered through an invite");
  await recordSignatures(deps, pending);
  const registered: UserRegisteredEvent = { ...event, invite: completed, contacts: [], contactsMissing: [] };
  try {
    await deps.fire("user-registered", registered);
  } catch (err) {
    deps.log.warn({ err, jid: event.jid }, "a user-registered handler failed");
  }
  return { jid: event.jid, invite: completed, contacts: registered.contacts, contactsMissing: registered.contactsMissing };
}

/** The agreements the new account accepted, as signatures (a failure is logged: the account stands). */
async function recordSignatures(deps: FlowDeps, pending: Pending): Promise<void> {
  const { event } = pending;
  const required = requiredFor(deps.agreements, event.host);
  if (required.length === 0) return;
  const at = deps.now();
  try {
    await deps.signatures.record(required.map((a) => ({
      jid: event.jid, agreement: a.id, version: a.version, lang: pending.lang, signedAt: at, inviteId: event.invite.id, source: event.source,
    })));
  } catch (err) {
    deps.log.error({ err, jid: event.jid, agreements: required.map((a) => a.id) }, "account created, but the signatures of its agreements could not be recorded");
  }
}

/** Registration where the component creates the account (XEP-0133 add-user). */
export function registerAccount(deps: FlowDeps, req: RegisterRequest): Promise<Registered> {
  return counted(deps, "registration", req.source, () => createAndRegister(deps, req), "created");
}

async function createAndRegister(deps: FlowDeps, req: RegisterRequest): Promise<Registered> {
  // Nothing can be created while the link is down: say so before reserving, since a release
  // after a failure with the link down is left to crash recovery (it cannot tell then).
  if (!deps.admin().connected) throw adminErrors.not_connected();
  const pending = await beginRegistration(deps, req);
  try {
    // The server's own answer decides whether the name is taken (admin.username_taken).
    await deps.admin().createAccount(pending.event.jid, req.password);
  } catch (err) {
    await finishRegistration(deps, pending, false, err);
    throw err;
  }
  return finishRegistration(deps, pending, true);
}

/** The reservation behind a PendingReset (kept inside this module). */
export interface PendingResetUse extends PendingReset { reservation: Reservation }

/**
 * The rules of a reset invite (its type, the bound account, the password policy), then a
 * reserved use. The caller changes the password and calls finishReset. `username`, when
 * given (in-band registration names the account), must be the bound one.
 */
export async function beginReset(deps: FlowDeps, req: ResetRequest): Promise<PendingResetUse> {
  const invite = await inviteFor(deps, req.token);
  if (invite.type !== "reset" || !invite.username) throw errors.not_a_reset();
  if (req.username !== undefined && req.username.trim() !== "") {
    const checked = deps.invites.checkUsername(req.username.trim());
    if (!checked.ok || checked.username !== invite.username) {
      throw invitesErrors.username_mismatch(`This invite resets the password of ${invite.username} only`, { field: "username", username: invite.username });
    }
  }
  requirePassword(req.password, invite.username, deps.policy);
  const reservation = await deps.invites.reserve(req.token, invite.username);
  return { reservation, jid: `${invite.username}@${invite.host}`, inviteId: invite.id };
}

/** The password was changed (spend the use) or not (give it back). Returns the account's JID when changed. */
export async function finishReset(deps: FlowDeps, pending: PendingResetUse, changed: boolean, cause?: unknown): Promise<string | undefined> {
  if (!changed) { await release(deps, pending.reservation, cause); return undefined; }
  try {
    await deps.invites.complete(pending.reservation);
  } catch (err) {
    deps.log.error({ err, invite: pending.inviteId }, "password changed but the invite use could not be recorded");
  }
  deps.log.info({ invite: pending.inviteId, jid: pending.jid }, "password reset through an invite");
  return pending.jid;
}

/** A reset where the component sets the password (XEP-0133 change-user-password); never creates an account. */
export function resetPassword(deps: FlowDeps, req: ResetRequest): Promise<string> {
  return counted(deps, "reset", "web", () => changeAndReset(deps, req), "reset");
}

async function changeAndReset(deps: FlowDeps, req: ResetRequest): Promise<string> {
  if (!deps.admin().connected) throw adminErrors.not_connected();
  const pending = await beginReset(deps, req);
  try {
    // change-user-password never creates an account; an unknown one is admin.no_such_user.
    await deps.admin().changePassword(pending.jid, req.password);
  } catch (err) {
    await finishReset(deps, pending, false, err);
    throw err;
  }
  return (await finishReset(deps, pending, true))!;
}
