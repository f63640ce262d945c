// The component link and the AdminPort against each real server (test/harness/servers.ts):
// Prosody 0.12 and ejabberd 23.01, where they differ each with what it really does.
import { expect } from "chai";
import { pino } from "pino";
import { Writable } from "node:stream";
import type { AdhocCommand, IqRequest, Element } from "../../core/types.js";
import { coreErrors, isModuleError } from "../../core/errors.js";
import { ComponentLink } from "../../core/xmpp/link.js";
import { startServer, SERVER_KINDS, SERVER_NAMES, type TestXmppServer } from "../harness/servers.js";
import { startEjabberd, type TestEjabberd } from "../harness/ejabberd.js";
import { NS_ADMIN } from "../../core/xmpp/capabilities.js";
import type { EjabberdApiConfig } from "../../core/xmpp/ejabberd-api.js";
import { runCommand, CommandStepError } from "../../core/xmpp/command-client.js";
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

/** A link to `server` as its component, with the ejabberd API when the server's product config has one. */
function linkTo(server: TestXmppServer, opts: { isAdmin?: (bare: string) => boolean; commands?: ReadonlyMap<string, AdhocCommand>; iqHandlers?: typeof iqHandlers; logger?: typeof log; secret?: string } = {}): ComponentLink {
  const api = server.productConfig["ejabberd_api"] as EjabberdApiConfig | undefined;
  return new ComponentLink({
    jid: server.componentJid, secret: opts.secret ?? server.componentSecret, server: server.componentServer,
    hosts: [server.domain], log: opts.logger ?? log, isAdmin: opts.isAdmin ?? (() => false),
    commands: opts.commands ?? new Map(), iqHandlers: opts.iqHandlers ?? new Map(), ...(api ? { ejabberdApi: api } : {}),
  });
}

