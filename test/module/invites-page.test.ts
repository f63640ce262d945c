import { expect } from "chai";
import { startTestHost, type TestHost } from "../helpers/host.js";
import type { InvitesApi } from "../../modules/invites/types.js";

const ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36";
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("invites_page module", () => {
  let h: TestHost;
  let invites: InvitesApi;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, h.baseUrl), { headers, redirect: "manual" });

  before(async () => {
    h = await startTestHost({
      enabled: ["invites", "invites_page"], http: true,
      options: { site_name: "Example Chat", invites_page_rate_limit: 1000 },
    });
    invites = h.api<InvitesApi>("invites");
  });
  after(() => h.stop());

  it("fills landingUrl, link and shortUrl on invite-created", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", shortCode: true });
    expect(c.landingUrl).to.equal(`${h.baseUrl}invites_page?${c.token}`);
    expect(c.link).to.equal(c.landingUrl);
    expect(c.shortUrl).to.equal(`${h.baseUrl}i/${c.invite.shortCode}`);
  });

  it("serves an account invite with the URI in Link and <link>, an open-in-app button, a QR code and security headers", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", inviter: "ann@localhost" });
    const res = await get(c.landingUrl!);
    expect(res.status).to.equal(200);
    expect(res.headers.get("link")).to.equal(`<${c.uri}>; rel="alternate"`);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).to.include("default-src 'none'").and.include("style-src 'self'").and.include("frame-ancestors 'none'").and.include("form-action 'self'");
    expect(csp).not.to.include("script-src");
    expect(res.headers.get("referrer-policy")).to.equal("no-referrer");
    expect(res.headers.get("x-robots-tag")).to.include("noindex");
    expect(res.headers.get("cache-control")).to.equal("no-store");
    const body = await res.text();
    expect(body).to.include(`<link rel="alternate" href="${c.uri}">`);
    expect(body).to.include(`href="${c.uri}"`);
    expect(body).to.match(/<svg [^>]*class="qr"/);
    expect(body).not.to.match(/<script|\sstyle=|\son[a-z]+=/i);
    expect(body).to.include("ann has invited you to chat on Example Chat.");
    expect(body).to.include(`/register?t=${c.token}`);
  });

  it("orders the app chooser for the visitor's platform and links each app the way it supports", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const android = await (await get(c.landingUrl!, { "user-agent": ANDROID })).text();
    expect(android.indexOf("<h3>Conversations")).to.be.lessThan(android.indexOf("<h3>Monal"));
    expect(android).to.include("play.google.com/store/apps/details?id=eu.siacs.conversations&amp;referrer=xmpp%3Alocalhost%3Fregister%3Bpreauth%3D");
    const iphone = await (await get(c.landingUrl!, { "user-agent": IPHONE })).text();
    expect(iphone.indexOf("<h3>Monal")).to.be.lessThan(iphone.indexOf("<h3>Conversations"));
    expect(iphone).to.include(`/invites_page/setup/monal?${c.token}`);
    expect(iphone).to.include(`/register?t=${c.token}&amp;c=gajim`);
  });

  it("serves a setup page per app with install and accept steps", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const res = await get(`/invites_page/setup/monal?${c.token}`);
    expect(res.status).to.equal(200);
    const body = await res.text();
    expect(body).to.include("Install Monal").and.include(`href="${c.uri}"`).and.include("apps.apple.com");
    const unknownApp = await get(`/invites_page/setup/nope?${c.token}`);
    expect(unknownApp.status).to.equal(404);
    expect(await unknownApp.text()).to.include("<h1>Page not found</h1>").and.include('name="code"');
  });

  it("serves contact-only, account_and_contact and reset invites", async () => {
    const contact = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost" });
    const cb = await (await get(contact.landingUrl!)).text();
    expect(cb).to.include("Chat with ann").and.include(`href="${contact.uri}"`).and.include("ann@localhost");
    expect(cb).not.to.include("/register?");

    const both = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true });
    const bb = await (await get(both.landingUrl!)).text();
    // No XMPP server behind this host, so no contact backend is known: no promise, but how to add ann by hand.
    expect(bb).to.include("add ann to your contacts in your app: their address is ann@localhost").and.not.include("ann will be in your contacts");

    const reset = await invites.createReset({ host: "localhost", source: "test", username: "bob" });
    const rb = await (await get(reset.landingUrl!)).text();
    expect(rb).to.include("bob@localhost").and.include(`/register?t=${reset.token}`);
  });

  it("says why an invite cannot be used: unknown 404, revoked, used up and expired 410", async () => {
    const unknown = await get("/invites_page?AAAAAAAAAAAAAAAAAAAAAAAA");
    expect(unknown.status).to.equal(404);
    expect(await unknown.text()).to.include("This invite does not exist").and.include("I have a code");

    const revoked = await invites.createAccount({ host: "localhost", source: "test" });
    await invites.revoke(revoked.invite.id);
    const rv = await get(revoked.landingUrl!);
    expect(rv.status).to.equal(410);
    expect(await rv.text()).to.include("has been cancelled");

    const once = await invites.createAccount({ host: "localhost", source: "test" });
    await invites.complete(await invites.reserve(once.token, "someone"));
    const used = await get(once.landingUrl!);
    expect(used.status).to.equal(410);
    expect(await used.text()).to.include("already been used");

    const short = await invites.createAccount({ host: "localhost", source: "test", expiresAt: Date.now() + 300 });
    await sleep(400);
    const exp = await get(short.landingUrl!);
    expect(exp.status).to.equal(410);
    expect(await exp.text()).to.include("has expired");
  });

  it("resolves a short link and a code typed by hand in the form", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", shortCode: true });
    const code = c.invite.shortCode!;
    const viaLink = await get(`/i/${code}`);
    expect(viaLink.status).to.equal(303);
    expect(viaLink.headers.get("location")).to.equal(c.landingUrl);

    const typed = `${code.slice(0, 4).toLowerCase()}-${code.slice(4)}`;
    const viaForm = await fetch(new URL("/invites_page/code", h.baseUrl), {
      method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ code: typed }),
    });
    expect(viaForm.status).to.equal(303);
    expect(viaForm.headers.get("location")).to.equal(c.landingUrl);

    const form = await get("/invites_page");
    expect(form.status).to.equal(200);
    expect(await form.text()).to.include('name="code"');

    const bad = await fetch(new URL("/invites_page/code", h.baseUrl), { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "code=%3Cb%3E" });
    expect(bad.status).to.equal(400);
    const badBody = await bad.text();
    expect(badBody).to.include("not a valid code").and.include("&lt;b&gt;");
    expect((await get("/i/ZZZZZZZZ")).status).to.equal(404);
  });

  it("answers GET /pairing/CODE with JSON for apps, and 404 JSON for an unknown code", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true, shortCode: true, extra: { inviter_name: "Ann Example" } });
    const res = await get(`/pairing/${c.invite.shortCode}`);
    expect(res.status).to.equal(200);
    const body = await res.json() as Record<string, unknown>;
    expect(body).to.deep.include({ type: "account_and_contact", landing_url: c.landingUrl, uri: c.uri, expires: new Date(c.invite.expiresAt).toISOString() });
    expect(body["site"]).to.deep.equal({ name: "Example Chat", logo: null });
    expect(body["inviter"]).to.deep.equal({ jid: "ann@localhost", name: "Ann Example", avatar: null });

    const missing = await get("/pairing/ABCDEFGH");
    expect(missing.status).to.equal(404);
    expect(missing.headers.get("content-type")).to.include("application/json");
    expect((await missing.json() as { error: string }).error).to.equal("invites_page.unknown_code");
  });

  it("shows French for Accept-Language: fr and switches with ?lang=", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", inviter: "ann@localhost" });
    const fr = await (await get(c.landingUrl!, { "accept-language": "fr-FR,fr;q=0.9,en;q=0.5" })).text();
    expect(fr).to.include('<html lang="fr">').and.include("ann vous invite à discuter sur Example Chat.");
    const en = await get(`${c.landingUrl}&lang=en`, { "accept-language": "fr" });
    expect(await en.text()).to.include('<html lang="en">');
    expect(en.headers.get("set-cookie")).to.include("lang=en");
    const sw = await (await get(`${c.landingUrl}&lang=fr`)).text();
    expect(sw).to.include('<html lang="fr">').and.include(`href="/invites_page?${c.token}&amp;lang=en"`);
  });

  it("escapes the inviter's display name", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", inviter: "ann@localhost", extra: { inviter_name: `<img src=x onerror="alert(1)">` } });
    const body = await (await get(c.landingUrl!)).text();
    expect(body).to.include("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    expect(body).not.to.include("<img src=x");
  });

  it("serves its stylesheet as a file", async () => {
    const res = await get("/invites_page/static/style.css");
    expect(res.status).to.equal(200);
    expect(res.headers.get("content-type")).to.include("text/css");
    expect(await res.text()).to.include("prefers-color-scheme: dark");
  });
});

describe("invites_page rate limits", () => {
  it("answers 429 with a page once an address looked up too many tokens", async () => {
    const h = await startTestHost({ enabled: ["invites", "invites_page"], http: true, options: { invites_page_rate_limit: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await fetch(`${h.baseUrl}invites_page?AAAAAAAAAAAAAAAAAAAAAAA${i}`)).status);
      expect(statuses).to.deep.equal([404, 404, 404, 429]);
      const res = await fetch(`${h.baseUrl}pairing/ABCDEFGH`);
      expect(res.status).to.equal(429);
      expect(res.headers.get("retry-after")).to.match(/^\d+$/);
    } finally {
      await h.stop();
    }
  });
});
