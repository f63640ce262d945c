// Unit tests with scripted replies: how the admin port reads a refusal by the step that drew
// it, how capabilities pick a mechanism per operation, and mod_adhoc_api's answers (ejabberd
// 25.03+, shaped as its source src/mod_adhoc_api.erl builds them; no such server runs here).
// The real servers are in test/integration/xmpp-link.test.ts.
import { expect } from "chai";
import xml, { type Element } from "@xmpp/xml";
import type { HostCapabilities } from "../../core/admin.js";
import { isModuleError } from "../../core/errors.js";
import { createAdminPort, RemoteStanzaError, type AdminTransport } from "../../core/xmpp/admin-ops.js";
import { assess } from "../../core/xmpp/capabilities.js";

const NS_COMMANDS = "http://jabber.org/protocol/commands";
const ADMIN = "http://jabber.org/protocol/admin";
type Reply = Element | Error;

const executing = (node: string, vars: string[] = []) => xml("iq", { type: "result" },
  xml("command", { xmlns: NS_COMMANDS, node, sessionid: "s1", status: "executing" },
    xml("x", { xmlns: "jabber:x:data", type: "form" }, ...vars.map((v) => xml("field", { var: v })))));
const completed = (node: string, fields: Record<string, string[]> = {}) => xml("iq", { type: "result" },
  xml("command", { xmlns: NS_COMMANDS, node, sessionid: "s1", status: "completed" },
    xml("x", { xmlns: "jabber:x:data", type: "result" }, xml("field", { type: "fixed", label: "Result" }),
      ...Object.entries(fields).map(([k, vs]) => xml("field", { var: k }, ...vs.map((v) => xml("value", {}, v)))))));
const crash = () => new RemoteStanzaError("item-not-found", "cancel", "No hook has processed this command");

function host(over: Partial<HostCapabilities>): HostCapabilities {
  const ok = { ok: true, via: "test" };
  return { host: "example.org", adminCommands: [], apiCommands: [], accounts: ok, passwordChange: ok, accountCheck: ok, contacts: ok, ...over };
}

function port(replies: Reply[], caps?: HostCapabilities, perms: Record<string, string> = { roster: "both" }) {
  const sent: Element[] = [];
  const t: AdminTransport = {
    connected: true, hosts: ["example.org"], privileges: perms, privilegesFor: () => perms,
    async request(iq) {
      sent.push(iq);
      const next = replies.shift();
      if (!next) throw new Error(`unexpected request ${iq.toString()}`);
      if (next instanceof Error) throw next;
      return next;
    },
    ...(caps ? { capabilities: { ready: async () => {}, isKnown: true, snapshot: () => ({ known: true, hosts: { "example.org": caps } }), forHost: () => caps } } : {}),
  };
  return { port: createAdminPort(t), sent };
}

async function rejection(p: Promise<unknown>): Promise<Error> {
  try { await p; } catch (e) { return e as Error; }
  throw new Error("expected a rejection");
}

describe("admin port: refusals read by the step that drew them (unit, scripted replies)", () => {
  const CHANGE = `${ADMIN}#change-user-password`;

  it("change-user-password answered item-not-found at the complete step (ejabberd 23.01, unknown account) is admin.no_such_user, not 'does not offer'", async () => {
    const { port: p } = port([executing(CHANGE), crash()]);
    const err = await rejection(p.changePassword("ghost@example.org", "pw"));
    expect(isModuleError(err, "admin.no_such_user"), String(err)).to.equal(true);
    expect(err.message).to.contain("ghost@example.org").and.not.contain("does not offer");
  });

  it("the same condition at the execute step means the command is not offered: admin.unsupported", async () => {
    const { port: p } = port([new RemoteStanzaError("item-not-found", "cancel", "")]);
    const err = await rejection(p.changePassword("ghost@example.org", "pw"));
    expect(isModuleError(err, "admin.unsupported") && err.message).to.contain("does not offer change-user-password");
  });

  it("forbidden at the execute step names the missing admin right", async () => {
    const { port: p } = port([new RemoteStanzaError("forbidden", "auth", "Access denied by service policy")]);
    const err = await rejection(p.changePassword("a@example.org", "pw"));
    expect(isModuleError(err, "admin.refused") && err.message).to.contain("make the component JID a server admin");
  });

  it("add-user answered item-not-found at the complete step is admin.refused (the server failed it), not unsupported", async () => {
    const { port: p } = port([executing(`${ADMIN}#add-user`), crash()]);
    const err = await rejection(p.createAccount("x@example.org", "pw"));
    expect(isModuleError(err, "admin.refused") && err.message).to.contain("failed add-user for x@example.org");
  });

  it("delete-user answered item-not-found at the complete step (ejabberd, unknown account) is admin.no_such_user", async () => {
    const { port: p } = port([executing(`${ADMIN}#delete-user`), crash()]);
    expect(isModuleError(await rejection(p.deleteAccount("ghost@example.org")), "admin.no_such_user")).to.equal(true);
  });

  it("accountExists: get-user-roster crashing at the complete step (ejabberd 25.10, unknown account) means no", async () => {
    const node = `${ADMIN}#get-user-roster`;
    const { port: p } = port([executing(node), crash()], host({ adminCommands: ["get-user-roster"] }));
    expect(await p.accountExists("ghost@example.org")).to.equal(false);
  });
});

