import { expect } from "chai";
import { DEFAULT_SCOPE, formatScope, parseScope, requireExpiry, requireGroups, requireOperation, requireRoles, requireType, requireUses } from "../../modules/invites_api/scope.js";

const code = (fn: () => void) => { try { fn(); return "ok"; } catch (e) { return (e as { code: string }).code; } };

describe("invites_api scope (unit)", () => {
  it("defaults to what a Prosody key does: single-use account invites", () => {
    expect(parseScope({})).to.deep.equal(DEFAULT_SCOPE);
    expect(formatScope(DEFAULT_SCOPE)).to.equal("create types=account max-uses=1");
  });

  it("parses the compact flags", () => {
    const s = parseScope({ scope: "create,list", types: "account,contact", maxUses: "10", maxExpiry: "30d", roles: "member", groups: "a,b" });
    expect(s).to.deep.equal({ operations: ["create", "list"], types: ["account", "contact"], maxUses: 10, maxExpiryMs: 30 * 86_400_000, roles: ["member"], groups: ["a", "b"] });
    expect(parseScope({ scope: "all", types: "all", maxUses: "unlimited" })).to.include({ maxUses: null });
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
});
