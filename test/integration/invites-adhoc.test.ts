// The ad-hoc commands end to end, against each real server (Prosody 0.12, ejabberd 23.01):
// the component connected to it, and real XMPP clients (@xmpp/client) logged in as an admin
// and as ordinary users. Each command is discovered on the component JID and run; the store
// and the landing page are checked.
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import { NODES } from "../../modules/invites_adhoc/index.js";
import { startServer, SERVER_KINDS, SERVER_NAMES, type TestXmppServer } from "../harness/servers.js";
import { loginClient, xml, type Element, type TestClient } from "../harness/xmpp-client.js";
import { startTestHost, type TestHost } from "../helpers/host.js";

const NS_COMMANDS = "http://jabber.org/protocol/commands";
const NS_DATA = "jabber:x:data";
const PASSWORD = "correct-horse-battery";

/** The values of a result form by var (multi-values joined by newlines). */
function formOf(cmd: Element): Record<string, string> {
  const x = cmd.getChild("x", NS_DATA);
  if (!x) throw new Error(`no form in ${cmd.toString()}`);
  return Object.fromEntries(x.getChildren("field").map((f) => [String(f.attrs.var), f.getChildren("value").map((v) => v.text()).join("\n")]));
}

const notes = (cmd: Element) => cmd.getChildren("note").map((n) => ({ type: String(n.attrs.type), text: n.text() }));

/** The XMPP error a command was refused with (condition and text). */
async function refused(p: Promise<unknown>): Promise<{ condition: string; text: string }> {
  try { await p; } catch (e) {
    const err = e as { name?: string; condition?: string; text?: string };
    if (err.name !== "StanzaError") throw e;
    return { condition: String(err.condition), text: String(err.text ?? "") };
  }
  throw new Error("expected an XMPP error");
}

async function landingStatus(url: string): Promise<number> {
  const res = await fetch(url, { redirect: "manual" });
  await res.arrayBuffer();
  return res.status;
}