describe("admin port: backends chosen by the server's capabilities (unit, scripted replies)", () => {
  it("accountExists without any mechanism says it cannot tell (admin.unsupported), and sends nothing", async () => {
    const { port: p, sent } = port([], host({ accountCheck: { ok: false, via: "x", why: "no command says so", fix: "configure it" } }));
    const err = await rejection(p.accountExists("a@example.org"));
    expect(isModuleError(err, "admin.unsupported") && err.message).to.equal("Cannot tell whether a@example.org exists: no command says so. Fix: configure it");
    expect(sent).to.have.length(0);
  });

  it("accountExists through mod_adhoc_api runs api-commands/check_account with the form's fields and reads res", async () => {
    const node = "api-commands/check_account";
    const { port: p, sent } = port([executing(node, ["user", "host"]), completed(node, { user: ["a"], host: ["example.org"], res: ["0"] }),
      executing(node, ["user", "host"]), completed(node, { res: ["1"] })], host({ apiCommands: ["check_account"] }));
    expect(await p.accountExists("a@example.org")).to.equal(true);
    expect(await p.accountExists("b@example.org")).to.equal(false);
    const submitted = sent[1]!.getChild("command")!.getChild("x")!.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]);
    expect(submitted).to.deep.equal([["user", "a"], ["host", "example.org"]]);
  });

  it("makeMutualContacts through mod_adhoc_api adds both ways, then reads get_roster's contacts back", async () => {
    const add = "api-commands/add_rosteritem", get = "api-commands/get_roster";
    const vars = ["localuser", "localhost", "user", "host", "nick", "groups", "subs"];
    const { port: p, sent } = port([
      executing(add, vars), completed(add, { res: ["0"] }), executing(add, vars), completed(add, { res: ["0"] }),
      executing(get, ["user", "host"]), completed(get, { contacts: ["b@example.org : Bea : both : none : "] }),
      executing(get, ["user", "host"]), completed(get, { contacts: ["a@example.org : Ann : both : none : "] }),
    ], host({ apiCommands: ["add_rosteritem", "get_roster"], software: { name: "ejabberd", version: "25.03" }, contacts: { ok: true, via: "ejabberd add_rosteritem (mod_adhoc_api)" } }));
    expect(await p.makeMutualContacts({ jid: "a@example.org", name: "Ann" }, { jid: "b@example.org", name: "Bea" })).to.deep.equal({ via: "ejabberd add_rosteritem (mod_adhoc_api)" });
    const first = Object.fromEntries(sent[1]!.getChild("command")!.getChild("x")!.getChildren("field").map((f) => [f.attrs.var, f.getChildren("value").map((v) => v.text())]));
    expect(first).to.deep.equal({ localuser: ["a"], localhost: ["example.org"], user: ["b"], host: ["example.org"], nick: ["Bea"], groups: [], subs: ["both"] });
  });

  it("makeMutualContacts refuses when the roster read back does not show both (ejabberd's privileged roster set drops the subscription)", async () => {
    const { port: p } = port([
      xml("iq", { type: "result" }), xml("iq", { type: "result" }),
      xml("iq", { type: "result" }, xml("query", { xmlns: "jabber:iq:roster" }, xml("item", { jid: "b@example.org", subscription: "none" }))),
    ], host({ contacts: { ok: true, via: "XEP-0356 roster set (urn:xmpp:privilege:2)" } }));
    const err = await rejection(p.makeMutualContacts({ jid: "a@example.org", name: "Ann" }, { jid: "b@example.org", name: "Bea" }));
    expect(isModuleError(err, "admin.refused") && err.message).to.contain('a@example.org\'s roster shows b@example.org with subscription "none", not as a mutual contact');
  });

  it("makeMutualContacts without a backend says why and what would fix it, and writes nothing", async () => {
    const { port: p, sent } = port([], host({ contacts: { ok: false, via: "x", why: "no privilege", fix: "grant it" } }));
    const err = await rejection(p.makeMutualContacts({ jid: "a@example.org", name: "A" }, { jid: "b@example.org", name: "B" }));
    expect(isModuleError(err, "admin.unsupported") && err.message).to.contain("no privilege").and.contain("grant it");
    expect(sent).to.have.length(0);
  });
});

