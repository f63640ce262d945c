// Terms of service and deactivation against each real server (Prosody 0.12, ejabberd 23.01):
// the component connected to it, real XMPP clients logging in (or failing to), the
// registration form in headless Chromium, invitectl and the JSON API over HTTP.
import { expect } from "chai";
import type { Browser } from "playwright-core";
import type { InvitesApi } from "../../modules/invites/types.js";
import { NODES } from "../../modules/invites_adhoc/index.js";
import type { InvitesRegisterApi } from "../../modules/invites_register/types.js";
import { USER_NODES } from "../../modules/invites_users/index.js";
import { launchBrowser, newContext, DESKTOP } from "../harness/browser.js";
import { startServer, SERVER_KINDS, SERVER_NAMES, type TestXmppServer } from "../harness/servers.js";
import { loginClient, xml, type TestClient } from "../harness/xmpp-client.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { waitFor } from "../helpers/wait.js";

const PASSWORD = "correct-horse-battery";

async function canLogIn(server: TestXmppServer, jid: string, password: string): Promise<boolean> {
  try {
    const c = await loginClient({ port: server.c2sPort, jid, password });
    await c.close();
    return true;
  } catch {
    return false;
  }
}

/** Whether the client's session still gets answers from its server (a roster get, RFC 6121 §2.1.3). */
async function answers(c: TestClient): Promise<boolean> {
  try {
    await c.iq(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })), 3000);
    return true;
  } catch {
    return false;
  }
}

