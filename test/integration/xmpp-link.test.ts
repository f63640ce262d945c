// The component link and the AdminPort against a real Prosody (test/harness/prosody.ts).
import { expect } from "chai";
import { pino } from "pino";
import { Writable } from "node:stream";
import type { AdhocCommand, IqRequest, Element } from "../../core/types.js";
import { coreErrors, isModuleError } from "../../core/errors.js";
import { ComponentLink } from "../../core/xmpp/link.js";
import { startProsody, type TestProsody } from "../harness/prosody.js";
import { loginClient, xml, type TestClient } from "../harness/xmpp-client.js";

const log = pino({ level: "silent" });
const NS_COMMANDS = "http://jabber.org/protocol/commands";

/** Resolves when the link emits `event` (or is already in that state). */
function until(link: ComponentLink, event: "online" | "offline", ms = 15000): Promise<void> {
  if ((event === "online") === link.connected) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`link not ${event} after ${ms} ms; last error: ${link.lastError}`)), ms);
    link.once(event, () => { clearTimeout(timer); resolve(); });
  });
}

async function rejects(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  throw new Error("expected a rejection");
}

const commands = new Map<string, AdhocCommand>([
  ["test#echo", {
    node: "test#echo", name: "Echo", permission: "local_user",
    handler(req) {
      if (req.action === "execute" && req.state === undefined) {
        return { status: "executing", state: { step: 1 }, form: { type: "form", title: "Echo", fields: [{ var: "text", type: "text-single", label: "Text", required: true }] } };
      }
      return { status: "completed", notes: [{ type: "info", text: `You said: ${String(req.values.text)} (from ${req.fromBare})` }] };
    },
  }],
  ["test#admin", { node: "test#admin", name: "Admin only", permission: "admin", handler: () => ({ status: "completed", notes: [{ type: "info", text: "admin ok" }] }) }],
  ["test#refuse", { node: "test#refuse", name: "Refuses", permission: "any", handler: () => { throw coreErrors.bad_request("The text is too long"); } }],
]);

const iqHandlers = new Map<string, (iq: IqRequest) => Element | void>([
  ["get urn:example:hello", (iq) => xml("hello", { xmlns: "urn:example:hello" }, `hi ${iq.from.split("/")[0]}`)],
]);

