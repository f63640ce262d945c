// One greeting's state, as pure functions of the stored record and the clock: who sits on
// each side, what each has published, whose turn it is, and how an attempt ends (wrong code,
// timeout, a side gone, a cancel). The service (service.ts) applies them with Store.update,
// so concurrent requests, in one process or several, see one order of events.
import { randomBytes } from "node:crypto";
import { errors } from "./errors.js";

export type Side = "greeter" | "claimer";
export const other = (s: Side): Side => (s === "greeter" ? "claimer" : "greeter");

export interface Seat {
  /** SHA-256 of the session secret the side holds. */
  sid: string;
  /** Its X25519 public key. */
  key: string;
  seenAt: number;
  /** A browser without a live event stream: not expected to come back while it is its turn. */
  passive: boolean;
}

export type EndReason = "wrong_code" | "timeout" | "gone" | "cancelled" | "bad_nonce";

export interface GreetingRecord {
  inviteId: string;
  /** Who the claimer is told invites them. */
  greeterName: string;
  /** Attempts that ended with a wrong code (or a broken commitment). */
  failures: number;
  /** Bumped on every change: waiters compare it. */
  version: number;
  /** The current attempt's id (once both sides sit), part of the transcript. */
  attempt: string | null;
  /** When the current step began: every sync point times out from here. */
  stepAt: number;
  greeter: Seat | null;
  claimer: Seat | null;
  commitment: string | null;
  claimerNonce: string | null;
  greeterNonce: string | null;
  claimerTrusts: boolean;
  greeterTrusts: boolean;
  /** What the claimer entered; the password sealed with the claimer's secret (seal.ts). */
  info: { username: string; displayName: string; sealed: string } | null;
  confirmed: { username: string; roles: string[] } | null;
  /** A claimer request creating the account: since when, and which (only one may). */
  creating: { at: number; by: string } | null;
  /** Why the last account creation failed: the greeter may correct the username. */
  problem: string | null;
  /** A browser claimer's key and nonce, sealed with its secret (the server acts for it). */
  agent: string | null;
  /** The codes a browser claimer chooses from (the greeter's code and three others). */
  choices: string[] | null;
  done: { jid: string; displayName: string; at: number; sids: string[] } | null;
  ended: { reason: EndReason; message: string; at: number; sids: string[] } | null;
  /** Too many failed attempts: the invite was revoked. */
  revoked: boolean;
}

export type Phase =
  | "waiting_for_claimer" | "waiting_for_greeter"
  | "greeter_commit" | "claimer_nonce" | "greeter_reveal" | "claimer_pick" | "greeter_pick"
  | "claimer_info" | "greeter_review" | "creating" | "done" | "cancelled";

export interface Limits {
  /** How long one sync point may take. */
  stepMs: number;
  /** How long a waiting side may stay silent before it counts as gone. */
  livenessMs: number;
  /** Failed attempts before the invite is revoked. */
  attempts: number;
}

export function newRecord(inviteId: string, greeterName: string, now: number): GreetingRecord {
  return {
    inviteId, greeterName, failures: 0, version: 0, attempt: null, stepAt: now, greeter: null, claimer: null,
    commitment: null, claimerNonce: null, greeterNonce: null, claimerTrusts: false, greeterTrusts: false,
    info: null, confirmed: null, creating: null, problem: null, agent: null, choices: null, done: null, ended: null, revoked: false,
  };
}

export function phaseOf(r: GreetingRecord): Phase {
  if (r.done) return "done";
  if (r.revoked) return "cancelled";
  if (!r.claimer) return "waiting_for_claimer";
  if (!r.greeter) return "waiting_for_greeter";
  if (!r.commitment) return "greeter_commit";
  if (!r.claimerNonce) return "claimer_nonce";
  if (!r.greeterNonce) return "greeter_reveal";
  if (!r.claimerTrusts) return "claimer_pick";
  if (!r.greeterTrusts) return "greeter_pick";
  if (!r.info) return "claimer_info";
  if (!r.confirmed) return "greeter_review";
  return "creating";
}

