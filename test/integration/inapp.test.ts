// In-app onboarding against each real server running this repository's server module
// (Prosody 0.12: prosody-module/mod_xmpp_invites.lua; ejabberd 23.01:
// ejabberd-module/mod_xmpp_invites.erl, compiled for the run) and the component connected to
// it. The app is a plain TCP XML stream doing what Conversations, Monal and Siskin do with an
// invite (test/harness/xmpp-stream.ts); logging in, rosters and commands use a real XMPP client.
import { expect } from "chai";
import { xml as buildXml } from "../../core/types.js";
import type { InvitesApi } from "../../modules/invites/types.js";
import { SERVER_PROTOCOL_NS } from "../../modules/invites_inapp/index.js";
import type { InvitesInAppApi } from "../../modules/invites_inapp/types.js";
import type { Browser } from "playwright-core";
import { launchBrowser, newContext, PHONE } from "../harness/browser.js";
import { startProsody, type TestProsody } from "../harness/prosody.js";
import { SERVER_KINDS, SERVER_NAMES, startServer, type TestXmppServer } from "../harness/servers.js";
import { loginClient, xml, type TestClient } from "../harness/xmpp-client.js";
import { openStream, preauth, register, registerInApp, StanzaRefusal, type RawStream } from "../harness/xmpp-stream.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { waitFor } from "../helpers/wait.js";

const PASSWORD = "lilac-tandem-42";

async function refused(p: Promise<unknown>): Promise<StanzaRefusal> {
  try { await p; } catch (e) { if (e instanceof StanzaRefusal) return e; throw e; }
  throw new Error("expected the server to refuse");
}