describe("XMPP component link (real Prosody)", function () {
  this.timeout(30000);
  let prosody: TestProsody;
  let link: ComponentLink;
  const clients: TestClient[] = [];
  const login = async (jid: string, password: string) => {
    const c = await loginClient({ port: prosody.c2sPort, jid, password });
    clients.push(c);
    return c;
  };

  before(async () => {
    prosody = await startProsody();
    await prosody.registerUser("admin", "admin-pw");
    await prosody.registerUser("user1", "user1-pw");
    link = new ComponentLink({
      jid: prosody.componentJid, secret: prosody.componentSecret, server: prosody.componentServer,
      hosts: [prosody.domain], log, isAdmin: (bare) => bare === "admin@localhost", commands, iqHandlers,
    });
    await link.start();
    await until(link, "online");
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
  });

  after(async () => {
    await link?.stop();
    await prosody?.destroy();
  });

  it("connects and records the XEP-0356 privileges Prosody grants", async () => {
    expect(link.connected).to.equal(true);
    expect(link.admin.connected).to.equal(true);
    // The advertisement arrives right after the handshake; give it a moment if needed.
    for (let i = 0; i < 50 && !link.admin.privileges.roster; i++) await new Promise((r) => setTimeout(r, 50));
    expect(link.admin.privileges).to.include({ roster: "both", message: "outgoing" });
  });

  it("createAccount makes an account that a real client logs in with", async () => {
    await link.admin.createAccount("newbie@localhost", "first-pw");
    const c = await login("newbie@localhost", "first-pw");
    expect(c.jid).to.match(/^newbie@localhost\//);
  });

  it("createAccount of an existing user fails with admin.username_taken", async () => {
    const err = await rejects(link.admin.createAccount("user1@localhost", "whatever"));
    expect(isModuleError(err, "admin.username_taken"), String(err)).to.equal(true);
  });

  it("createAccount refuses a JID outside the served domains with a 400", async () => {
    const err = await rejects(link.admin.createAccount("someone@elsewhere.example", "pw"));
    expect(isModuleError(err, "core.bad_request") && err.status === 400, String(err)).to.equal(true);
  });

  it("accountExists is true for an account and false for an unknown one", async () => {
    expect(await link.admin.accountExists("user1@localhost")).to.equal(true);
    expect(await link.admin.accountExists("nobody-here@localhost")).to.equal(false);
  });

  it("changePassword: the new password logs in and the old one no longer does", async () => {
    await link.admin.createAccount("changer@localhost", "old-pw");
    await link.admin.changePassword("changer@localhost", "new-pw");
    const err = await rejects(loginClient({ port: prosody.c2sPort, jid: "changer@localhost", password: "old-pw" }));
    expect(String(err)).to.match(/not-authorized/);
    await login("changer@localhost", "new-pw");
  });

  it("changePassword of an unknown account fails with admin.no_such_user", async () => {
    const err = await rejects(link.admin.changePassword("ghost@localhost", "pw"));
    expect(isModuleError(err, "admin.no_such_user"), String(err)).to.equal(true);
  });

  it("setRosterItem through XEP-0356 is seen by the user's client, and getRoster reads it back", async () => {
    const c = await login("user1@localhost", "user1-pw");
    await link.admin.setRosterItem("user1@localhost", { jid: "friend@localhost", name: "Friend", subscription: "both", groups: ["Invited"] });
    expect(await c.roster()).to.deep.include({ jid: "friend@localhost", name: "Friend", subscription: "both", groups: ["Invited"] });
    expect(await link.admin.getRoster("user1@localhost")).to.deep.include({ jid: "friend@localhost", name: "Friend", subscription: "both", groups: ["Invited"] });
  });

  it("setRosterItem for an unknown account fails with admin.no_such_user", async () => {
    const err = await rejects(link.admin.setRosterItem("ghost@localhost", { jid: "friend@localhost", subscription: "both", groups: [] }));
    expect(isModuleError(err, "admin.no_such_user"), String(err)).to.equal(true);
  });

  it("deleteAccount removes the account; deleting it again is admin.no_such_user", async () => {
    await link.admin.createAccount("leaver@localhost", "pw");
    await link.admin.deleteAccount("leaver@localhost");
    expect(await link.admin.accountExists("leaver@localhost")).to.equal(false);
    const err = await rejects(loginClient({ port: prosody.c2sPort, jid: "leaver@localhost", password: "pw" }));
    expect(String(err)).to.match(/not-authorized/);
    const again = await rejects(link.admin.deleteAccount("leaver@localhost"));
    expect(isModuleError(again, "admin.no_such_user"), String(again)).to.equal(true);
  });

  it("answers disco#info on the component JID with its identity and features", async () => {
    const c = await login("user1@localhost", "user1-pw");
    const reply = await c.iq(xml("iq", { type: "get", to: "invites.localhost" }, xml("query", { xmlns: "http://jabber.org/protocol/disco#info" })));
    const q = reply.getChild("query")!;
    expect(q.getChild("identity")?.attrs).to.include({ category: "component", type: "generic", name: "Invites" });
    const features = q.getChildren("feature").map((f) => f.attrs.var);
    expect(features).to.include.members(["http://jabber.org/protocol/disco#info", "http://jabber.org/protocol/disco#items", NS_COMMANDS, "jabber:x:data"]);
  });

  it("lists only the commands a user may run and runs one in two stages", async () => {
    const c = await login("user1@localhost", "user1-pw");
    const nodes = (await c.commands("invites.localhost")).map((i) => i.node);
    expect(nodes).to.include.members(["test#echo", "test#refuse"]);
    expect(nodes).not.to.include("test#admin");
    const done = await c.adhoc("invites.localhost", "test#echo", { text: "hello" });
    expect(done.attrs.status).to.equal("completed");
    expect(done.getChildText("note")).to.equal("You said: hello (from user1@localhost)");
  });

  it("lists admin commands to an admin and runs them", async () => {
    const c = await login("admin@localhost", "admin-pw");
    expect((await c.commands("invites.localhost")).map((i) => i.node)).to.include("test#admin");
    const done = await c.adhoc("invites.localhost", "test#admin");
    expect(done.getChildText("note")).to.equal("admin ok");
  });

  it("refuses a command the user may not run with forbidden, and an unknown one with item-not-found", async () => {
    const c = await login("user1@localhost", "user1-pw");
    const forbidden = await rejects(c.adhoc("invites.localhost", "test#admin")) as { condition?: string };
    expect(forbidden.condition).to.equal("forbidden");
    const unknown = await rejects(c.adhoc("invites.localhost", "test#nope")) as { condition?: string };
    expect(unknown.condition).to.equal("item-not-found");
  });

  it("turns a handler's ModuleError into its stanza error with the message as text", async () => {
    const c = await login("user1@localhost", "user1-pw");
    const err = await rejects(c.adhoc("invites.localhost", "test#refuse")) as { condition?: string; text?: string };
    expect(err.condition).to.equal("bad-request");
    expect(err.text).to.equal("The text is too long");
  });

  it("dispatches IQs to module handlers, answers ping, and refuses unknown payloads with service-unavailable", async () => {
    const c = await login("user1@localhost", "user1-pw");
    const hello = await c.iq(xml("iq", { type: "get", to: "invites.localhost" }, xml("hello", { xmlns: "urn:example:hello" })));
    expect(hello.getChildText("hello", "urn:example:hello")).to.equal("hi user1@localhost");
    const pong = await c.iq(xml("iq", { type: "get", to: "invites.localhost" }, xml("ping", { xmlns: "urn:xmpp:ping" })));
    expect(pong.attrs.type).to.equal("result");
    const err = await rejects(c.iq(xml("iq", { type: "get", to: "invites.localhost" }, xml("what", { xmlns: "urn:example:unknown" })))) as { condition?: string };
    expect(err.condition).to.equal("service-unavailable");
  });

  it("reconnects by itself after Prosody restarts; meanwhile admin calls fail at once with admin.not_connected", async () => {
    await prosody.stop();
    await until(link, "offline");
    const err = await rejects(link.admin.accountExists("user1@localhost"));
    expect(isModuleError(err, "admin.not_connected"), String(err)).to.equal(true);
    await prosody.start();
    await until(link, "online");
    expect(await link.admin.accountExists("user1@localhost")).to.equal(true);
  });
});

describe("XMPP component link without XEP-0356 privileges (real Prosody)", function () {
  this.timeout(30000);
  let prosody: TestProsody;
  let link: ComponentLink;

  before(async () => {
    prosody = await startProsody({ privilege: false });
    await prosody.registerUser("user1", "user1-pw");
    link = new ComponentLink({
      jid: prosody.componentJid, secret: prosody.componentSecret, server: prosody.componentServer,
      hosts: [prosody.domain], log, isAdmin: () => false, commands: new Map(), iqHandlers: new Map(),
    });
    await link.start();
    await until(link, "online");
  });

  after(async () => {
    await link?.stop();
    await prosody?.destroy();
  });

  it("says admin.privilege_missing for roster get and set, naming XEP-0356", async () => {
    expect(link.admin.privileges).to.deep.equal({});
    const get = await rejects(link.admin.getRoster("user1@localhost"));
    expect(isModuleError(get, "admin.privilege_missing"), String(get)).to.equal(true);
    expect((get as Error).message).to.match(/XEP-0356/);
    const set = await rejects(link.admin.setRosterItem("user1@localhost", { jid: "x@localhost", subscription: "both", groups: [] }));
    expect(isModuleError(set, "admin.privilege_missing"), String(set)).to.equal(true);
  });

  it("still creates accounts (XEP-0133 needs no privilege)", async () => {
    await link.admin.createAccount("plain@localhost", "pw");
    expect(await link.admin.accountExists("plain@localhost")).to.equal(true);
  });
});

describe("XMPP component link start-up (real Prosody)", function () {
  this.timeout(30000);
  let prosody: TestProsody;

  before(async () => { prosody = await startProsody(); });
  after(async () => { await prosody?.destroy(); });

  function capturedLink(secret: string) {
    const lines: string[] = [];
    const logger = pino({ level: "debug" }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
    const link = new ComponentLink({
      jid: prosody.componentJid, secret, server: prosody.componentServer,
      hosts: [prosody.domain], log: logger, isAdmin: () => false, commands: new Map(), iqHandlers: new Map(),
    });
    return { link, lines };
  }

  it("with a wrong secret stays offline, keeps retrying, reports why in lastError, and never logs the secret", async () => {
    const { link, lines } = capturedLink("not-the-secret-42");
    await link.start();
    for (let i = 0; i < 100 && link.lastError === undefined; i++) await new Promise((r) => setTimeout(r, 50));
    await link.stop();
    expect(link.connected).to.equal(false);
    expect(link.lastError).to.match(/not-authorized/);
    expect(lines.join("")).to.contain("could not connect").and.not.contain("not-the-secret-42");
  });

  it("started while the server is down, connects by itself once it is up, and never logs the secret", async () => {
    await prosody.stop();
    const { link, lines } = capturedLink(prosody.componentSecret);
    try {
      await link.start(); // resolves without waiting for the server
      expect(link.connected).to.equal(false);
      for (let i = 0; i < 100 && link.lastError === undefined; i++) await new Promise((r) => setTimeout(r, 50));
      expect(link.lastError).to.match(/ECONNREFUSED/);
      await prosody.start();
      await until(link, "online");
      expect(lines.join("")).to.contain("connected to the XMPP server").and.not.contain(prosody.componentSecret);
    } finally {
      await link.stop();
    }
  });
});
