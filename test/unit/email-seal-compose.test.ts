// invites_email's pure parts: sealing links, and the message texts.
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { compose, defaultNext } from "../../modules/invites_email/compose.js";
import { Sealer } from "../../modules/invites_email/seal.js";
import type { Invite } from "../../modules/invites/types.js";

const invite = (over: Partial<Invite> = {}): Invite => ({
  id: "i1", tokenHash: "h", type: "account", host: "example.org", username: null, email: "bea@example.net", inviter: null, source: "ctl",
  roles: [], groups: [], note: null, usesAllowed: 1, usesPending: 0, usesCompleted: 0, reservations: {}, createdAt: 0, notBefore: null,
  expiresAt: Date.UTC(2030, 5, 1, 9, 30), revokedAt: null, usedAt: null, shortCode: null, shortCodeHash: null, shortCodeExpiresAt: null, extra: {}, ...over,
});
const LINK = "https://chat.example.org/invites_page?TOKEN123";

describe("invites_email: sealed links", () => {
  it("seals without the text showing, and opens nothing sealed with another key or damaged", () => {
    const a = new Sealer(randomBytes(32)), b = new Sealer(randomBytes(32));
    const sealed = a.seal(LINK);
    expect(sealed).not.to.include("TOKEN123");
    expect(a.open(sealed)).to.equal(LINK);
    expect(a.seal(LINK)).not.to.equal(sealed); // a fresh IV each time
    expect(b.open(sealed)).to.equal(undefined);
    expect(a.open(sealed.slice(0, -2) + (sealed.endsWith("A") ? "BB" : "AA"))).to.equal(undefined);
    expect(a.open("garbage")).to.equal(undefined);
  });

  it("takes only a 32-byte key", () => {
    expect(() => new Sealer(randomBytes(16))).to.throw("32 bytes");
  });
});

describe("invites_email: messages", () => {
  const base = { link: LINK, site: "Example Chat", withReplyTo: false, preactivated: false } as const;

  it("names the inviter and the service, gives the link and its expiry, in English and French", () => {
    const en = compose({ ...base, invite: invite({ type: "account_and_contact", inviter: "ann@example.org" }), lang: "en", inviter: "Ann" }, ["Next."]);
    expect(en.subject).to.equal("Ann invites you to Example Chat");
    expect(en.text).to.include("Ann has invited you to chat on Example Chat.").and.include(LINK).and.include("1 June 2030 at 09:30 UTC").and.include("Next.");
    expect(en.html).to.include(`href="${LINK}"`).and.include("<p>Next.</p>");
    const fr = compose({ ...base, invite: invite(), lang: "fr", inviter: undefined }, []);
    expect(fr.subject).to.equal("Votre invitation sur Example Chat");
    expect(fr.text).to.include("Vous êtes invité·e à discuter sur Example Chat.").and.include("1 juin 2030");
    expect(fr.html).to.include('<html lang="fr">');
  });

  it("says what happens next for each kind of invite, and for a pre-activation names the account", () => {
    const common = { site: "S", withReplyTo: false, lang: "en" as const };
    expect(defaultNext({ ...common, invite: invite(), inviter: undefined, preactivated: false })[0]).to.include("create your account");
    expect(defaultNext({ ...common, invite: invite({ type: "account_and_contact", inviter: "ann@example.org" }), inviter: "Ann", preactivated: false })[0]).to.include("Ann will then be in your contacts");
    expect(defaultNext({ ...common, invite: invite({ type: "reset", username: "bob" }), inviter: undefined, preactivated: false })[0]).to.include("ignore this message");
    const pre = invite({ username: "barney" });
    expect(defaultNext({ ...common, invite: pre, inviter: undefined, preactivated: true })[0]).to.include("barney@example.org is created then");
    const m = compose({ ...base, invite: pre, lang: "en", inviter: undefined, preactivated: true }, []);
    expect(m.subject).to.equal("Your account barney@example.org on Example Chat is ready");
    expect(m.html).to.include("Activate my account");
  });

  it("escapes names in the HTML part and keeps them as written in the text", () => {
    const m = compose({ ...base, invite: invite({ inviter: "x@example.org" }), lang: "en", inviter: "<script>x</script>" }, ["a < b"]);
    expect(m.html).not.to.include("<script>");
    expect(m.html).to.include("&lt;script&gt;").and.include("a &lt; b");
    expect(m.text).to.include("<script>x</script> has invited you");
  });

  it("mentions replying only when replies go somewhere", () => {
    expect(compose({ ...base, invite: invite(), lang: "en", inviter: undefined, withReplyTo: true }, []).text).to.include("Reply to this message");
    expect(compose({ ...base, invite: invite(), lang: "en", inviter: undefined }, []).text).not.to.include("Reply to this message");
  });
});
