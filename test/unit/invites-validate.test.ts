import { expect } from "chai";
import { parseUses, parseWhen } from "../../modules/invites/parse.js";
import { isModuleError } from "../../core/errors.js";
import { buildUri, parseBareJid } from "../../modules/invites/uri.js";
import { RESERVATION_TTL_MS, deadSince, inviteStatus, validateInvite } from "../../modules/invites/validate.js";
import type { Invite } from "../../modules/invites/types.js";

const NOW = Date.UTC(2026, 0, 10);
const DAY = 86_400_000;

function invite(over: Partial<Invite> = {}): Invite {
  return {
    id: "AAAAAAAAAAAA", tokenHash: "x", type: "account", host: "example.org", username: null, email: null, inviter: null,
    source: "ctl", roles: [], groups: [], note: null, usesAllowed: 1, usesPending: 0, usesCompleted: 0, reservations: {},
    createdAt: NOW - DAY, notBefore: null, expiresAt: NOW + DAY, revokedAt: null, usedAt: null, shortCode: null, shortCodeHash: null,
    shortCodeExpiresAt: null, extra: {}, ...over,
  };
}

describe("invites: xmpp: URIs (XEP-0401, XEP-0379)", () => {
  it("writes an account invite as register on the host", () => {
    expect(buildUri(invite(), "T0K")).to.equal("xmpp:example.org?register;preauth=T0K");
  });
  it("puts a bound username in the JID", () => {
    expect(buildUri(invite({ username: "juliet" }), "T")).to.equal("xmpp:juliet@example.org?register;preauth=T");
    expect(buildUri(invite({ type: "reset", username: "juliet" }), "T")).to.equal("xmpp:juliet@example.org?register;preauth=T");
  });
  it("writes contact invites as roster, with ibr=y when registration is allowed", () => {
    expect(buildUri(invite({ type: "contact", inviter: "romeo@example.org" }), "T")).to.equal("xmpp:romeo@example.org?roster;preauth=T");
    expect(buildUri(invite({ type: "account_and_contact", inviter: "romeo@example.org" }), "T")).to.equal("xmpp:romeo@example.org?roster;preauth=T;ibr=y");
  });
  it("percent-encodes a localpart (RFC 5122)", () => {
    expect(buildUri(invite({ username: "a#b" }), "T")).to.equal("xmpp:a%23b@example.org?register;preauth=T");
  });
  it("parses bare JIDs and refuses full or empty ones", () => {
    expect(parseBareJid("Juliet@Example.org")).to.deep.equal({ local: "Juliet", domain: "example.org" });
    expect(parseBareJid("example.org")).to.deep.equal({ local: undefined, domain: "example.org" });
    expect(parseBareJid("a@b/res")).to.equal(undefined);
    expect(parseBareJid("@b")).to.equal(undefined);
    expect(parseBareJid("a@")).to.equal(undefined);
  });
});

describe("invites: validation reasons and status", () => {
  it("accepts a live invite", () => {
    expect(validateInvite(invite(), NOW)).to.deep.include({ ok: true });
    expect(inviteStatus(invite(), NOW)).to.equal("pending");
  });
  it("gives invalid for a missing invite", () => {
    expect(validateInvite(undefined, NOW)).to.deep.equal({ ok: false, reason: "invalid" });
  });
  it("gives expired at and after expiresAt", () => {
    expect(validateInvite(invite({ expiresAt: NOW }), NOW)).to.deep.include({ ok: false, reason: "expired" });
    expect(inviteStatus(invite({ expiresAt: NOW }), NOW)).to.equal("expired");
  });
  it("gives not_yet_valid before notBefore", () => {
    expect(validateInvite(invite({ notBefore: NOW + 1 }), NOW)).to.deep.include({ ok: false, reason: "not_yet_valid" });
    expect(validateInvite(invite({ notBefore: NOW }), NOW).ok).to.equal(true);
  });
  it("gives revoked first, even when also expired", () => {
    expect(validateInvite(invite({ revokedAt: NOW - 1, expiresAt: NOW - 1 }), NOW)).to.deep.include({ reason: "revoked" });
  });
  it("gives used_up when completed plus live pending uses reach the limit", () => {
    expect(validateInvite(invite({ usesCompleted: 1 }), NOW)).to.deep.include({ reason: "used_up" });
    const pending = { r1: { username: "a", at: NOW - 1000 } };
    expect(validateInvite(invite({ reservations: pending, usesPending: 1 }), NOW)).to.deep.include({ reason: "used_up" });
    // A pending use is not "used" in listings: it may still be released.
    expect(inviteStatus(invite({ reservations: pending, usesPending: 1 }), NOW)).to.equal("pending");
  });
  it("keeps an old reservation's slot: only settling it (complete, release, recovery) gives the use back", () => {
    const stale = { r1: { username: "a", at: NOW - RESERVATION_TTL_MS - 1 } };
    expect(validateInvite(invite({ reservations: stale, usesPending: 1 }), NOW)).to.deep.include({ ok: false, reason: "used_up" });
  });
  it("treats uses_allowed null as unlimited", () => {
    expect(validateInvite(invite({ usesAllowed: null, usesCompleted: 1000 }), NOW).ok).to.equal(true);
  });
  it("knows since when an invite is dead, for sweep", () => {
    expect(deadSince(invite(), NOW)).to.equal(undefined);
    expect(deadSince(invite({ expiresAt: NOW - 5 }), NOW)).to.equal(NOW - 5);
    expect(deadSince(invite({ usesCompleted: 1, usedAt: NOW - 7 }), NOW)).to.equal(NOW - 7);
    expect(deadSince(invite({ revokedAt: NOW - 9 }), NOW)).to.equal(NOW - 9);
  });
});