describe("capabilities: a mechanism per operation, or why none and the fix (unit)", () => {
  const priv = (roster: string) => ({ host: "example.org", namespace: "urn:xmpp:privilege:2", perms: { roster } });
  const prosody = { software: { name: "Prosody", version: "0.12.3" }, adminCommands: ["add-user", "change-user-password", "get-user-roster"], apiCommands: [] };

  it("Prosody with roster=both: XEP-0133 for accounts and the check, XEP-0356 for contacts", () => {
    const c = assess("example.org", prosody, priv("both"), "invites.example.org");
    expect([c.accounts.ok, c.passwordChange.ok, c.accountCheck.via, c.contacts.via]).to.deep.equal([true, true, "XEP-0133 get-user-roster", "XEP-0356 roster set (urn:xmpp:privilege:2)"]);
  });

  it("roster=set only is not enough (the rosters are read back), and the fix names privileged_entities", () => {
    const c = assess("example.org", prosody, priv("set"), "invites.example.org");
    expect(c.contacts.ok).to.equal(false);
    expect(c.contacts.why).to.contain('granted roster "set"');
    expect(c.contacts.fix).to.contain('privileged_entities = { ["invites.example.org"] = { roster = "both" } }');
  });

  it("ejabberd never uses its XEP-0356 roster set for contacts, even when granted; without its API nothing works, and the fix names ejabberd_api", () => {
    const c = assess("example.org", { software: { name: "ejabberd", version: "24.10" }, adminCommands: ["add-user"], apiCommands: [] }, priv("both"), "invites.example.org");
    expect(c.contacts.ok).to.equal(false);
    expect(c.contacts.why).to.contain("ignores the subscription");
    expect(c.contacts.fix).to.contain("ejabberd_api:");
    expect(c.accountCheck.ok).to.equal(false);
    expect(c.passwordChange.fix).to.contain("host_config");
  });

  it("ejabberd 25.03+ with mod_adhoc_api commands uses them; with a working HTTP API, that", () => {
    const adhoc = assess("example.org", { software: { name: "ejabberd", version: "25.03" }, adminCommands: [], apiCommands: ["add_rosteritem", "get_roster", "check_account"] }, undefined, "invites.example.org");
    expect([adhoc.contacts.via, adhoc.accountCheck.via]).to.deep.equal(["ejabberd add_rosteritem (mod_adhoc_api)", "ejabberd check_account (mod_adhoc_api)"]);
    const http = assess("example.org", { software: { name: "ejabberd", version: "23.01" }, adminCommands: [], apiCommands: [], ejabberdApi: { ok: true, via: "api" } }, undefined, "invites.example.org");
    expect([http.contacts.via, http.accountCheck.via]).to.deep.equal(["ejabberd add_rosteritem (mod_http_api)", "ejabberd check_account (mod_http_api)"]);
    const refused = assess("example.org", { software: { name: "ejabberd", version: "23.01" }, adminCommands: [], apiCommands: [], ejabberdApi: { ok: false, via: "api", why: "credentials refused" } }, undefined, "invites.example.org");
    expect(refused.contacts.why).to.contain("fails privileged roster sets").and.contain("credentials refused");
  });
});