/** Whose turn it is (undefined: nobody's, a side waits for the other to come). */
export function actor(p: Phase): Side | undefined {
  switch (p) {
    case "greeter_commit": case "greeter_reveal": case "greeter_pick": case "greeter_review": return "greeter";
    case "claimer_nonce": case "claimer_pick": case "claimer_info": case "creating": return "claimer";
    default: return undefined;
  }
}

/** The state as `invitectl invite list` names it. */
export function stateLabel(r: GreetingRecord): string {
  const p = phaseOf(r);
  switch (p) {
    case "waiting_for_claimer": return "waiting for claimer";
    case "waiting_for_greeter": return "waiting for greeter";
    case "claimer_info": case "greeter_review": case "creating": return "codes exchanged";
    case "done": return "done";
    case "cancelled": return "cancelled";
    default: return "exchanging codes";
  }
}

const WHAT: Record<Phase, string> = {
  waiting_for_claimer: "the claimer to come", waiting_for_greeter: "the greeter to start",
  greeter_commit: "the greeter", claimer_nonce: "the claimer", greeter_reveal: "the greeter",
  claimer_pick: "the claimer to pick the greeter's code", greeter_pick: "the greeter to pick the claimer's code",
  claimer_info: "the claimer's information", greeter_review: "the greeter to confirm the new user",
  creating: "the account to be created", done: "", cancelled: "",
};

const changed = (r: GreetingRecord, now: number, patch: Partial<GreetingRecord>): GreetingRecord => ({ ...r, ...patch, version: r.version + 1, stepAt: now });

/** Ends the current attempt: both sides are told why on their next request. */
export function endAttempt(r: GreetingRecord, reason: EndReason, message: string, now: number, limits: Limits, failed = false): GreetingRecord {
  const failures = r.failures + (failed ? 1 : 0);
  const sids = [r.greeter?.sid, r.claimer?.sid].filter((s): s is string => s !== undefined);
  const revoked = failures >= limits.attempts;
  const full = revoked ? `${message} No attempts are left: the invite has been revoked.` : failed ? `${message} ${limits.attempts - failures} of ${limits.attempts} attempts left.` : message;
  return changed(r, now, {
    failures, revoked, attempt: null, greeter: null, claimer: null, commitment: null, claimerNonce: null, greeterNonce: null,
    claimerTrusts: false, greeterTrusts: false, info: null, confirmed: null, creating: null, problem: null, agent: null, choices: null,
    ended: { reason, message: full, at: now, sids },
  });
}

/**
 * Timeouts, applied lazily at every request: a sync point that took longer than
 * limits.stepMs ends the attempt; a side that stopped asking while waiting counts as gone.
 */
export function tick(r: GreetingRecord, now: number, limits: Limits): GreetingRecord {
  const p = phaseOf(r);
  if (p === "done" || p === "cancelled" || (!r.greeter && !r.claimer)) return r;
  const turn = actor(p);
  for (const side of ["greeter", "claimer"] as const) {
    const seat = r[side];
    if (!seat || (seat.passive && turn === side) || now - seat.seenAt <= limits.livenessMs) continue;
    return endAttempt(r, "gone", `The ${side} went away.`, now, limits);
  }
  if (p === "creating" && r.creating) {
    // The request creating it waits for the XMPP server (its own timeout applies); one that
    // never came back (a crash) leaves the account to crash recovery and the greeter to try again.
    return now - r.creating.at > limits.stepMs ? creationFailed(r, "The account creation did not finish; if the account does not exist, confirm again.", now) : r;
  }
  if (now - r.stepAt > limits.stepMs) {
    return endAttempt(r, "timeout", `Timed out waiting for ${WHAT[p]}.`, now, limits);
  }
  return r;
}

/** Takes a side's seat; refused when someone sits there already. */
export function join(r: GreetingRecord, side: Side, seat: Omit<Seat, "seenAt">, now: number): GreetingRecord {
  const p = phaseOf(r);
  if (p === "done") throw errors.finished();
  if (p === "cancelled") throw errors.revoked();
  if (r[side]) throw side === "greeter" ? errors.greeter_busy() : errors.claimer_busy();
  const peer = r[other(side)];
  return changed(r, now, { [side]: { ...seat, seenAt: now }, ...(peer ? { attempt: randomBytes(12).toString("base64url") } : {}) });
}