for (const kind of SERVER_KINDS) {
describe(`invites_adhoc with a real ${SERVER_NAMES[kind]} and XMPP clients`, function () {
  this.timeout(60_000);
  let server: TestXmppServer;
  let t: TestHost;
  let invites: InvitesApi;
  let admin: TestClient, romeo: TestClient, juliet: TestClient;
  let component: string;

  before(async () => {
    server = await startServer(kind);
    component = server.componentJid;
    for (const u of ["admin", "romeo", "juliet", "nurse"]) await server.registerUser(u, PASSWORD);
    t = await startTestHost({
      enabled: ["invites", "invites_adhoc", "invites_page"],
      store: "sqlite",
      http: true,
      xmpp: { server: server.componentServer, jid: component, secret: server.componentSecret },
      config: server.productConfig,
      admins: ["admin@localhost"],
      // Juliet's quota is exercised below; the limits apply to every non-admin.
      options: { max_pending_invites_per_user: 3, max_invites_per_day: 6 },
    });
    invites = t.api<InvitesApi>("invites");
    // Readiness, not timing: wait until the component has authenticated to Prosody.
    for (let i = 0; i < 200 && !t.host.link?.connected; i++) await new Promise((r) => setTimeout(r, 50));
    if (!t.host.link?.connected) throw new Error(`the component did not connect: ${t.host.link?.lastError ?? "no error recorded"}`);
    for (let i = 0; i < 200 && !t.host.admin.capabilities.known; i++) await new Promise((r) => setTimeout(r, 50));
    const login = (user: string) => loginClient({ port: server.c2sPort, jid: `${user}@localhost`, password: PASSWORD });
    [admin, romeo, juliet] = [await login("admin"), await login("romeo"), await login("juliet")];
  });

  after(async () => {
    for (const c of [admin, romeo, juliet]) await c?.close();
    await t?.stop();
    await server?.destroy();
  });

  it("lists every command to an admin and only the user commands to a user", async () => {
    const forAdmin = (await admin.commands(component)).map((c) => c.node);
    expect(forAdmin).to.include.members(Object.values(NODES));
    const forUser = (await romeo.commands(component)).map((c) => c.node);
    expect(forUser).to.include.members([NODES.invite, NODES.list, NODES.revoke, NODES.extend]);
    expect(forUser).to.not.include.members([NODES.createAccount]);
    expect(forUser).to.not.include(NODES.reset);
    expect(forUser).to.not.include(NODES.listAll);
  });

  it("creates an account invite from the XEP-0401 form, stored with every field", async () => {
    const cmd = await admin.adhoc(component, NODES.createAccount, {
      username: "benvolio", "roster-subscription": "1", "expires-after": "3d", uses: "2", roles: ["tester"], groups: ["Verona"], note: "cousin", "short-code": "1",
    });
    expect(cmd.attrs.status).to.equal("completed");
    const form = formOf(cmd);
    expect(form["FORM_TYPE"]).to.equal("urn:xmpp:invite#invitation");
    expect(form["uri"]).to.match(/^xmpp:admin@localhost\?roster;preauth=[\w-]+;ibr=y$/);
    expect(form["expire"]).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const inv = (await invites.getById(form["id"]!))!;
    expect(inv).to.include({ type: "account_and_contact", username: "benvolio", inviter: "admin@localhost", usesAllowed: 2, note: "cousin", host: "localhost" });
    expect(inv.roles).to.deep.equal(["tester"]);
    expect(inv.groups).to.deep.equal(["Verona"]);
    expect((await invites.resolveShortCode(form["short-code"]!)).ok).to.equal(true);
    expect(new Date(form["expire"]!).getTime()).to.equal(Math.floor(inv.expiresAt / 1000) * 1000);
    expect(await landingStatus(form["landing-url"]!)).to.equal(200);
  });

  it("answers a bad value with bad-request naming the field, and honours cancel", async () => {
    const e = await refused(admin.adhoc(component, NODES.createAccount, { "expires-after": "whenever" }));
    expect(e.condition).to.equal("bad-request");
    expect(e.text).to.contain('"expires-after"');
    const taken = await refused(admin.adhoc(component, NODES.createAccount, { username: "romeo" }));
    expect(taken.condition).to.equal("conflict");
    expect(taken.text).to.contain("romeo@localhost already exists");

    const first = (await admin.iq(xml("iq", { type: "set", to: component }, xml("command", { xmlns: NS_COMMANDS, node: NODES.createAccount, action: "execute" })))).getChild("command", NS_COMMANDS)!;
    expect(first.attrs.status).to.equal("executing");
    const cancel = await admin.iq(xml("iq", { type: "set", to: component }, xml("command", { xmlns: NS_COMMANDS, node: NODES.createAccount, sessionid: first.attrs.sessionid, action: "cancel" })));
    expect(cancel.getChild("command", NS_COMMANDS)?.attrs.status).to.equal("canceled");
  });

  it("gives a user a contact invite whose landing page opens", async () => {
    const cmd = await romeo.adhoc(component, NODES.invite);
    expect(cmd.attrs.status).to.equal("completed");
    const form = formOf(cmd);
    expect(form["uri"]).to.match(/^xmpp:romeo@localhost\?roster;preauth=[\w-]+$/);
    expect(await invites.getById(form["id"]!)).to.include({ type: "contact", inviter: "romeo@localhost", source: "adhoc/romeo@localhost" });
    expect(await landingStatus(form["landing-url"]!)).to.equal(200);
  });

  it("creates a password reset invite for an existing account only", async () => {
    const cmd = await admin.adhoc(component, NODES.reset, { accountjid: "nurse@localhost" });
    const inv = await invites.getById(formOf(cmd)["id"]!);
    expect(inv).to.include({ type: "reset", username: "nurse", host: "localhost" });
    const e = await refused(admin.adhoc(component, NODES.reset, { accountjid: "tybalt@localhost" }));
    expect(e.condition).to.equal("item-not-found");
    expect(e.text).to.contain("accountjid");
  });

  it("refuses the admin commands to an ordinary user", async () => {
    for (const node of [NODES.createAccount, NODES.reset, NODES.listAll]) {
      expect((await refused(romeo.adhoc(component, node))).condition, node).to.equal("forbidden");
    }
  });

  it("lists a user's own invites, and all invites for an admin", async () => {
    const mine = formOf(await romeo.adhoc(component, NODES.list));
    const lines = Object.values(mine);
    expect(lines.length).to.be.greaterThan(0);
    expect(lines.every((l) => !l.includes("benvolio"))).to.equal(true);
    const all = Object.values(formOf(await admin.adhoc(component, NODES.listAll, { status: "pending" })));
    expect(all.some((l) => l.includes("by romeo@localhost"))).to.equal(true);
    expect(all.some((l) => l.includes("for benvolio@localhost"))).to.equal(true);
  });

  it("revokes and extends, and the landing page sees it at once", async () => {
    const form = formOf(await romeo.adhoc(component, NODES.invite));
    const id = form["id"]!;
    const revoked = await romeo.adhoc(component, NODES.revoke, { invite: id });
    expect(notes(revoked)[0]?.text).to.contain("revoked");
    expect(invites.status((await invites.getById(id))!)).to.equal("revoked");
    expect(await landingStatus(form["landing-url"]!)).to.equal(410);

    // Revoked invites are offered for extending (Galène's /reinvite).
    const extended = await romeo.adhoc(component, NODES.extend, { invite: id, "expires-after": "2d" });
    expect(notes(extended)[0]?.text).to.contain("valid until");
    expect(invites.status((await invites.getById(id))!)).to.equal("pending");
    expect(await landingStatus(form["landing-url"]!)).to.equal(200);
  });

  it("lets users change only their own invites", async () => {
    const id = formOf(await juliet.adhoc(component, NODES.invite))["id"]!;
    // Romeo's pick list holds only his invites, so the id is submitted as a client could.
    const cmd = (await romeo.iq(xml("iq", { type: "set", to: component }, xml("command", { xmlns: NS_COMMANDS, node: NODES.revoke, action: "execute" })))).getChild("command", NS_COMMANDS)!;
    const options = cmd.getChild("x", NS_DATA)!.getChildren("field")[0]!.getChildren("option").map((o) => o.getChildText("value"));
    expect(options).to.not.include(id);
    const e = await refused(romeo.iq(xml("iq", { type: "set", to: component },
      xml("command", { xmlns: NS_COMMANDS, node: NODES.revoke, sessionid: cmd.attrs.sessionid, action: "complete" },
        xml("x", { xmlns: NS_DATA, type: "submit" }, xml("field", { var: "invite" }, xml("value", {}, id)))))));
    // The same answer as for an invite that does not exist: no oracle for others' ids.
    expect(e.condition).to.equal("item-not-found");
    expect(e.text).to.contain("you have no invite with the id").and.contain("only revoke your own");
    expect(invites.status((await invites.getById(id))!)).to.equal("pending");
    const byAdmin = await admin.adhoc(component, NODES.revoke, { invite: id });
    expect(notes(byAdmin)[0]?.text).to.contain("revoked");
  });

  it("enforces the pending-invite quota with a policy-violation that names the limit", async () => {
    // Juliet has no pending invites now (her one was revoked above); the limit is 3.
    for (let i = 0; i < 3; i++) expect((await juliet.adhoc(component, NODES.invite)).attrs.status).to.equal("completed");
    const e = await refused(juliet.adhoc(component, NODES.invite));
    expect(e.condition).to.equal("policy-violation");
    expect(e.text).to.contain("max_pending_invites_per_user = 3");
    // Admins are exempt.
    for (let i = 0; i < 4; i++) expect((await admin.adhoc(component, NODES.invite)).attrs.status).to.equal("completed");
  });
});
}