for (const kind of SERVER_KINDS) describe(`in-app onboarding with a real ${SERVER_NAMES[kind]} and mod_xmpp_invites`, function () {
  this.timeout(90_000);
  let xmpp: TestXmppServer;
  let t: TestHost;
  let invites: InvitesApi;
  const streams: RawStream[] = [];
  const clients: TestClient[] = [];
  const stream = async () => { const s = await openStream({ port: xmpp.c2sPort, domain: "localhost" }); streams.push(s); return s; };
  const login = async (jid: string, password = PASSWORD) => { const c = await loginClient({ port: xmpp.c2sPort, jid, password }); clients.push(c); return c; };
  const canLogIn = async (jid: string, password: string) => {
    try { await (await loginClient({ port: xmpp.c2sPort, jid, password })).close(); return true; } catch { return false; }
  };
  const uses = async (token: string) => { const i = (await invites.get(token))!; return { pending: i.usesPending, completed: i.usesCompleted }; };
  const exists = async (jid: string) => (await xmpp.existing([jid])).has(jid);

  before(async () => {
    xmpp = await startServer(kind, { serverModule: true });
    for (const user of ["ann", "bob", "carl", "admin"]) await xmpp.registerUser(user, PASSWORD);
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_adhoc", "invites_inapp"], store: "sqlite",
      xmpp: { server: xmpp.componentServer, jid: xmpp.componentJid, secret: xmpp.componentSecret },
      config: xmpp.productConfig,
      options: { site_name: "Example Chat", invites_page_rate_limit: 0, register_rate_limit: 0, inapp_rate_limit: 100, max_pending_invites_per_user: 2 },
    });
    invites = t.api<InvitesApi>("invites");
    await waitFor("the component link", () => !!t.host.link?.connected);
    // Prosody's contacts go through XEP-0356 roster privileges, granted once the link is up.
    if (kind === "prosody") await waitFor("the XEP-0356 roster privilege", () => t.host.admin.privileges["roster"] === "both");
    await waitFor("the server module's announcement", () => t.api<InvitesInAppApi>("invites_inapp").available("localhost"));
  });

  afterEach(async () => {
    for (const s of streams.splice(0)) await s.close();
    for (const c of clients.splice(0)) await c.close();
  });

  after(async () => {
    await t?.stop();
    await xmpp?.destroy();
  });

  it("announces the host to the component once it connects", () => {
    const servers = t.api<InvitesInAppApi>("invites_inapp").servers();
    expect(servers.map((s) => s.host)).to.include("localhost");
  });
  it("offers token registration in the stream features of an unauthenticated stream (XEP-0401, XEP-0445), registration stays closed without a token", async () => {
    const s = await stream();
    expect(s.features.getChild("register", "urn:xmpp:invite"), "urn:xmpp:invite").to.not.equal(undefined);
    expect(s.features.getChild("register", "urn:xmpp:ibr-token:0"), "urn:xmpp:ibr-token:0").to.not.equal(undefined);
    expect(s.features.getChild("register", "http://jabber.org/features/iq-register"), "in-band registration").to.not.equal(undefined);
    const closed = await refused(register(s, "localhost", "nobody", PASSWORD));
    expect([closed.condition, closed.text]).to.deep.equal(["not-allowed", "Registration on this server is by invitation only: open your invite with your app"]);
    expect(await exists("nobody@localhost")).to.equal(false);
  });

  it("registers in-app: features, preauth, in-band registration, login; the inviter is a mutual contact and the use is spent", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true });
    const s = await stream();
    await preauth(s, "localhost", c.token);
    expect(await uses(c.token), "preauth reserves nothing").to.deep.equal({ pending: 0, completed: 0 });
    // XEP-0077 §3.1: the app asks for the fields first.
    const form = await s.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "jabber:iq:register" })));
    expect(form.getChild("query", "jabber:iq:register")?.getChild("password")).to.not.equal(undefined);
    await register(s, "localhost", "Bea", PASSWORD);
    expect(await uses(c.token)).to.deep.equal({ pending: 0, completed: 1 });
    expect(await exists("bea@localhost")).to.equal(true);

    const bea = await login("bea@localhost");
    const ann = await login("ann@localhost");
    await waitFor("the mutual contact", async () => (await bea.roster()).some((i) => i.jid === "ann@localhost" && i.subscription === "both")
      && (await ann.roster()).some((i) => i.jid === "bea@localhost" && i.subscription === "both"));
    expect((await t.api<{ account(jid: string): Promise<{ source: string } | undefined> }>("invites_register").account("bea@localhost"))?.source).to.equal("in-app");
  });

  it("registers with registerInApp, as an app opening xmpp:localhost?register;preauth=T does", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    await registerInApp({ port: xmpp.c2sPort, domain: "localhost", token: c.token, username: "gus", password: PASSWORD });
    expect(await canLogIn("gus@localhost", PASSWORD)).to.equal(true);
    expect(await uses(c.token)).to.deep.equal({ pending: 0, completed: 1 });
  });

  it("refuses a reuse of a single-use token: at preauth once spent, and at registration while another registration holds it", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const first = await stream();
    const second = await stream();
    await preauth(first, "localhost", c.token);
    await preauth(second, "localhost", c.token);
    await register(first, "localhost", "cora", PASSWORD);
    const late = await refused(register(second, "localhost", "dirk", PASSWORD));
    expect([late.condition, late.text]).to.deep.equal(["gone", "This invite has already been used"]);
    const again = await refused(preauth(await stream(), "localhost", c.token));
    expect([again.condition, again.text]).to.deep.equal(["gone", "This invite has already been used"]);
    expect(await exists("dirk@localhost")).to.equal(false);
    expect(await uses(c.token)).to.deep.equal({ pending: 0, completed: 1 });
  });

  it("refuses revoked, expired, not yet valid, unknown and contact-only tokens at preauth, saying why", async () => {
    const revoked = await invites.createAccount({ host: "localhost", source: "test" });
    await invites.revoke(revoked.invite.id);
    const expired = await invites.createAccount({ host: "localhost", source: "test", expiresAt: t.clock.now() + 60_000 });
    const later = await invites.createAccount({ host: "localhost", source: "test", notBefore: t.clock.now() + 86_400_000 });
    const contact = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost" });
    t.clock.advance(61_000); // past the expired one's expiry, far from the later one's start
    const s = await stream();
    const answers = [];
    for (const token of [revoked.token, expired.token, later.token, "AAAAAAAAAAAAAAAAAAAAAAAA", contact.token]) {
      const r = await refused(preauth(s, "localhost", token));
      answers.push(`${r.condition}: ${r.text}`);
    }
    expect(answers).to.deep.equal([
      "gone: This invite has been revoked",
      "gone: This invite has expired",
      "not-allowed: This invite is not valid yet",
      "item-not-found: This invite does not exist",
      "forbidden: This invite does not allow creating an account",
    ]);
    // The stream has no accepted token: registration is still closed on it.
    expect((await refused(register(s, "localhost", "eli", PASSWORD))).condition).to.equal("not-allowed");
  });

  it("lets a username-bound invite register only its name", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", username: "cleo" });
    const s = await stream();
    await preauth(s, "localhost", c.token);
    const other = await refused(register(s, "localhost", "mallory", PASSWORD));
    expect([other.condition, other.text]).to.deep.equal(["forbidden", "This invite is for the username cleo only"]);
    expect(await exists("mallory@localhost")).to.equal(false);
    expect(await uses(c.token)).to.deep.equal({ pending: 0, completed: 0 });
    await register(s, "localhost", "cleo", PASSWORD);
    expect(await canLogIn("cleo@localhost", PASSWORD)).to.equal(true);
  });

  it("applies the web's rules to the password and username, and refuses a taken name, keeping the invite", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const s = await stream();
    await preauth(s, "localhost", c.token);
    const weak = await refused(register(s, "localhost", "finn", "finn-finn-finn"));
    expect([weak.condition, weak.text]).to.deep.equal(["not-acceptable", "The password must not contain the username."]);
    const spaced = await refused(register(s, "localhost", "two words", PASSWORD));
    expect(spaced.text).to.equal("This username cannot be used: spaces are not allowed");
    const twice = await refused(s.iq(xml("iq", { type: "set", to: "localhost" }, xml("query", { xmlns: "jabber:iq:register" },
      xml("username", {}, "finn"), xml("username", {}, "gwen"), xml("password", {}, PASSWORD)))));
    expect([twice.condition, twice.text]).to.deep.equal(["bad-request", "The username is given more than once; send one"]);
    const taken = await refused(register(s, "localhost", "ann", "another long password"));
    expect([taken.condition, taken.text]).to.deep.equal(["conflict", "The username ann is already taken"]);
    expect(await canLogIn("ann@localhost", PASSWORD), "ann's password is untouched").to.equal(true);
    expect(await uses(c.token)).to.deep.equal({ pending: 0, completed: 0 });
  });

  it("resets a password through in-band registration with a reset invite: another name refused, the old password stops working, no account is created", async () => {
    await xmpp.registerUser("dora", "old-password-123");
    const c = await invites.createReset({ host: "localhost", source: "test", username: "dora" });
    const s = await stream();
    await preauth(s, "localhost", c.token);
    const other = await refused(register(s, "localhost", "eve", "new-password-456"));
    expect([other.condition, other.text]).to.deep.equal(["forbidden", "This invite resets the password of dora only"]);
    await register(s, "localhost", "dora", "new-password-456");
    expect(await canLogIn("dora@localhost", "old-password-123")).to.equal(false);
    expect(await canLogIn("dora@localhost", "new-password-456")).to.equal(true);
    expect(await exists("eve@localhost")).to.equal(false);
    expect(await uses(c.token)).to.deep.equal({ pending: 0, completed: 1 });
    const again = await refused(preauth(await stream(), "localhost", c.token));
    expect(again.condition).to.equal("gone");
  });

  it("XEP-0379: a subscription request with a contact invite's token ends with subscription both on both rosters, nobody approving", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost" });
    const ann = await login("ann@localhost");
    const bob = await login("bob@localhost");
    await bob.send(xml("presence", { type: "subscribe", to: "ann@localhost" }, xml("preauth", { xmlns: "urn:xmpp:pars:0", token: c.token })));
    const both = async (client: TestClient, jid: string) => (await client.roster()).find((i) => i.jid === jid)?.subscription === "both";
    await waitFor("subscription both on both rosters", async () => (await both(bob, "ann@localhost")) && (await both(ann, "bob@localhost")));
    expect(ann.received.some((p) => p.is("presence") && p.attrs.type === "subscribe" && p.attrs.from === "bob@localhost"), "ann was never asked").to.equal(false);
    expect(await uses(c.token)).to.deep.equal({ pending: 0, completed: 1 });

    // The token is spent: another user's request with it is an ordinary one, for ann to approve.
    const carl = await login("carl@localhost");
    await carl.send(xml("presence", { type: "subscribe", to: "ann@localhost" }, xml("preauth", { xmlns: "urn:xmpp:pars:0", token: c.token })));
    await waitFor("ann to be asked", () => ann.received.some((p) => p.is("presence") && p.attrs.type === "subscribe" && p.attrs.from === "carl@localhost"));
    expect((await carl.roster()).find((i) => i.jid === "ann@localhost")?.subscription).to.equal("none");
  });

  it("lists the XEP-0401 commands on the server's JID for what each user may run, and runs them with the component's forms and quotas", async () => {
    const bob = await login("bob@localhost");
    const admin = await login("admin@localhost");
    const nodes = async (c: TestClient) => (await c.commands("localhost")).map((i) => i.node).filter((n) => n.startsWith("urn:xmpp:invite#")).sort();
    expect(await nodes(bob)).to.deep.equal(["urn:xmpp:invite#invite"]);
    expect(await nodes(admin)).to.deep.equal(["urn:xmpp:invite#create-account", "urn:xmpp:invite#invite"]);
    const info = await bob.iq(xml("iq", { type: "get", to: "localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info", node: "urn:xmpp:invite#invite" })));
    const query = info.getChild("query", "http://jabber.org/protocol/disco#info")!;
    expect(query.getChildren("identity").map((i) => `${String(i.attrs.category)}/${String(i.attrs.type)}: ${String(i.attrs.name)}`)).to.deep.equal(["automation/command-node: Create new contact invite"]);
    expect(query.getChildren("feature").map((f) => String(f.attrs.var))).to.include.members(["http://jabber.org/protocol/commands", "jabber:x:data"]);

    const made = await bob.adhoc("localhost", "urn:xmpp:invite#invite");
    expect(made.attrs.status).to.equal("completed");
    const form = made.getChild("x", "jabber:x:data")!;
    const field = (f: typeof form, name: string) => f.getChildren("field").find((x) => x.attrs.var === name)?.getChildText("value");
    expect(field(form, "FORM_TYPE")).to.equal("urn:xmpp:invite#invitation");
    expect(field(form, "uri")).to.match(/^xmpp:bob@localhost\?roster;preauth=[A-Za-z0-9_-]{24}$/);
    expect((await invites.list({ inviter: "bob@localhost" })).invites).to.have.length(1);
    // The same quota as on the component: max_pending_invites_per_user is 2 here.
    await bob.adhoc("localhost", "urn:xmpp:invite#invite");
    const third = await bob.adhoc("localhost", "urn:xmpp:invite#invite").then(() => "completed", (e: { condition?: string }) => e.condition);
    expect(third).to.equal("policy-violation");
    const notAdmin = await bob.adhoc("localhost", "urn:xmpp:invite#create-account").then(() => "completed", (e: { condition?: string }) => e.condition);
    expect(notAdmin).to.equal("forbidden");

    const account = await admin.adhoc("localhost", "urn:xmpp:invite#create-account", { username: "newbie", uses: "1" });
    expect(account.attrs.status).to.equal("completed");
    expect(field(account.getChild("x", "jabber:x:data")!, "uri")).to.match(/^xmpp:newbie@localhost\?register;preauth=/);
  });
  it("tells the app at once that invites are unreachable while the component is away, and works again once it is back", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    await t.host.link!.stop();
    try {
      const away = await refused(preauth(await stream(), "localhost", c.token));
      expect([away.type, away.condition, away.text]).to.deep.equal(["wait", "remote-server-timeout", "The invite service is not reachable right now; try again in a few minutes"]);
    } finally {
      await t.host.link!.start();
    }
    await waitFor("the announcement after reconnecting", () => t.api<InvitesInAppApi>("invites_inapp").available("localhost"));
    const s = await stream();
    await preauth(s, "localhost", c.token);
    await register(s, "localhost", "gale", PASSWORD);
    expect(await canLogIn("gale@localhost", PASSWORD)).to.equal(true);
  });
  it("rate-limits token guesses through the server per app address, as the web does", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const s = await stream();
    const answers: string[] = [];
    for (let i = 0; i <= 100 && !answers.includes("policy-violation"); i++) {
      answers.push((await refused(preauth(s, "localhost", `BBBBBBBBBBBBBBBBBBBBBB${String(i).padStart(2, "0")}`))).condition);
    }
    expect(answers.at(-1), "refused within inapp_rate_limit (100) guesses").to.equal("policy-violation");
    expect(new Set(answers.slice(0, -1))).to.deep.equal(new Set(["item-not-found"]));
    const valid = await refused(preauth(s, "localhost", c.token));
    expect(valid.condition, "a good token is refused too while the address is over its limit").to.equal("policy-violation");
  });
});