for (const kind of SERVER_KINDS) {
describe(`XMPP component link (real ${SERVER_NAMES[kind]})`, function () {
  this.timeout(30000);
  let server: TestXmppServer;
  let link: ComponentLink;
  const clients: TestClient[] = [];
  const login = async (jid: string, password: string) => {
    const c = await loginClient({ port: server.c2sPort, jid, password });
    clients.push(c);
    return c;
  };

  before(async () => {
    server = await startServer(kind);
    await server.registerUser("admin", "admin-pw");
    await server.registerUser("user1", "user1-pw");
    link = linkTo(server, { isAdmin: (bare) => bare === "admin@localhost", commands, iqHandlers });
    await link.start();
    await until(link, "online");
  });

  afterEach(async () => {
    for (const c of clients.splice(0)) await c.close();
  });

  after(async () => {
    await link?.stop();
    await server?.destroy();
  });

  it("connects and records the XEP-0356 privileges the server grants", async () => {
    expect(link.connected).to.equal(true);
    expect(link.admin.connected).to.equal(true);
    // "online" is emitted once the capabilities are known; the advertisement came before.
    expect(link.admin.privileges).to.include({ roster: "both", message: "outgoing" });
    expect(link.admin.capabilities.hosts["localhost"]?.privilege?.namespace).to.equal(kind === "prosody" ? "urn:xmpp:privilege:2" : "urn:xmpp:privilege:1");
  });

  it("learns what the server offers when the link comes up: software, XEP-0133 commands, and a mechanism for each operation", () => {
    const caps = link.admin.capabilities;
    expect(caps.known).to.equal(true);
    const h = caps.hosts["localhost"]!;
    expect(h.software?.name).to.equal(kind === "prosody" ? "Prosody" : "ejabberd");
    expect(h.software?.version).to.match(kind === "prosody" ? /^0\.12\./ : /^23\.01/);
    expect(h.adminCommands).to.include.members(["add-user", "change-user-password", "delete-user"]);
    expect(h.accounts).to.include({ ok: true, via: "XEP-0133 add-user" });
    expect(h.passwordChange).to.include({ ok: true, via: "XEP-0133 change-user-password" });
    if (kind === "prosody") {
      expect(h.adminCommands).to.include("get-user-roster");
      expect(h.accountCheck).to.include({ ok: true, via: "XEP-0133 get-user-roster" });
      expect(h.contacts).to.include({ ok: true, via: "XEP-0356 roster set (urn:xmpp:privilege:2)" });
    } else {
      // 23.01 has no get-user-roster; ejabberd's own commands over mod_http_api fill in.
      expect(h.adminCommands).to.not.include("get-user-roster");
      expect(h.ejabberdApi).to.include({ ok: true });
      expect(h.accountCheck).to.include({ ok: true, via: "ejabberd check_account (mod_http_api)" });
      expect(h.contacts).to.include({ ok: true, via: "ejabberd add_rosteritem (mod_http_api)" });
    }
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
    const err = await rejects(loginClient({ port: server.c2sPort, jid: "changer@localhost", password: "old-pw" }));
    expect(String(err)).to.match(/not-authorized/);
    await login("changer@localhost", "new-pw");
  });

  it("changePassword of an unknown account fails with admin.no_such_user, creates nothing, and does not blame a missing command", async () => {
    const err = await rejects(link.admin.changePassword("ghost@localhost", "pw"));
    expect(isModuleError(err, "admin.no_such_user"), String(err)).to.equal(true);
    expect((err as Error).message).to.contain("ghost@localhost").and.not.match(/does not offer/);
    expect((await server.existing(["ghost@localhost"])).size).to.equal(0);
  });

  it("makeMutualContacts leaves both users with subscription both, as their own clients see it", async () => {
    await server.registerUser("romeo", "romeo-pw");
    await server.registerUser("juliet", "juliet-pw");
    const { via } = await link.admin.makeMutualContacts({ jid: "romeo@localhost", name: "Romeo" }, { jid: "juliet@localhost", name: "Juliet" });
    expect(via).to.equal(link.admin.capabilities.hosts["localhost"]!.contacts.via);
    const romeo = await login("romeo@localhost", "romeo-pw");
    const juliet = await login("juliet@localhost", "juliet-pw");
    expect(await romeo.roster()).to.deep.include({ jid: "juliet@localhost", name: "Juliet", subscription: "both", groups: [] });
    expect(await juliet.roster()).to.deep.include({ jid: "romeo@localhost", name: "Romeo", subscription: "both", groups: [] });
  });

  if (kind === "prosody") {
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
  } else {
    it("setRosterItem through XEP-0356 fails on ejabberd 23.01 with admin.unsupported naming the bug, and getRoster still works", async () => {
      const err = await rejects(link.admin.setRosterItem("user1@localhost", { jid: "friend@localhost", name: "Friend", subscription: "both", groups: [] }));
      expect(isModuleError(err, "admin.unsupported") && err.message, String(err)).to.match(/ejabberd 23\.01/);
      expect(await link.admin.getRoster("user1@localhost")).to.be.an("array");
    });
  }

  it("deleteAccount removes the account; deleting it again is admin.no_such_user", async () => {
    await link.admin.createAccount("leaver@localhost", "pw");
    await link.admin.deleteAccount("leaver@localhost");
    expect(await link.admin.accountExists("leaver@localhost")).to.equal(false);
    const err = await rejects(loginClient({ port: server.c2sPort, jid: "leaver@localhost", password: "pw" }));
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

  it("reconnects by itself after the server restarts, and learns its capabilities again; meanwhile admin calls fail at once with admin.not_connected", async () => {
    const before = link.admin.capabilities.hosts["localhost"]!;
    await server.stop();
    await until(link, "offline");
    expect(link.admin.capabilities).to.deep.equal({ known: false, hosts: {} });
    const err = await rejects(link.admin.accountExists("user1@localhost"));
    expect(isModuleError(err, "admin.not_connected"), String(err)).to.equal(true);
    await server.start();
    await until(link, "online");
    const after = link.admin.capabilities.hosts["localhost"]!;
    expect([after.accountCheck.via, after.contacts.via, after.adminCommands]).to.deep.equal([before.accountCheck.via, before.contacts.via, before.adminCommands]);
    expect(await link.admin.accountExists("user1@localhost")).to.equal(true);
  });
});

}

for (const kind of SERVER_KINDS) {
describe(`XMPP component link without XEP-0356 privileges (real ${SERVER_NAMES[kind]})`, function () {
  this.timeout(30000);
  let server: TestXmppServer;
  let link: ComponentLink;

  before(async () => {
    server = await startServer(kind, { privilege: false });
    await server.registerUser("user1", "user1-pw");
    link = linkTo(server);
    await link.start();
    await until(link, "online");
  });

  after(async () => {
    await link?.stop();
    await server?.destroy();
  });

  it("says admin.privilege_missing for roster get and set, naming XEP-0356", async () => {
    expect(link.admin.privileges).to.not.have.property("roster");
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

  if (kind === "prosody") {
    it("reports no contact backend, with the privileged_entities line that would fix it, and makeMutualContacts says so", async () => {
      const c = link.admin.capabilities.hosts["localhost"]!.contacts;
      expect(c.ok).to.equal(false);
      expect(c.why).to.contain("did not grant the component the XEP-0356 roster privilege");
      expect(c.fix).to.contain('privileged_entities = { ["invites.localhost"] = { roster = "both" } }');
      const err = await rejects(link.admin.makeMutualContacts({ jid: "user1@localhost", name: "u" }, { jid: "plain@localhost", name: "p" }));
      expect(isModuleError(err, "admin.unsupported") && err.message, String(err)).to.contain("privileged_entities");
    });
  } else {
    it("still makes mutual contacts: ejabberd's own add_rosteritem needs no XEP-0356 privilege", async () => {
      expect(link.admin.capabilities.hosts["localhost"]!.contacts).to.include({ ok: true, via: "ejabberd add_rosteritem (mod_http_api)" });
      await link.admin.makeMutualContacts({ jid: "user1@localhost", name: "u" }, { jid: "plain@localhost", name: "p" });
      const c = await loginClient({ port: server.c2sPort, jid: "user1@localhost", password: "user1-pw" });
      try {
        expect(await c.roster()).to.deep.include({ jid: "plain@localhost", name: "p", subscription: "both", groups: [] });
      } finally {
        await c.close();
      }
    });
  }
});
}

describe("XMPP component link on ejabberd 23.01 without its HTTP API", function () {
  this.timeout(30000);
  let server: TestXmppServer;
  let link: ComponentLink;

  before(async () => {
    server = await startServer("ejabberd", { contactsApi: false });
    await server.registerUser("user1", "user1-pw");
    link = linkTo(server);
    await link.start();
    await until(link, "online");
  });

  after(async () => {
    await link?.stop();
    await server?.destroy();
  });

  it("cannot tell whether an account exists, and says why and what would fix it instead of guessing", async () => {
    const c = link.admin.capabilities.hosts["localhost"]!.accountCheck;
    expect(c.ok).to.equal(false);
    expect(c.fix).to.contain("ejabberd_api:");
    const err = await rejects(link.admin.accountExists("user1@localhost"));
    expect(isModuleError(err, "admin.unsupported") && err.message, String(err)).to.contain("Cannot tell whether user1@localhost exists");
  });

  it("has no contact backend (XEP-0356 roster set fails on 23.01), and makeMutualContacts says so without writing anything", async () => {
    const c = link.admin.capabilities.hosts["localhost"]!.contacts;
    expect(c).to.include({ ok: false });
    expect(c.why).to.contain("ejabberd 23.01 fails privileged roster sets");
    await link.admin.createAccount("other@localhost", "pw");
    const err = await rejects(link.admin.makeMutualContacts({ jid: "user1@localhost", name: "u" }, { jid: "other@localhost", name: "o" }));
    expect(isModuleError(err, "admin.unsupported"), String(err)).to.equal(true);
    expect(await link.admin.getRoster("user1@localhost")).to.deep.equal([]);
  });

  it("still changes passwords, and an unknown account is admin.no_such_user (its crash answer, item-not-found at the complete step)", async () => {
    await link.admin.changePassword("user1@localhost", "second-pw");
    const c = await loginClient({ port: server.c2sPort, jid: "user1@localhost", password: "second-pw" });
    await c.close();
    const err = await rejects(link.admin.changePassword("ghost@localhost", "pw"));
    expect(isModuleError(err, "admin.no_such_user"), String(err)).to.equal(true);
    expect((err as Error).message).to.contain("No hook has processed this command");
  });
});

describe("ejabberd 23.01 with the narrowed rights of docs/server-setup.md", function () {
  this.timeout(30000);
  let ej: TestEjabberd;
  let link: ComponentLink;
  // Raw commands over the component's own session (a second session would share its stanzas).
  const request = (iq: Element) => (link as unknown as { request(iq: Element): Promise<Element> }).request(iq);

  before(async () => {
    ej = await startEjabberd();
    await ej.registerUser("user1", "user1-pw");
    link = linkTo({ ...ej, kind: "ejabberd", name: SERVER_NAMES.ejabberd });
    await link.start();
    await until(link, "online");
  });

  after(async () => {
    await link?.stop();
    await ej?.destroy();
  });

  /** The condition and step at which the server refuses the component `node`. */
  async function refusedStep(node: string, values: Record<string, string> = {}): Promise<string> {
    try {
      await runCommand(request, "localhost", node, () => values);
    } catch (e) {
      if (e instanceof CommandStepError) return `${e.step}: ${e.condition}`;
      throw e;
    }
    return "ran";
  }

  it("refuses the component the node commands restart, shutdown and backup (global configure rule: the admin only)", async () => {
    expect(await refusedStep(`running nodes/${ej.node}/restart`)).to.equal("execute: forbidden");
    expect(await refusedStep(`running nodes/${ej.node}/shutdown`)).to.equal("execute: forbidden");
    expect(await refusedStep(`running nodes/${ej.node}/backup/remote`)).to.equal("execute: forbidden");
  });

  it("gives the component no password through get-user-password (passwords are stored as SCRAM hashes)", async () => {
    expect(await refusedStep(`${NS_ADMIN}#get-user-password`, { FORM_TYPE: NS_ADMIN, accountjid: "user1@localhost" })).to.equal("complete: item-not-found");
  });

  it("lets the product's API account run only check_account, add_rosteritem and get_roster", async () => {
    const call = async (command: string, body: Record<string, unknown>) => {
      const res = await fetch(`${ej.api.url}/${command}`, { method: "POST", headers: { authorization: `Basic ${Buffer.from(`${ej.api.user}:${ej.api.password}`).toString("base64")}` }, body: JSON.stringify(body) });
      return { status: res.status, text: await res.text() };
    };
    expect(await call("check_account", { user: "user1", host: "localhost" })).to.deep.equal({ status: 200, text: "0" });
    for (const [command, body] of [["restart", {}], ["backup", { file: "/tmp/x" }], ["register", { user: "evil", host: "localhost", password: "x" }], ["unregister", { user: "user1", host: "localhost" }], ["change_password", { user: "user1", host: "localhost", newpass: "x" }]] as const) {
      const r = await call(command, body);
      expect(r.status, `${command}: ${r.text}`).to.equal(403);
      expect(r.text).to.contain("does not have the right");
    }
    expect((await ej.existing(["evil@localhost"])).size).to.equal(0);
  });
});

for (const kind of SERVER_KINDS) {
describe(`XMPP component link start-up (real ${SERVER_NAMES[kind]})`, function () {
  this.timeout(30000);
  let server: TestXmppServer;

  before(async () => { server = await startServer(kind); });
  after(async () => { await server?.destroy(); });

  function capturedLink(secret: string) {
    const lines: string[] = [];
    const logger = pino({ level: "debug" }, new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } }));
    const link = linkTo(server, { secret, logger });
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
    await server.stop();
    const { link, lines } = capturedLink(server.componentSecret);
    try {
      await link.start(); // resolves without waiting for the server
      expect(link.connected).to.equal(false);
      for (let i = 0; i < 100 && link.lastError === undefined; i++) await new Promise((r) => setTimeout(r, 50));
      expect(link.lastError).to.match(/ECONNREFUSED/);
      await server.start();
      await until(link, "online");
      expect(lines.join("")).to.contain("connected to the XMPP server").and.not.contain(server.componentSecret);
    } finally {
      await link.stop();
    }
  });
});
}