/** Loads the registration form like a browser without JavaScript and returns a submit function. */
async function openForm(baseUrl: string, path: string) {
  const res = await fetch(new URL(path, baseUrl));
  const html = await res.text();
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]!).join("; ");
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return async (fields: Record<string, string>) => {
    const r = await fetch(new URL(path, baseUrl), { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", cookie }, body: new URLSearchParams({ csrf, ...fields }) });
    return { status: r.status, body: await r.text() };
  };
}

for (const kind of SERVER_KINDS) {
describe(`terms of service and deactivation with a real ${SERVER_NAMES[kind]}`, function () {
  this.timeout(90_000);
  let server: TestXmppServer;
  let t: TestHost;
  let invites: InvitesApi;
  let register: InvitesRegisterApi;
  let browser: Browser;

  before(async () => {
    server = await startServer(kind);
    await server.registerUser("admin", PASSWORD);
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_adhoc", "invites_api", "invites_users"], store: "sqlite", http: true,
      xmpp: { server: server.componentServer, jid: server.componentJid, secret: server.componentSecret },
      config: server.productConfig,
      options: {
        site_name: "Example Chat", invites_page_rate_limit: 0, register_rate_limit: 0, register_lookup_rate_limit: 0,
        agreements: [{ id: "terms", title: { en: "Terms of service", fr: "Conditions d'utilisation" }, text: { en: "Be **kind** to each other.", fr: "Soyez **aimables**." } }],
      },
    });
    invites = t.api<InvitesApi>("invites");
    register = t.api<InvitesRegisterApi>("invites_register");
    await waitFor("the server's capabilities", () => t.host.admin.capabilities.known);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await t?.stop();
    await server?.destroy();
  });

  const version = () => register.agreements("localhost")[0]!.version;

  /** An account made through the web form, the terms ticked. */
  async function registered(user: string, inviter: string | null = null): Promise<string> {
    const c = await invites.createAccount({ host: "localhost", source: "test", inviter });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user, password: PASSWORD, token: c.token, accept_terms: version() });
    expect(res.status, res.body).to.equal(200);
    return `${user}@localhost`;
  }

  it("refuses the account without the terms ticked (400 naming them, nothing on the server); once ticked, the account logs in and the signature is listed", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    const refused = await submit({ user: "ana", password: PASSWORD, token: c.token });
    expect(refused.status).to.equal(400);
    expect(refused.body).to.include("To create an account, accept the Terms of service.");
    expect((await server.existing(["ana@localhost"])).size).to.equal(0);

    const ok = await submit({ user: "ana", password: PASSWORD, token: c.token, accept_terms: version() });
    expect(ok.status, ok.body).to.equal(200);
    expect(await canLogIn(server, "ana@localhost", PASSWORD)).to.equal(true);
    const listed = await t.runCtl(["agreements", "signatures", "localhost", "ana@localhost"]);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(listed.stdout).to.match(new RegExp(`\\tana@localhost\\tterms\\t${version()}\\ten\\tweb\\n`));
  });

  it("shows the terms in Chromium within the page's security policy, and registers once the box is ticked", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const { context, external, errors } = await newContext(browser, new URL(t.baseUrl).origin, DESKTOP);
    try {
      const page = await context.newPage();
      await page.goto(new URL(`/register?t=${c.token}`, t.baseUrl).href);
      expect(await page.locator(".agreement strong").textContent()).to.equal("kind");
      await page.fill("#user", "bob");
      await page.fill("#password", PASSWORD);
      await page.getByRole("button", { name: "Create my account" }).click();
      // The browser itself holds the form back until the box is ticked (required).
      expect(await page.locator("h1").first().textContent()).to.not.equal("Your account is ready");
      await page.getByLabel("I have read and accept the Terms of service.").check();
      await page.getByRole("button", { name: "Create my account" }).click();
      await page.locator("#jid").waitFor();
      expect(await page.locator("#jid").textContent()).to.equal("bob@localhost");
      expect(external, "requests to other sites").to.deep.equal([]);
      expect(errors, "page errors (a CSP violation among them)").to.deep.equal([]);
    } finally {
      await context.close();
    }
    expect(await canLogIn(server, "bob@localhost", PASSWORD)).to.equal(true);
  });

  it("deactivates a user with invitectl: it can no longer log in, its open session ends, its invites are revoked and its API key deleted", async () => {
    const dan = await registered("dan");
    const session = await loginClient({ port: server.c2sPort, jid: dan, password: PASSWORD });
    try {
      // Dan makes a contact invite with the ad-hoc command, as users do.
      const made = await session.adhoc(server.componentJid, NODES.invite);
      const inviteId = made.getChild("x", "jabber:x:data")!.getChildren("field").find((f) => f.attrs.var === "id")!.getChildText("value")!;
      expect(invites.status((await invites.getById(inviteId))!)).to.equal("pending");
      const key = (await t.runCtl(["mod_invites_api", "create", "localhost", "dan's bot", "--inviter", dan, "--scope", "create,list"])).stdout.trim();
      const list = () => fetch(new URL("/invites_api/v1/invites", t.baseUrl), { headers: { authorization: `Bearer ${key}` } });
      expect((await list()).status).to.equal(200);
      expect(await answers(session)).to.equal(true);

      const r = await t.runCtl(["user", "deactivate", dan]);
      expect(r.code, r.stderr).to.equal(0);
      // Neither server offers disable-user in these versions: the password path, said as such.
      expect(r.stdout).to.include("unusable random one").and.include("sessions: ended").and.include("invites revoked: 1").and.include("API keys deleted: 1");

      expect(await canLogIn(server, dan, PASSWORD)).to.equal(false);
      expect(await answers(session)).to.equal(false);
      expect(invites.status((await invites.getById(inviteId))!)).to.equal("revoked");
      expect((await list()).status).to.equal(401);
      expect((await server.existing([dan])).size, "the account itself stays").to.equal(1);
    } finally {
      await session.close().catch(() => {});
    }

    const back = await t.runCtl(["user", "reactivate", dan]);
    expect(back.code, back.stderr).to.equal(0);
    const link = back.stdout.split("\n").find((l) => l.startsWith("http"))!;
    const token = new URL(link).search.slice(1);
    const submit = await openForm(t.baseUrl, `/register?t=${token}`);
    expect((await submit({ password: "a new password 42", token })).status).to.equal(200);
    expect(await canLogIn(server, dan, "a new password 42")).to.equal(true);
  });

  it("deactivates a branch of the invite tree from an admin's XMPP client, after a confirmation stage", async () => {
    const eve = await registered("eve");
    const fay = await registered("fay", eve);
    const admin = await loginClient({ port: server.c2sPort, jid: server.adminJid, password: PASSWORD });
    try {
      const NS = "http://jabber.org/protocol/commands";
      const first = await admin.iq(xml("iq", { type: "set", to: server.componentJid }, xml("command", { xmlns: NS, node: USER_NODES.deactivate, action: "execute" })));
      const sessionid = String(first.getChild("command", NS)!.attrs.sessionid);
      const field = (name: string, value: string) => xml("field", { var: name }, xml("value", {}, value));
      const submit = (children: ReturnType<typeof field>[]) => admin.iq(xml("iq", { type: "set", to: server.componentJid },
        xml("command", { xmlns: NS, node: USER_NODES.deactivate, sessionid, action: "complete" }, xml("x", { xmlns: "jabber:x:data", type: "submit" }, ...children))));
      const confirm = (await submit([field("jid", eve), field("tree", "true")])).getChild("command", NS)!;
      expect(confirm.attrs.status).to.equal("executing");
      expect(confirm.getChild("x", "jabber:x:data")!.getChildren("instructions").map((i) => i.text()).join("\n")).to.include(eve).and.include(fay);
      const done = (await submit([field("confirm", "true")])).getChild("command", NS)!;
      expect(done.attrs.status).to.equal("completed");
      expect(done.getChildText("note")).to.include(`${fay}: deactivated by admin@localhost`);
    } finally {
      await admin.close();
    }
    expect(await canLogIn(server, eve, PASSWORD)).to.equal(false);
    expect(await canLogIn(server, fay, PASSWORD)).to.equal(false);
    const rec = JSON.parse((await t.runCtl(["user", "deactivation", fay, "--json"])).stdout) as { deactivated_by: string };
    expect(rec.deactivated_by).to.equal("admin@localhost");
  });

  it("deactivates through the JSON API with a key that has the deactivate scope", async () => {
    const gil = await registered("gil");
    const key = (await t.runCtl(["mod_invites_api", "create", "localhost", "ops", "--scope", "deactivate"])).stdout.trim();
    const res = await fetch(new URL(`/invites_api/v1/users/${gil}/deactivate`, t.baseUrl), { method: "POST", headers: { authorization: `Bearer ${key}` } });
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { deactivated: { lock: string }[] }).deactivated[0]!.lock).to.equal("password");
    expect(await canLogIn(server, gil, PASSWORD)).to.equal(false);
  });
});
}
