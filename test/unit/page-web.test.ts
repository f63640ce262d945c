import { createHash } from "node:crypto";
import { expect } from "chai";
import { esc, html, raw, safeUrl } from "../../web/html.js";
import { negotiate, translator } from "../../web/i18n.js";
import { buildApps, checkSiteApps, detectPlatform, renderLinkTemplate, sortApps } from "../../web/apps.js";
import { CsrfSigner } from "../../web/security.js";
import { tokenFromQuery } from "../../modules/invites_page/index.js";
import { ShortCodes } from "../../modules/invites_page/shortcodes.js";
import { checkPassword, checkPolicyOption, DEFAULT_POLICY } from "../../modules/invites_register/policy.js";
import type { Store } from "../../core/types.js";

function memoryStore<T>(): Store<T> & { map: Map<string, T> } {
  const map = new Map<string, T>();
  return {
    map,
    get: async (k) => map.get(k),
    getMany: async (ks) => ks.map((k) => map.get(k)),
    set: async (k, v) => { map.set(k, v); },
    delete: async (k) => map.delete(k),
    update: async (k, fn) => { const v = await fn(map.get(k)); if (v === undefined) map.delete(k); else map.set(k, v); return v; },
  };
}

describe("page helpers", () => {
  it("html`` escapes interpolated text but keeps Html and arrays of Html", () => {
    const name = `<script>alert("x")</script>&'`;
    const out = html`<p title="${name}">${name}${[html`<b>${"1<2"}</b>`, raw("<i>ok</i>")]}</p>`.text;
    expect(out).to.equal(`<p title="${esc(name)}">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;<b>1&lt;2</b><i>ok</i></p>`);
    expect(out).not.to.include("<script>");
  });

  it("safeUrl lets http(s), xmpp: and site paths through and turns javascript: into #", () => {
    expect(safeUrl("https://a.example/x")).to.equal("https://a.example/x");
    expect(safeUrl("xmpp:a@b?roster")).to.equal("xmpp:a@b?roster");
    expect(safeUrl("/register?t=x")).to.equal("/register?t=x");
    expect(safeUrl("javascript:alert(1)")).to.equal("#");
    expect(safeUrl("//evil.example/")).to.equal("#");
    expect(safeUrl("JaVaScRiPt:alert(1)")).to.equal("#");
  });

  it("negotiates the language from Accept-Language quality values", () => {
    expect(negotiate("fr-FR,fr;q=0.9,en;q=0.8")).to.equal("fr");
    expect(negotiate("de-DE,en;q=0.5,fr;q=0.7")).to.equal("fr");
    expect(negotiate("de, it")).to.equal("en");
    expect(negotiate("fr;q=0, en")).to.equal("en");
    expect(negotiate(undefined)).to.equal("en");
  });

  it("translates with placeholders in English and French", () => {
    expect(translator("en")("intro_inviter", { inviter: "Ann", site: "Chat" })).to.equal("Ann has invited you to chat on Chat.");
    expect(translator("fr")("intro_inviter", { inviter: "Ann", site: "Chat" })).to.equal("Ann vous invite à discuter sur Chat.");
  });

  it("renders app link templates like Prosody's util.interpolation (escaped, raw with !, filters)", () => {
    const vars = { app: { link: "https://play.example/?id=x" }, invite: { uri: "xmpp:a@b?register;preauth=T" } };
    expect(renderLinkTemplate("{app.link!}&referrer={invite.uri}", vars)).to.equal("https://play.example/?id=x&referrer=xmpp%3Aa%40b%3Fregister%3Bpreauth%3DT");
    expect(renderLinkTemplate("https://w.example/#{invite.uri|noscheme!}", vars)).to.equal("https://w.example/#a@b?register;preauth=T");
    expect(renderLinkTemplate("x{missing?none}", vars)).to.equal("xnone");
  });

  it("detects the platform and lists its apps first", () => {
    expect(detectPlatform("Mozilla/5.0 (Linux; Android 14; Pixel 8)")).to.equal("Android");
    expect(detectPlatform("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)")).to.equal("iOS");
    expect(detectPlatform("Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0)")).to.equal("macOS");
    expect(detectPlatform("Mozilla/5.0 (Windows NT 10.0; Win64; x64)")).to.equal("Windows");
    expect(detectPlatform("Mozilla/5.0 (X11; Linux x86_64)")).to.equal("Linux");
    expect(detectPlatform("curl/8")).to.equal(undefined);
    const apps = buildApps(undefined, [], []);
    const ios = sortApps(apps, "iOS");
    expect(ios.filter((a) => a.forDevice).map((a) => a.app.id)).to.deep.equal(["monal", "siskin-im"]);
    expect(ios[0]!.app.id).to.equal("monal");
    expect(sortApps(apps, undefined).every((a) => !a.forDevice)).to.equal(true);
  });

  it("filters apps with site_apps_show / site_apps_hide and checks site_apps", () => {
    expect(buildApps(undefined, ["gajim", "dino"], []).map((a) => a.id)).to.deep.equal(["gajim", "dino"]);
    expect(buildApps(undefined, [], ["conversations"]).map((a) => a.id)).not.to.include("conversations");
    expect(checkSiteApps([{ name: "X", platforms: ["Linux"] }])).to.equal(undefined);
    expect(checkSiteApps([{ text: "no name" }])).to.match(/"name" is required/);
    expect(checkSiteApps([{ name: "X", download: { buttons: [{ text: "no url" }] } }])).to.match(/needs a "url"/);
  });

  it("accepts a CSRF token only with the same cookie and invite token", () => {
    const s = new CsrfSigner(Buffer.alloc(32, 7));
    const t = s.sign("cookie-a", "invite-1");
    expect(s.verify("cookie-a", "invite-1", t)).to.equal(true);
    expect(s.verify("cookie-b", "invite-1", t)).to.equal(false);
    expect(s.verify("cookie-a", "invite-2", t)).to.equal(false);
    expect(s.verify(undefined, "invite-1", t)).to.equal(false);
    expect(s.verify("cookie-a", "invite-1", [t])).to.equal(false);
  });

  it("reads the token from Prosody's ?TOKEN form and from ?t=", () => {
    expect(tokenFromQuery("/invites_page?abcDEF123_-x")).to.equal("abcDEF123_-x");
    expect(tokenFromQuery("/invites_page?lang=fr&abc")).to.equal("abc");
    expect(tokenFromQuery("/invites_page?t=abc&lang=fr")).to.equal("abc");
    expect(tokenFromQuery("/invites_page")).to.equal(undefined);
  });

  it("keeps short code tokens encrypted under a key that needs the host secret as well as the code", async () => {
    const store = memoryStore<{ iv: string; data: string; tag: string }>();
    const codes = new ShortCodes(store, Buffer.alloc(32, 7));
    await codes.put("ABCD2345", "the-secret-token-value", Date.now() + 60_000);
    const [key] = [...store.map.keys()];
    expect(key).not.to.include("ABCD2345");
    // Not the plain hash of the code an attacker with the store could compute for every code.
    expect(key).not.to.equal(createHash("sha256").update("xmpp-invites/short-code/id\nABCD2345").digest("hex"));
    expect(JSON.stringify([...store.map.values()])).not.to.include("the-secret-token-value");
    expect(await codes.token("ABCD2345")).to.equal("the-secret-token-value");
    expect(await codes.token("ABCD2346")).to.equal(undefined);
    // The same store with another host secret: the code opens nothing.
    expect(await new ShortCodes(store, Buffer.alloc(32, 8)).token("ABCD2345")).to.equal(undefined);
  });

  it("applies the password policy", () => {
    expect(checkPassword("short", "ann", DEFAULT_POLICY)).to.deep.equal({ key: "err_pw_short", vars: { n: 8 } });
    expect(checkPassword("my-ann-password", "ann", DEFAULT_POLICY)).to.deep.equal({ key: "err_pw_username" });
    expect(checkPassword("correct horse", "ann", DEFAULT_POLICY)).to.equal(undefined);
    expect(checkPassword("x".repeat(20), "ann", { ...DEFAULT_POLICY, max_length: 10 })?.key).to.equal("err_pw_long");
    expect(checkPolicyOption({ length: 12 })).to.equal(undefined);
    expect(checkPolicyOption({ lenght: 12 })).to.match(/unknown key "lenght"/);
    expect(checkPolicyOption({ length: 20, max_length: 10 })).to.match(/greater than max_length/);
  });
});
