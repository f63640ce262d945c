import { expect } from "chai";
import { DEFAULT_SCOPE, formatScope, outOfScope, parseScope, requireEmail, requireExpiry, requireGroups, requireInviter, requireOperation, requireResetTarget, requireRoles, requireType, requireUses } from "../../modules/invites_api/scope.js";
import type { Invite } from "../../modules/invites/types.js";

const code = (fn: () => void) => { try { fn(); return "ok"; } catch (e) { return (e as { code: string }).code; } };

describe("invites_api scope (unit)", () => {
  it("defaults to what a Prosody key does: single-use account invites", () => {
    expect(parseScope({})).to.deep.equal(DEFAULT_SCOPE);
    expect(formatScope(DEFAULT_SCOPE)).to.equal("create types=account max-uses=1");
  });

  it("parses the compact flags", () => {
    const s = parseScope({ scope: "create,list", types: "account,contact", maxUses: "10", maxExpiry: "30d", roles: "member", groups: "a,b" });
    expect(s).to.deep.equal({ operations: ["create", "list"], types: ["account", "contact"], maxUses: 10, maxExpiryMs: 30 * 86_400_000, roles: ["member"], groups: ["a", "b"], inviter: null, anyInviter: false, resetUsers: null, resetAdmins: false, email: false, preactivate: false });
    expect(parseScope({ scope: "all", types: "all", maxUses: "unlimited" })).to.include({ maxUses: null });
  });

  it("lets a key email invites only with --email, and pre-activate only with --preactivate (which implies --email)", () => {
    expect(parseScope({ email: true })).to.include({ email: true, preactivate: false });
    expect(parseScope({ preactivate: true })).to.include({ email: true, preactivate: true });
    expect(formatScope(parseScope({ email: true }))).to.equal("create types=account max-uses=1 email");
    expect(formatScope(parseScope({ preactivate: true }))).to.equal("create types=account max-uses=1 preactivate");
    expect(code(() => requireEmail(DEFAULT_SCOPE, false))).to.equal("invites_api.out_of_scope");
    expect(code(() => requireEmail(parseScope({ email: true }), false))).to.equal("ok");
    expect(code(() => requireEmail(parseScope({ email: true }), true))).to.equal("invites_api.out_of_scope");
    expect(code(() => requireEmail(parseScope({ preactivate: true }), true))).to.equal("ok");
  });

  it("refuses unknown operations, types and bad bounds, naming the flag", () => {
    for (const [flags, flag] of [[{ scope: "create,delete" }, "--scope"], [{ types: "party" }, "--types"], [{ maxUses: "0" }, "--max-uses"], [{ maxUses: "many" }, "--max-uses"], [{ maxExpiry: "soon" }, "--max-expiry"]] as const) {
      expect(() => parseScope(flags)).to.throw(flag);
    }
  });

  it("checks requests against the scope with invites_api.out_of_scope", () => {
    const s = parseScope({ scope: "create", types: "account", maxUses: "3", maxExpiry: "1d", roles: "member" });
    const now = Date.now();
    expect(code(() => requireOperation(s, "create"))).to.equal("ok");
    expect(code(() => requireOperation(s, "list"))).to.equal("invites_api.out_of_scope");
    expect(code(() => requireType(s, "reset"))).to.equal("invites_api.out_of_scope");
    expect(code(() => requireUses(s, 3))).to.equal("ok");
    expect(code(() => requireUses(s, 4))).to.equal("invites_api.out_of_scope");
    expect(code(() => requireUses(s, null))).to.equal("invites_api.out_of_scope");
    expect(code(() => requireExpiry(s, now + 86_400_000, now))).to.equal("ok");
    expect(code(() => requireExpiry(s, now + 86_400_001, now))).to.equal("invites_api.out_of_scope");
    expect(code(() => requireRoles(s, ["member"]))).to.equal("ok");
    expect(code(() => requireRoles(s, ["prosody:admin"]))).to.equal("invites_api.out_of_scope");
    expect(code(() => requireGroups(s, ["x"]))).to.equal("invites_api.out_of_scope");
    expect(code(() => requireGroups(parseScope({ groups: "*" }), ["x"]))).to.equal("ok");
  });

  it("names an inviter only for the key's own user, or any with --any-inviter (consent)", () => {
    const plain = parseScope({ types: "contact" });
    expect(code(() => requireInviter(plain, "admin@example.org"))).to.equal("invites_api.out_of_scope");
    expect(code(() => requireInviter(plain, undefined))).to.equal("invites_api.out_of_scope");
    const bound = parseScope({ types: "contact", inviter: "alice@example.org" });
    expect(requireInviter(bound, undefined)).to.equal("alice@example.org");
    expect(code(() => requireInviter(bound, "admin@example.org"))).to.equal("invites_api.out_of_scope");
    expect(requireInviter(parseScope({ types: "contact", anyInviter: true }), "bob@example.org")).to.equal("bob@example.org");
  });

  it("resets only listed accounts, and admins only with --reset-admins", () => {
    const any = parseScope({ types: "reset" });
    expect(code(() => requireResetTarget(any, "bob", false))).to.equal("ok");
    expect(code(() => requireResetTarget(any, "root", true))).to.equal("invites_api.out_of_scope");
    expect(code(() => requireResetTarget(parseScope({ types: "reset", resetAdmins: true }), "root", true))).to.equal("ok");
    const listed = parseScope({ types: "reset", resetUsers: "bob,carol" });
    expect(code(() => requireResetTarget(listed, "carol", false))).to.equal("ok");
    expect(code(() => requireResetTarget(listed, "dave", false))).to.equal("invites_api.out_of_scope");
  });

  it("says when an existing invite is outside what the key could have made", () => {
    const now = Date.UTC(2026, 0, 1);
    const base = {
      id: "x", tokenHash: "h", type: "account", host: "example.org", username: null, email: null, inviter: null, source: "ctl",
      roles: [], groups: [], note: null, usesAllowed: 1, usesPending: 0, usesCompleted: 0, reservations: {}, createdAt: now,
      notBefore: null, expiresAt: now + 86_400_000, revokedAt: null, usedAt: null, shortCode: null, shortCodeHash: null, shortCodeExpiresAt: null, extra: {},
    } as Invite;
    const key = parseScope({ scope: "all", types: "account", maxExpiry: "2d" });
    const admin = () => false;
    expect(outOfScope(key, "example.org", base, now, admin)).to.equal(undefined);
    expect(outOfScope(key, "example.org", { ...base, roles: ["prosody:admin"] }, now, admin)).to.equal("its roles");
    expect(outOfScope(key, "example.org", { ...base, usesAllowed: 5 }, now, admin)).to.equal("its number of uses");
    expect(outOfScope(key, "example.org", { ...base, expiresAt: now + 30 * 86_400_000 }, now, admin)).to.equal("its expiry");
    expect(outOfScope(key, "other.org", base, now, admin)).to.equal("another host");
    expect(outOfScope(key, "example.org", { ...base, type: "reset", username: "root" }, now, admin)).to.equal("type reset");
  });
});
