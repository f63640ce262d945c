// What each side is shown of a greeting (the JSON API's answer and the pages' input): the
// phase, what the other side has published, and how the attempt ended when it did.
import type { Invite } from "../invites/types.js";
import { phaseOf, type GreetingRecord, type Limits, type Phase, type Side } from "./machine.js";
import { hashSecret } from "./seal.js";

export type ViewPhase = Phase | "ended";

export interface GreetingView {
  phase: ViewPhase;
  version: number;
  you: Side;
  /** The invite's id (public), part of the codes' transcript. */
  invite: string;
  attempt: string | null;
  greeter: string;
  host: string;
  /** The only username the invite allows, when it is bound. */
  bound_username: string | null;
  greeter_key: string | null;
  claimer_key: string | null;
  commitment: string | null;
  claimer_nonce: string | null;
  greeter_nonce: string | null;
  /** What the claimer entered (never the password). */
  claimer: { username: string; display_name: string } | null;
  /** The roles the greeter may grant (the invite's). */
  roles: string[];
  confirmed: { username: string; roles: string[] } | null;
  /** Why the last account creation failed. */
  problem: string | null;
  jid: string | null;
  ended: { reason: string; message: string } | null;
  attempts_left: number;
  /** Until when the current step may take. */
  deadline: string | null;
  /** A side silent for longer counts as gone: ask at least this often (a prompt included). */
  liveness_ms: number;
}

export function viewOf(rec: GreetingRecord, side: Side, secret: string, invite: Invite, limits: Limits): GreetingView {
  const { stepMs, attempts } = limits;
  const sid = hashSecret(secret);
  const seated = rec[side]?.sid === sid;
  const phase: ViewPhase = rec.done?.sids.includes(sid) ? "done" : seated ? phaseOf(rec) : rec.revoked ? "cancelled" : "ended";
  const mine = seated || phase === "done";
  return {
    phase, version: rec.version, you: side, invite: invite.id, attempt: mine ? rec.attempt : null,
    greeter: rec.greeterName, host: invite.host, bound_username: invite.username,
    greeter_key: mine ? rec.greeter?.key ?? null : null,
    claimer_key: mine ? rec.claimer?.key ?? null : null,
    commitment: mine ? rec.commitment : null,
    claimer_nonce: mine ? rec.claimerNonce : null,
    greeter_nonce: mine ? rec.greeterNonce : null,
    claimer: mine && rec.info ? { username: rec.info.username, display_name: rec.info.displayName } : null,
    roles: side === "greeter" ? [...invite.roles] : [],
    confirmed: mine ? rec.confirmed : null,
    problem: mine ? rec.problem : null,
    jid: phase === "done" ? rec.done!.jid : null,
    ended: phase === "ended" && rec.ended?.sids.includes(sid) ? { reason: rec.ended.reason, message: rec.ended.message } : phase === "cancelled" ? { reason: "revoked", message: rec.ended?.message ?? "This invite has been revoked." } : null,
    attempts_left: Math.max(0, attempts - rec.failures),
    deadline: mine && phase !== "done" ? new Date(rec.stepAt + stepMs).toISOString() : null,
    liveness_ms: limits.livenessMs,
  };
}
