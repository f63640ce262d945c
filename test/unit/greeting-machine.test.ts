// A greeting's state machine (modules/invites_greeting/machine.ts), with a clock the test
// moves: the order of the steps, whose turn it is, and each way an attempt ends.
import { expect } from "chai";
import { apply, endAttempt, join, newRecord, phaseOf, stateLabel, tick, type GreetingRecord, type Limits } from "../../modules/invites_greeting/machine.js";

const limits: Limits = { stepMs: 60_000, livenessMs: 10_000, attempts: 3 };
const K = "A".repeat(43);
const t0 = 1_000_000;

function seated(now = t0): GreetingRecord {
  let r = newRecord("inv", "Ann", now);
  r = join(r, "greeter", { sid: "g", key: K, passive: false }, now);
  return join(r, "claimer", { sid: "c", key: K, passive: true }, now);
}

describe("greeting state machine", () => {
  it("goes through Parsec's steps in order, and names them as invitectl list does", () => {
    let r = newRecord("inv", "Ann", t0);
    expect(stateLabel(r)).to.equal("waiting for claimer");
    r = join(r, "claimer", { sid: "c", key: K, passive: false }, t0);
    expect(stateLabel(r)).to.equal("waiting for greeter");
    r = join(r, "greeter", { sid: "g", key: K, passive: false }, t0);
    expect(r.attempt).to.be.a("string");
    const steps: [string, "greeter" | "claimer", Parameters<typeof apply>[3]][] = [
      ["greeter_commit", "greeter", { do: "commit", commitment: K }],
      ["claimer_nonce", "claimer", { do: "nonce", nonce: K }],
      ["greeter_reveal", "greeter", { do: "reveal", nonce: K, matches: true }],
      ["claimer_pick", "claimer", { do: "trust", ok: true }],
      ["greeter_pick", "greeter", { do: "trust", ok: true }],
      ["claimer_info", "claimer", { do: "info", username: "bo", displayName: "Bo", sealed: "x" }],
      ["greeter_review", "greeter", { do: "confirm", username: "bo", roles: [] }],
    ];
    for (const [phase, side, action] of steps) {
      expect(phaseOf(r)).to.equal(phase);
      expect(stateLabel(r)).to.equal(["claimer_info", "greeter_review"].includes(phase) ? "codes exchanged" : "exchanging codes");
      // The other side cannot take this step.
      expect(() => apply(r, side === "greeter" ? "claimer" : "greeter", side === "greeter" ? "c" : "g", action, t0, limits)).to.throw();
      r = apply(r, side, side === "greeter" ? "g" : "c", action, t0, limits);
    }
    expect(phaseOf(r)).to.equal("creating");
  });

  it("refuses a second greeter or claimer while one sits", () => {
    const r = seated();
    expect(() => join(r, "claimer", { sid: "c2", key: K, passive: true }, t0)).to.throw(/already claiming/);
    expect(() => join(r, "greeter", { sid: "g2", key: K, passive: false }, t0)).to.throw(/already greeting/);
  });

  it("ends the attempt on a wrong pick, tells both sessions, counts it, and revokes after the last", () => {
    let r = seated();
    for (const [a, side, sid] of [[{ do: "commit", commitment: K }, "greeter", "g"], [{ do: "nonce", nonce: K }, "claimer", "c"], [{ do: "reveal", nonce: K, matches: true }, "greeter", "g"]] as const) r = apply(r, side, sid, a, t0, limits);
    r = apply(r, "claimer", "c", { do: "trust", ok: false }, t0, limits);
    expect(r.ended?.reason).to.equal("wrong_code");
    expect(r.ended?.sids).to.have.members(["g", "c"]);
    expect(r.ended?.message).to.include("2 of 3 attempts left");
    expect(r.failures).to.equal(1);
    expect(phaseOf(r)).to.equal("waiting_for_claimer");
    expect(() => apply(r, "claimer", "c", { do: "cancel" }, t0, limits)).to.throw(/picked a code/);
    r = endAttempt({ ...r, failures: 2 }, "wrong_code", "Wrong.", t0, limits, true);
    expect(r.revoked).to.equal(true);
    expect(phaseOf(r)).to.equal("cancelled");
  });

  it("ends an attempt whose greeter does not reveal the nonce it committed to, as a failure", () => {
    let r = seated();
    r = apply(r, "greeter", "g", { do: "commit", commitment: K }, t0, limits);
    r = apply(r, "claimer", "c", { do: "nonce", nonce: K }, t0, limits);
    r = apply(r, "greeter", "g", { do: "reveal", nonce: K, matches: false }, t0, limits);
    expect(r.ended?.reason).to.equal("bad_nonce");
    expect(r.failures).to.equal(1);
  });

  it("times out a sync point after stepMs, and not before", () => {
    const r = seated();
    expect(tick(r, t0 + limits.stepMs, { ...limits, livenessMs: Infinity })).to.equal(r);
    const late = tick(r, t0 + limits.stepMs + 1, { ...limits, livenessMs: Infinity });
    expect(late.ended?.reason).to.equal("timeout");
    expect(late.ended?.message).to.equal("Timed out waiting for the greeter.");
  });

  it("counts a waiting side that stopped asking as gone, but not a browser without events while it is its turn", () => {
    let r = seated();
    const gone = tick(r, t0 + limits.livenessMs + 1, limits);
    // The greeter's turn (commit): the passive browser claimer may be silent, the greeter may not.
    expect(gone.ended?.message).to.equal("The greeter went away.");
    r = apply(r, "greeter", "g", { do: "commit", commitment: K }, t0, limits);
    r = { ...r, greeter: { ...r.greeter!, seenAt: t0 + limits.livenessMs } };
    expect(tick(r, t0 + limits.livenessMs + 1, limits)).to.equal(r);
  });
});