describe("invites: durations and uses from the command line", () => {
  it("reads relative durations", () => {
    expect(parseWhen("15d", "--x", NOW)).to.equal(NOW + 15 * DAY);
    expect(parseWhen("2h", "--x", NOW)).to.equal(NOW + 2 * 3_600_000);
    expect(parseWhen("30min", "--x", NOW)).to.equal(NOW + 30 * 60_000);
    expect(parseWhen("1w", "--x", NOW)).to.equal(NOW + 7 * DAY);
  });
  it("reads absolute ISO 8601 dates", () => {
    expect(parseWhen("2026-12-01T10:00:00Z", "--x", NOW)).to.equal(Date.UTC(2026, 11, 1, 10));
  });
  it("names the flag in a bad duration error", () => {
    try {
      parseWhen("soon", "--expires-after", NOW);
      expect.fail("should throw");
    } catch (e) {
      expect(isModuleError(e, "invites.bad_duration")).to.equal(true);
      expect((e as Error).message).to.include("--expires-after").and.include("soon");
    }
  });
  it("reads uses as a positive number or unlimited, in any of its spellings", () => {
    expect(parseUses("3", "--uses")).to.equal(3);
    for (const word of ["unlimited", "Unlimited", "INFINITE", "∞", " unlimited "]) expect(parseUses(word, "--uses")).to.equal(null);
    for (const bad of ["-1", "0", "1.5", "many", "", "1000000001"]) expect(() => parseUses(bad, "--uses")).to.throw(/^--uses: expected a whole number from 1 to 1000000000 or "unlimited"/);
  });
});

describe("invites: one parser per value for every front end", () => {
  // The ctl, the two HTTP endpoints and the ad-hoc form read uses and durations through
  // modules/invites/parse.ts; each names its own field, the rest of the message is the same.
  const failure = (fn: () => unknown) => { try { fn(); } catch (e) { return (e as Error).message; } return "accepted"; };

  it("accepts the same words for uses in the ctl, the API and ad-hoc forms", async () => {
    const { parseUses: apiUses } = await import("../../modules/invites_api/validate.js");
    const { usesValue } = await import("../../modules/invites_adhoc/fields.js");
    const { parseScope } = await import("../../modules/invites_api/scope.js");
    for (const word of ["unlimited", "Infinite", "∞"]) {
      expect(parseUses(word, "--uses")).to.equal(null);
      expect(apiUses(word, "uses")).to.equal(null);
      expect(usesValue({ uses: word }, "uses")).to.equal(null);
      expect(parseScope({ maxUses: word }).maxUses).to.equal(null);
    }
    const rest = (m: string) => m.slice(m.indexOf(": ") + 2);
    const messages = [failure(() => parseUses("two", "--uses")), failure(() => apiUses("two", "uses")), failure(() => usesValue({ uses: "two" }, "uses")), failure(() => parseScope({ maxUses: "two" }))];
    expect(new Set(messages.map(rest)).size, messages.join(" | ")).to.equal(1);
    expect(messages[0]).to.match(/^--uses: /);
    expect(messages[2]).to.match(/^Field "uses": /);
  });

  it("reads durations the same way in the ctl, the API and ad-hoc forms", async () => {
    const { parseExpiry } = await import("../../modules/invites_api/validate.js");
    const { expiresValue } = await import("../../modules/invites_adhoc/fields.js");
    expect(parseWhen("2d", "--expires-after", NOW)).to.equal(NOW + 2 * DAY);
    expect(parseExpiry("2d", undefined, ["expires_after", "expires_at"], NOW)).to.equal(NOW + 2 * DAY);
    expect(expiresValue({ e: "2d" }, "e", NOW)).to.equal(NOW + 2 * DAY);
    const rest = (m: string) => m.slice(m.indexOf(": ") + 2);
    const messages = [failure(() => parseWhen("soon", "--expires-after", NOW)), failure(() => expiresValue({ e: "soon" }, "e", NOW))];
    expect(rest(messages[0]!)).to.equal(rest(messages[1]!));
  });
});