/** The side's seat when `sid` holds it; otherwise why not (the attempt it was in ended, or none). */
export function seatOf(r: GreetingRecord, side: Side, sid: string): Seat {
  const seat = r[side];
  if (seat && seat.sid === sid) return seat;
  if (r.done?.sids.includes(sid)) throw errors.finished();
  if (r.ended?.sids.includes(sid)) throw errors.ended(r.ended.message, { reason: r.ended.reason });
  throw errors.no_session();
}

export function touch(r: GreetingRecord, side: Side, sid: string, now: number, passive?: boolean): GreetingRecord {
  const seat = seatOf(r, side, sid);
  return { ...r, [side]: { ...seat, seenAt: now, ...(passive === undefined ? {} : { passive }) } };
}

function needPhase(r: GreetingRecord, want: Phase): void {
  const p = phaseOf(r);
  if (p !== want) throw errors.out_of_turn(`Not now: the greeting is at ${p.replace(/_/g, " ")}, not ${want.replace(/_/g, " ")}`, { phase: p });
}

export type Action =
  | { do: "commit"; commitment: string }
  | { do: "nonce"; nonce: string }
  | { do: "reveal"; nonce: string; matches: boolean }
  | { do: "trust"; ok: boolean }
  | { do: "info"; username: string; displayName: string; sealed: string }
  | { do: "confirm"; username: string; roles: string[] }
  | { do: "cancel" };

/** One side's step; `sid` must hold the side's seat. */
export function apply(r: GreetingRecord, side: Side, sid: string, a: Action, now: number, limits: Limits): GreetingRecord {
  const seat = seatOf(r, side, sid);
  const cur = { ...r, [side]: { ...seat, seenAt: now } };
  const name = side === "greeter" ? "The greeter" : "The claimer";
  switch (a.do) {
    case "cancel": return endAttempt(cur, "cancelled", `${name} cancelled.`, now, limits);
    case "commit":
      if (side !== "greeter") break;
      needPhase(cur, "greeter_commit");
      return changed(cur, now, { commitment: a.commitment });
    case "nonce":
      if (side !== "claimer") break;
      needPhase(cur, "claimer_nonce");
      return changed(cur, now, { claimerNonce: a.nonce });
    case "reveal":
      if (side !== "greeter") break;
      needPhase(cur, "greeter_reveal");
      // A nonce that is not the one committed to would let the greeter choose the codes.
      if (!a.matches) return endAttempt(cur, "bad_nonce", "The greeter's nonce does not match its commitment.", now, limits, true);
      return changed(cur, now, { greeterNonce: a.nonce });
    case "trust": {
      needPhase(cur, side === "claimer" ? "claimer_pick" : "greeter_pick");
      if (!a.ok) return endAttempt(cur, "wrong_code", `${name} picked a code that was not the one shown: no account was made.`, now, limits, true);
      return changed(cur, now, side === "claimer" ? { claimerTrusts: true } : { greeterTrusts: true });
    }
    case "info":
      if (side !== "claimer") break;
      needPhase(cur, "claimer_info");
      return changed(cur, now, { info: { username: a.username, displayName: a.displayName, sealed: a.sealed } });
    case "confirm":
      if (side !== "greeter") break;
      needPhase(cur, "greeter_review");
      return changed(cur, now, { confirmed: { username: a.username, roles: a.roles }, problem: null });
  }
  throw errors.out_of_turn(`The ${side} does not ${a.do}`, { phase: phaseOf(cur) });
}

/** Marks the account as being created by the claimer request `by`; unchanged when another one is at it. */
export function startCreating(r: GreetingRecord, by: string, now: number): GreetingRecord {
  if (phaseOf(r) !== "creating" || r.creating !== null) return r;
  return { ...r, creating: { at: now, by }, version: r.version + 1 };
}

export function created(r: GreetingRecord, jid: string, now: number): GreetingRecord {
  const sids = [r.greeter?.sid, r.claimer?.sid].filter((s): s is string => s !== undefined);
  return changed(r, now, { done: { jid, displayName: r.info?.displayName ?? "", at: now, sids }, creating: null, agent: null });
}

/** The account could not be made: back to the greeter's review, with why. */
export function creationFailed(r: GreetingRecord, why: string, now: number): GreetingRecord {
  return changed(r, now, { confirmed: null, creating: null, problem: why });
}