describe("invites_adhoc on ejabberd 23.01 without its HTTP API (it cannot tell whether an account exists)", function () {
  this.timeout(60_000);
  let server: TestXmppServer;
  let t: TestHost;
  let admin: TestClient;

  before(async () => {
    server = await startServer("ejabberd", { contactsApi: false });
    await server.registerUser("admin", PASSWORD);
    await server.registerUser("romeo", PASSWORD);
    t = await startTestHost({
      enabled: ["invites", "invites_adhoc"], store: "sqlite", http: true,
      xmpp: { server: server.componentServer, jid: server.componentJid, secret: server.componentSecret },
      config: server.productConfig, admins: ["admin@localhost"],
    });
    for (let i = 0; i < 200 && !t.host.admin.capabilities.known; i++) await new Promise((r) => setTimeout(r, 50));
    admin = await loginClient({ port: server.c2sPort, jid: "admin@localhost", password: PASSWORD });
  });

  after(async () => {
    await admin?.close();
    await t?.stop();
    await server?.destroy();
  });

  it("says in the form what this server cannot do: refuse a taken username early, add the new user to the contacts", async () => {
    const first = (await admin.iq(xml("iq", { type: "set", to: server.componentJid }, xml("command", { xmlns: NS_COMMANDS, node: NODES.createAccount, action: "execute" })))).getChild("command", NS_COMMANDS)!;
    const desc = (name: string) => first.getChild("x", NS_DATA)!.getChildren("field").find((f) => f.attrs.var === name)!.getChildText("desc");
    expect(desc("username")).to.contain("This server cannot tell whether an account exists").and.contain("only refused when someone registers");
    expect(desc("roster-subscription")).to.contain("This server cannot add contacts").and.contain("asked to add you by hand");
    // The invite is made; the server's add-user refuses the taken name when it is used.
    expect((await admin.adhoc(server.componentJid, NODES.createAccount, { username: "romeo" })).attrs.status).to.equal("completed");
  });

  it("makes a password reset invite and names the real cause of the missing check, instead of a misleading feature-not-implemented", async () => {
    const cmd = await admin.adhoc(server.componentJid, NODES.reset, { accountjid: "romeo@localhost" });
    expect(cmd.attrs.status).to.equal("completed");
    const warn = notes(cmd).find((n) => n.type === "warn");
    expect(warn?.text).to.contain("Whether romeo@localhost exists was not checked").and.contain("offers no command that says whether an account exists");
  });
});