for (const kind of SERVER_KINDS) describe(`in-app crash recovery with a real ${SERVER_NAMES[kind]}`, function () {
  this.timeout(90_000);
  let xmpp: TestXmppServer;
  let t: TestHost;

  before(async () => {
    xmpp = await startServer(kind, { serverModule: true });
    await xmpp.registerUser("ann", PASSWORD);
    t = await startTestHost({
      enabled: ["invites", "invites_register", "invites_inapp"], store: "sqlite",
      xmpp: { server: xmpp.componentServer, jid: xmpp.componentJid, secret: xmpp.componentSecret },
      config: xmpp.productConfig,
    });
    await waitFor("the server module's announcement", () => t.api<InvitesInAppApi>("invites_inapp").available("localhost"));
  });
  after(async () => {
    await t?.stop();
    await xmpp?.destroy();
  });

  it("settles registrations a crashed server began: spent where the account exists (with its mutual contact), given back where not", async () => {
    const invites = t.api<InvitesApi>("invites");
    const made = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true });
    const lost = await invites.createAccount({ host: "localhost", source: "test" });
    const boot = t.api<InvitesInAppApi>("invites_inapp").servers()[0]!.boot;
    // What the running mod_xmpp_invites sends for <register/>, through the component's own handler.
    const begin = (token: string, username: string) => t.host.iqHandlers.get(`set ${SERVER_PROTOCOL_NS}`)!({
      from: "localhost", to: "invites.localhost", id: "r", type: "set",
      element: buildXml("register", { xmlns: SERVER_PROTOCOL_NS, token, username, boot }, buildXml("password", {}, PASSWORD)),
    });
    await begin(made.token, "zed");
    await begin(lost.token, "yan");
    await xmpp.registerUser("zed", PASSWORD); // the account was created, then the server died before <done/>
    await xmpp.restart();
    await waitFor("a new boot announced", () => t.api<InvitesInAppApi>("invites_inapp").servers()[0]?.boot !== boot && t.api<InvitesInAppApi>("invites_inapp").available("localhost"));
    await waitFor("both settled", async () => (await invites.get(made.token))!.usesPending + (await invites.get(lost.token))!.usesPending === 0);
    expect((await invites.get(made.token))!.usesCompleted).to.equal(1);
    expect((await invites.validate(lost.token)).ok).to.equal(true);
    const zed = await loginClient({ port: xmpp.c2sPort, jid: "zed@localhost", password: PASSWORD });
    try {
      await waitFor("zed's mutual contact", async () => (await zed.roster()).some((i) => i.jid === "ann@localhost" && i.subscription === "both"));
    } finally {
      await zed.close();
    }
  });
});

