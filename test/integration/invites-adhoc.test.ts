// The ad-hoc commands end to end: a real Prosody, the component connected to it, and real
// XMPP clients (@xmpp/client) logged in as an admin and as ordinary users. Each command is
// discovered on the component JID and run; the store and the landing page are checked.
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import { NODES } from "../../modules/invites_adhoc/index.js";
import { startProsody, type TestProsody } from "../harness/prosody.js";
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

describe("invites_adhoc with a real Prosody and XMPP clients", function () {
  this.timeout(60_000);
  let prosody: TestProsody;
  let t: TestHost;
  let invites: InvitesApi;
  let admin: TestClient, romeo: TestClient, juliet: TestClient;
  let component: string;

  before(async () => {
    prosody = await startProsody();
    component = prosody.componentJid;
    for (const u of ["admin", "romeo", "juliet", "nurse"]) await prosody.registerUser(u, PASSWORD);
    t = await startTestHost({
      enabled: ["invites", "invites_adhoc", "invites_page"],
      store: "sqlite",
      http: true,
      xmpp: { server: prosody.componentServer, jid: component, secret: prosody.componentSecret },
      admins: ["admin@localhost"],
      // Juliet's quota is exercised below; the limits apply to every non-admin.
      options: { max_pending_invites_per_user: 3, max_invites_per_day: 6 },
    });
    invites = t.api<InvitesApi>("invites");
    // Readiness, not timing: wait until the component has authenticated to Prosody.
    for (let i = 0; i < 200 && !t.host.link?.connected; i++) await new Promise((r) => setTimeout(r, 50));
    if (!t.host.link?.connected) throw new Error(`the component did not connect: ${t.host.link?.lastError ?? "no error recorded"}`);
    const login = (user: string) => loginClient({ port: prosody.c2sPort, jid: `${user}@localhost`, password: PASSWORD });
    [admin, romeo, juliet] = [await login("admin"), await login("romeo"), await login("juliet")];
  });

  after(async () => {
    for (const c of [admin, romeo, juliet]) await c?.close();
    await t?.stop();
    await prosody?.destroy();
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
