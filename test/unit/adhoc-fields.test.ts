import { expect } from "chai";
import { isModuleError } from "../../core/errors.js";
import { invitesErrors } from "../../modules/invites/index.js";
import type { CreatedInvite, Invite } from "../../modules/invites/types.js";
import {
  boolValue, describeInvite, expiresValue, invitationForm, listValue, renameFieldError, requiredText, textValue, usesValue, xmppTime,
} from "../../modules/invites_adhoc/fields.js";

const NOW = Date.UTC(2026, 0, 1, 12, 0, 0);

function fieldError(fn: () => unknown): { field: unknown; message: string; condition: string } {
  try { fn(); } catch (e) {
    if (!isModuleError(e)) throw e;
    return { field: e.detail?.["field"], message: e.message, condition: e.condition };
  }
  throw new Error("expected an error");
}

const invite: Invite = {
  id: "abc123", tokenHash: "h", type: "account", host: "localhost", username: "juliet", email: null, inviter: "admin@localhost",
  source: "adhoc/admin@localhost", roles: [], groups: [], note: "for the tennis club", usesAllowed: 1, usesPending: 0, usesCompleted: 0,
  reservations: {}, createdAt: NOW, notBefore: null, expiresAt: NOW + 86_400_000, revokedAt: null, usedAt: null, shortCode: null, shortCodeHash: null,
  shortCodeExpiresAt: null, extra: {},
};

describe("adhoc form values", () => {
  it("reads text trimmed, treats empty as absent, and names a missing required field", () => {
    expect(textValue({ a: "  x " }, "a")).to.equal("x");
    expect(textValue({ a: [" y"] }, "a")).to.equal("y");
    // Read the way it is used: a check reading the first value would miss the second.
    expect(fieldError(() => textValue({ roles: ["", "prosody:admin"] }, "roles"))).to.include({ field: "roles", condition: "bad-request" });
    expect(fieldError(() => boolValue({ b: ["0", "1"] }, "b")).message).to.contain("takes one value, got 2");
    expect(textValue({ a: "   " }, "a")).to.equal(undefined);
    const e = fieldError(() => requiredText({}, "accountjid"));
    expect(e).to.include({ field: "accountjid", condition: "bad-request" });
    expect(e.message).to.contain('"accountjid"');
  });

  it("reads XEP-0004 booleans and refuses anything else by name", () => {
    expect(boolValue({ b: "1" }, "b")).to.equal(true);
    expect(boolValue({ b: "true" }, "b")).to.equal(true);
    expect(boolValue({ b: "0" }, "b")).to.equal(false);
    expect(boolValue({}, "b", true)).to.equal(true);
    expect(fieldError(() => boolValue({ b: "yes" }, "b"))).to.include({ field: "b", condition: "bad-request" });
  });

  it("splits multi values on lines and commas, dropping blanks and repeats", () => {
    expect(listValue({ roles: ["a\nb", "b, c", " "] }, "roles")).to.deep.equal(["a", "b", "c"]);
    expect(listValue({}, "roles")).to.deep.equal([]);
  });

  it("reads uses as a positive number or unlimited", () => {
    expect(usesValue({ uses: "5" }, "uses")).to.equal(5);
    expect(usesValue({ uses: "Unlimited" }, "uses")).to.equal(null);
    expect(usesValue({}, "uses")).to.equal(undefined);
    for (const bad of ["0", "-1", "two", "1.5"]) expect(fieldError(() => usesValue({ uses: bad }, "uses"))).to.include({ field: "uses" });
  });

  it("reads expiry as a duration from now or a date, in the future and within a maximum", () => {
    expect(expiresValue({ e: "2d" }, "e", NOW)).to.equal(NOW + 2 * 86_400_000);
    expect(expiresValue({ e: "1 week" }, "e", NOW)).to.equal(NOW + 7 * 86_400_000);
    expect(expiresValue({ e: "2026-02-01T00:00:00Z" }, "e", NOW)).to.equal(Date.UTC(2026, 1, 1));
    expect(expiresValue({}, "e", NOW)).to.equal(undefined);
    expect(fieldError(() => expiresValue({ e: "soon" }, "e", NOW)).message).to.contain('"e"');
    expect(fieldError(() => expiresValue({ e: "2025-01-01" }, "e", NOW)).message).to.contain("not in the future");
    expect(fieldError(() => expiresValue({ e: "5 weeks" }, "e", NOW, 28 * 86_400_000)).message).to.contain("at most 4w");
  });

  it("writes XEP-0082 times without fractions", () => {
    expect(xmppTime(NOW + 123)).to.equal("2026-01-01T12:00:00Z");
  });

  it("renames an invites error field to the form field the user filled in", () => {
    const e = renameFieldError(invitesErrors.bad_duration("The expiry is in the past", { field: "expires" }), { expires: "expires-after" });
    expect(isModuleError(e, "invites_adhoc.bad_field")).to.equal(true);
    expect((e as Error).message).to.equal('Field "expires-after": The expiry is in the past');
    const other = invitesErrors.code_space_full();
    expect(renameFieldError(other, { expires: "expires-after" })).to.equal(other);
  });
});

describe("adhoc result forms", () => {
  it("answers with the XEP-0401 invitation form: FORM_TYPE, uri, landing-url, expire", () => {
    const created: CreatedInvite = { invite, token: "t", uri: "xmpp:localhost?register;preauth=t", landingUrl: "http://x/invites_page/t", link: "http://x/invites_page/t", shortUrl: undefined };
    const form = invitationForm(created, "New account invite");
    const byVar = Object.fromEntries(form.fields.map((f) => [f.var, f]));
    expect(form.type).to.equal("result");
    expect(byVar["FORM_TYPE"]).to.include({ type: "hidden", value: "urn:xmpp:invite#invitation" });
    expect(byVar["uri"]?.value).to.equal(created.uri);
    expect(byVar["landing-url"]?.value).to.equal(created.landingUrl);
    expect(byVar["expire"]?.value).to.equal("2026-01-02T12:00:00Z");
    expect(byVar["id"]?.value).to.equal("abc123");
  });

  it("leaves out landing-url when there is no landing page", () => {
    const created: CreatedInvite = { invite, token: "t", uri: "xmpp:x", landingUrl: undefined, link: "xmpp:x", shortUrl: undefined };
    expect(invitationForm(created, "t").fields.map((f) => f.var)).to.not.include("landing-url");
  });

  it("describes an invite on one line with id, type, status, expiry, uses and note", () => {
    const line = describeInvite(invite, "pending", { inviter: true });
    for (const part of ["abc123", "account", "pending", "expires 2026-01-02T12:00:00Z", "uses 0/1", "for juliet@localhost", "by admin@localhost", "note: for the tennis club"]) {
      expect(line).to.contain(part);
    }
  });
});