describe("the landing page with the server module, in Chromium", function () {
  this.timeout(90_000);
  let prosody: TestProsody;
  let t: TestHost;
  let browser: Browser;

  before(async () => {
    prosody = await startProsody({ serverModule: true });
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_inapp"], store: "sqlite",
      xmpp: { server: prosody.componentServer, jid: prosody.componentJid, secret: prosody.componentSecret },
      options: { site_name: "Example Chat", invites_page_rate_limit: 0 },
    });
    await waitFor("the server module's announcement", () => t.api<InvitesInAppApi>("invites_inapp").available("localhost"));
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await t?.stop();
    await prosody?.destroy();
  });

  it("makes \"Open in my app\" the main action and hands the invite to Conversations on Android", async () => {
    const c = await t.api<InvitesApi>("invites").createAccount({ host: "localhost", source: "test" });
    const { context, external, errors } = await newContext(browser, new URL(t.baseUrl).origin, PHONE);
    try {
      const page = await context.newPage();
      await page.goto(c.landingUrl!);
      const open = page.getByRole("link", { name: "Open in my app" });
      expect(await open.getAttribute("href")).to.equal(c.uri);
      expect(await open.getAttribute("class")).to.equal("button");
      expect(await page.getByRole("link", { name: "Create the account in your browser" }).getAttribute("class")).to.equal("button secondary");
      const first = page.locator("li.app").first();
      expect(await first.locator("h3").textContent()).to.include("Conversations");
      expect(decodeURIComponent((await first.getByRole("link").getAttribute("href"))!)).to.include(`referrer=${c.uri}`);
      expect(external).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});
