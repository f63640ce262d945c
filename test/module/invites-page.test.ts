import { expect } from "chai";
import { startTestHost, type TestHost } from "../helpers/host.js";
import type { InvitesApi } from "../../modules/invites/types.js";
import { xml } from "../../core/types.js";
import { SERVER_PROTOCOL_NS } from "../../modules/invites_inapp/index.js";

const ANDROID = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 Chrome/126 Mobile Safari/537.36";
const IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148";

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

  it("serves an account invite web first without the server module: no xmpp: URI anywhere, the browser registration as the primary action", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", inviter: "ann@localhost" });
    const res = await get(c.landingUrl!);
    expect(res.status).to.equal(200);
    expect(res.headers.get("link")).to.equal(null);
    const csp = res.headers.get("content-security-policy")!;
    expect(csp).to.include("default-src 'none'").and.include("style-src 'self'").and.include("frame-ancestors 'none'").and.include("form-action 'self'");
    expect(csp).not.to.include("script-src");
    expect(res.headers.get("referrer-policy")).to.equal("no-referrer");
    expect(res.headers.get("x-robots-tag")).to.include("noindex");
    expect(res.headers.get("cache-control")).to.equal("no-store");
    const body = await res.text();
    expect(body).not.to.include("xmpp:").and.not.to.include("preauth").and.not.to.include("Open in my app");
    expect(body).to.include(`<a class="button" href="${h.baseUrl}register?t=${c.token}">Create the account in your browser</a>`);
    expect(body).to.match(/<svg [^>]*class="qr"/);
    expect(body).not.to.match(/<script|\sstyle=|\son[a-z]+=/i);
    expect(body).to.include("ann has invited you to chat on Example Chat.");
  });

  it("orders the app chooser for the visitor's platform; without the server module every app leads to the browser registration first", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const android = await (await get(c.landingUrl!, { "user-agent": ANDROID })).text();
    expect(android.indexOf("<h3>Conversations")).to.be.lessThan(android.indexOf("<h3>Monal"));
    expect(android).to.include(`/register?t=${c.token}&amp;c=conversations`);
    expect(android).not.to.include("play.google.com/store/apps/details?id=eu.siacs.conversations&amp;referrer");
    const iphone = await (await get(c.landingUrl!, { "user-agent": IPHONE })).text();
    expect(iphone.indexOf("<h3>Monal")).to.be.lessThan(iphone.indexOf("<h3>Conversations"));
    expect(iphone).to.include(`/register?t=${c.token}&amp;c=monal`).and.include(`/register?t=${c.token}&amp;c=gajim`);
    expect(iphone).not.to.include("/invites_page/setup/");
  });

  it("serves a setup page per app: install it, then create the account in the browser (no xmpp: button without the server module)", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const res = await get(`/invites_page/setup/monal?${c.token}`);
    expect(res.status).to.equal(200);
    const body = await res.text();
    expect(body).to.include("Install Monal").and.include("apps.apple.com").and.include("Create your account").and.include(`/register?t=${c.token}&amp;c=monal`);
    expect(body).not.to.include("xmpp:");
    const unknownApp = await get(`/invites_page/setup/nope?${c.token}`);
    expect(unknownApp.status).to.equal(404);
    expect(await unknownApp.text()).to.include("<h1>Page not found</h1>").and.include('name="code"');
  });

  it("serves contact-only, account_and_contact and reset invites; a contact-only invite offers a plain contact request and lists apps before the QR code", async () => {
    const contact = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost" });
    const res = await get(contact.landingUrl!);
    expect(res.headers.get("link")).to.equal('<xmpp:ann@localhost?roster>; rel="alternate"');
    const cb = await res.text();
    expect(cb).to.include("Chat with ann").and.include('href="xmpp:ann@localhost?roster"').and.include("ann@localhost").and.include("ann will be asked to accept your request.");
    expect(cb).not.to.include("preauth").and.not.to.include("/register?");
    expect(cb.indexOf('class="apps"')).to.be.greaterThan(0).and.lessThan(cb.indexOf('class="qr-box"'));
    const setup = await (await get(`/invites_page/setup/monal?${contact.token}`)).text();
    expect(setup).to.include("<h1>Add ann with Monal</h1>").and.not.to.include("Join");
    expect(setup).to.include('href="xmpp:ann@localhost?roster"');
    // Movim runs in the browser: it gets the address to add, never an xmpp: button.
    const movim = await (await get(`/invites_page/setup/movim?${contact.token}`)).text();
    expect(movim).to.include("Sign in to Movim, then add ann@localhost to your contacts.").and.not.to.match(/<a [^>]*href="xmpp:/);

    const both = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true });
    const bb = await (await get(both.landingUrl!)).text();
    // No XMPP server behind this host, so no contact backend is known: no promise, but how to add ann by hand.
    expect(bb).to.include("add ann to your contacts in your app: their address is ann@localhost").and.not.include("ann will be in your contacts").and.not.include("xmpp:");

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

    const short = await invites.createAccount({ host: "localhost", source: "test", expiresAt: h.clock.now() + 300 });
    h.clock.advance(400);
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
    // No server module: an app could not register with the token, so no URI is given.
    expect(body).to.deep.include({ type: "account_and_contact", landing_url: c.landingUrl, uri: null, in_app: false, expires: new Date(c.invite.expiresAt).toISOString() });
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

describe("invites_page once the XMPP server announced the server module", () => {
  let h: TestHost;
  let invites: InvitesApi;
  const get = (path: string, headers: Record<string, string> = {}) => fetch(new URL(path, h.baseUrl), { headers, redirect: "manual" });
  /** What mod_xmpp_invites sends when it loads or the component connects, through the component's own handler. */
  const announce = () => h.host.iqHandlers.get(`set ${SERVER_PROTOCOL_NS}`)!({
    from: "localhost", to: "invites.localhost", id: "a1", type: "set", element: xml("announce", { xmlns: SERVER_PROTOCOL_NS, boot: "b1", version: "test" }),
  });

  before(async () => {
    h = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_inapp"], http: true,
      options: { site_name: "Example Chat", invites_page_rate_limit: 1000 },
    });
    invites = h.api<InvitesApi>("invites");
    await announce();
  });
  after(() => h.stop());

  it("hands the invite to apps: the URI in Link and <link>, \"Open in my app\" as the primary action, the browser as the alternative", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const res = await get(c.landingUrl!);
    expect(res.headers.get("link")).to.equal(`<${c.uri}>; rel="alternate"`);
    const body = await res.text();
    expect(body).to.include(`<link rel="alternate" href="${c.uri}">`);
    expect(body).to.include(`<a class="button" href="${c.uri}">Open in my app</a>`);
    expect(body).to.include(`<a class="button secondary" href="${h.baseUrl}register?t=${c.token}">Create the account in your browser</a>`);
  });

  it("links each app the way it takes invites: Conversations' store link with the URI, Monal's setup page with the URI, Gajim to the browser", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const android = await (await get(c.landingUrl!, { "user-agent": ANDROID })).text();
    expect(android).to.include("play.google.com/store/apps/details?id=eu.siacs.conversations&amp;referrer=xmpp%3Alocalhost%3Fregister%3Bpreauth%3D");
    const iphone = await (await get(c.landingUrl!, { "user-agent": IPHONE })).text();
    expect(iphone).to.include(`/invites_page/setup/monal?${c.token}`).and.include(`/register?t=${c.token}&amp;c=gajim`);
    const setup = await (await get(`/invites_page/setup/monal?${c.token}`)).text();
    expect(setup).to.include("Open the invite in Monal").and.include(`href="${c.uri}"`).and.include(`/register?t=${c.token}&amp;c=monal`);
  });

  it("gives contact invites their preauth URI (no approval needed), but still no xmpp: button to a web app", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost" });
    const body = await (await get(c.landingUrl!)).text();
    expect(body).to.include(`href="${c.uri}"`).and.not.to.include("asked to accept");
    const movim = await (await get(`/invites_page/setup/movim?${c.token}`)).text();
    expect(movim).not.to.match(/<a [^>]*href="xmpp:/);
  });

  it("gives apps the URI in /pairing/CODE", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", shortCode: true });
    const body = await (await get(`/pairing/${c.invite.shortCode}`)).json() as Record<string, unknown>;
    expect(body).to.deep.include({ uri: c.uri, in_app: true });
  });

  it("goes back to web first when the link to the XMPP server drops, until the server module announces itself again", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    await h.host.events.fire("component-offline", {});
    expect(await (await get(c.landingUrl!)).text()).not.to.include("xmpp:");
    await announce();
    expect(await (await get(c.landingUrl!)).text()).to.include(`href="${c.uri}"`);
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
