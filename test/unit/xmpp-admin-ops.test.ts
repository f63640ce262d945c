// The AdminPort's reading of server answers, with scripted replies in the shapes
// Prosody 0.12 and ejabberd send (the Prosody ones are also covered for real in
// test/integration/xmpp-link.test.ts).
import { expect } from "chai";
import xml, { type Element } from "@xmpp/xml";
import { isModuleError } from "../../core/errors.js";
import { adminErrors } from "../../core/admin.js";
import { createAdminPort, RemoteStanzaError, type AdminTransport } from "../../core/xmpp/admin-ops.js";
import { readPrivileges } from "../../core/xmpp/privileges.js";

const NS_COMMANDS = "http://jabber.org/protocol/commands";

type Reply = Element | RemoteStanzaError | Error;

function fake(replies: Reply[], privileges: Record<string, string> = { roster: "both" }) {
  const sent: Element[] = [];
  const t: AdminTransport = {
    connected: true,
    hosts: ["example.org"],
    privileges,
    privilegesFor: (d) => (d === "example.org" ? privileges : {}),
    async request(iq) {
      sent.push(iq);
      const next = replies.shift();
      if (!next) throw new Error("unexpected request");
      if (next instanceof Error) throw next;
      return next;
    },
  };
  return { port: createAdminPort(t), sent };
}

const executing = (node: string) => xml("iq", { type: "result" },
  xml("command", { xmlns: NS_COMMANDS, node, sessionid: "s1", status: "executing" }, xml("x", { xmlns: "jabber:x:data", type: "form" })));
const completed = (node: string, ...notes: [string, string][]) => xml("iq", { type: "result" },
  xml("command", { xmlns: NS_COMMANDS, node, sessionid: "s1", status: "completed" }, ...notes.map(([type, text]) => xml("note", { type }, text))));
const ADD = "http://jabber.org/protocol/admin#add-user";

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  throw new Error("expected a rejection");
}

describe("AdminPort over XEP-0133 / XEP-0356", () => {
  it("createAccount executes add-user, then submits FORM_TYPE, accountjid, password and password-verify to the user's domain", async () => {
    const { port, sent } = fake([executing(ADD), completed(ADD, ["info", "Account successfully created"])]);
    await port.createAccount("Alice@example.org", "pw");
    expect(sent.map((s) => s.attrs.to)).to.deep.equal(["example.org", "example.org"]);
    const submit = sent[1]!.getChild("command", NS_COMMANDS)!;
    expect(submit.attrs).to.include({ node: ADD, sessionid: "s1", action: "complete" });
    const values = Object.fromEntries(submit.getChild("x")!.getChildren("field").map((f) => [f.attrs.var, f.getChildText("value")]));
    expect(values).to.deep.equal({ FORM_TYPE: "http://jabber.org/protocol/admin", accountjid: "alice@example.org", password: "pw", "password-verify": "pw" });
  });

  it("accepts ejabberd's completed add-user without a note", async () => {
    const { port } = fake([executing(ADD), completed(ADD)]);
    await port.createAccount("alice@example.org", "pw");
  });

  it("maps Prosody's 'Account already exists' note and ejabberd's <conflict/> to admin.username_taken", async () => {
    const prosody = fake([executing(ADD), completed(ADD, ["error", "Account already exists"])]);
    expect(isModuleError(await rejection(prosody.port.createAccount("alice@example.org", "pw")), "admin.username_taken")).to.equal(true);
    const ejabberd = fake([executing(ADD), new RemoteStanzaError("conflict", "cancel", "")]);
    expect(isModuleError(await rejection(ejabberd.port.createAccount("alice@example.org", "pw")), "admin.username_taken")).to.equal(true);
  });

  it("maps other refusals to admin.refused with the server's words, and a missing command to admin.unsupported", async () => {
    const note = fake([executing(ADD), completed(ADD, ["error", "Failed to write data to disk"])]);
    const e1 = await rejection(note.port.createAccount("alice@example.org", "pw"));
    expect(isModuleError(e1, "admin.refused") && e1.message).to.contain("Failed to write data to disk");
    const forbidden = fake([new RemoteStanzaError("forbidden", "auth", "")]);
    const e2 = await rejection(forbidden.port.createAccount("alice@example.org", "pw"));
    expect(isModuleError(e2, "admin.refused") && e2.message).to.match(/server admin/);
    const missing = fake([new RemoteStanzaError("item-not-found", "cancel", "")]);
    expect(isModuleError(await rejection(missing.port.createAccount("alice@example.org", "pw")), "admin.unsupported")).to.equal(true);
  });

  it("passes the transport's own errors (timeout, not connected) through unchanged", async () => {
    const { port } = fake([adminErrors.timeout()]);
    expect(isModuleError(await rejection(port.createAccount("alice@example.org", "pw")), "admin.timeout")).to.equal(true);
  });

  it("refuses accounts outside the served domains, full JIDs and empty passwords with core.bad_request before sending", async () => {
    const { port, sent } = fake([]);
    for (const p of [port.createAccount("a@other.org", "pw"), port.createAccount("a@example.org/res", "pw"), port.createAccount("example.org", "pw"), port.createAccount("a@example.org", "")]) {
      const err = await rejection(p);
      expect(isModuleError(err, "core.bad_request"), String(err)).to.equal(true);
    }
    expect(sent).to.have.length(0);
  });

  it("accountExists reads get-user-roster: a result means yes, 'User does not exist' means no", async () => {
    const node = "http://jabber.org/protocol/admin#get-user-roster";
    const yes = fake([executing(node), completed(node)]);
    expect(await yes.port.accountExists("alice@example.org")).to.equal(true);
    const no = fake([executing(node), completed(node, ["error", "User does not exist"])]);
    expect(await no.port.accountExists("alice@example.org")).to.equal(false);
    const absent = fake([new RemoteStanzaError("item-not-found", "cancel", "")]);
    expect(isModuleError(await rejection(absent.port.accountExists("alice@example.org")), "admin.unsupported")).to.equal(true);
  });

  it("deleteAccount reports Prosody's 'could not be deleted' as admin.no_such_user", async () => {
    const node = "http://jabber.org/protocol/admin#delete-user";
    const { port, sent } = fake([executing(node), completed(node, ["info", "The following accounts could not be deleted:\nalice@example.org"])]);
    expect(isModuleError(await rejection(port.deleteAccount("alice@example.org")), "admin.no_such_user")).to.equal(true);
    const field = sent[1]!.getChild("command")!.getChild("x")!.getChildren("field").find((f) => f.attrs.var === "accountjids")!;
    expect(field.getChildren("value").map((v) => v.text())).to.deep.equal(["alice@example.org"]);
  });

  it("sends roster get/set to the user's bare JID and reads items (XEP-0356 §5)", async () => {
    const roster = xml("iq", { type: "result" }, xml("query", { xmlns: "jabber:iq:roster" },
      xml("item", { jid: "bob@example.org", name: "Bob", subscription: "both" }, xml("group", {}, "Friends"))));
    const { port, sent } = fake([roster, xml("iq", { type: "result" })]);
    expect(await port.getRoster("alice@example.org")).to.deep.equal([{ jid: "bob@example.org", name: "Bob", subscription: "both", groups: ["Friends"] }]);
    await port.setRosterItem("alice@example.org", { jid: "carol@example.org", subscription: "both", groups: ["A", "B"] });
    expect(sent.map((s) => [s.attrs.type, s.attrs.to])).to.deep.equal([["get", "alice@example.org"], ["set", "alice@example.org"]]);
    const item = sent[1]!.getChild("query")!.getChild("item")!;
    expect(item.attrs).to.deep.equal({ jid: "carol@example.org", subscription: "both" });
    expect(item.getChildren("group").map((g) => g.text())).to.deep.equal(["A", "B"]);
  });

  it("says admin.privilege_missing when the roster privilege was not granted or the server answers forbidden", async () => {
    const none = fake([], { message: "outgoing" });
    expect(isModuleError(await rejection(none.port.getRoster("alice@example.org")), "admin.privilege_missing")).to.equal(true);
    const getOnly = fake([], { roster: "get" });
    expect(isModuleError(await rejection(getOnly.port.setRosterItem("alice@example.org", { jid: "b@example.org", subscription: "both", groups: [] })), "admin.privilege_missing")).to.equal(true);
    const refused = fake([new RemoteStanzaError("forbidden", "auth", "")]);
    expect(isModuleError(await rejection(refused.port.getRoster("alice@example.org")), "admin.privilege_missing")).to.equal(true);
  });

  it("names ejabberd 23.01's roster-set bug (internal-server-error) as admin.unsupported", async () => {
    const { port } = fake([new RemoteStanzaError("internal-server-error", "wait", "")]);
    const err = await rejection(port.setRosterItem("alice@example.org", { jid: "b@example.org", subscription: "both", groups: [] }));
    expect(isModuleError(err, "admin.unsupported") && err.message).to.match(/ejabberd 23\.01/);
  });
});

describe("XEP-0356 privilege advertisements", () => {
  const advert = (ns: string, from = "example.org") => xml("message", { from, to: "invites.example.org" },
    xml("privilege", { xmlns: ns }, xml("perm", { access: "roster", type: "both" }), xml("perm", { access: "message", type: "outgoing" })));

  it("reads Prosody's urn:xmpp:privilege:2 and ejabberd 23.01's urn:xmpp:privilege:1", () => {
    expect(readPrivileges(advert("urn:xmpp:privilege:2"), ["example.org"])).to.deep.equal({ host: "example.org", namespace: "urn:xmpp:privilege:2", perms: { roster: "both", message: "outgoing" } });
    expect(readPrivileges(advert("urn:xmpp:privilege:1"), ["example.org"])?.perms).to.deep.equal({ roster: "both", message: "outgoing" });
  });

  it("ignores advertisements from users or unserved domains, and other messages", () => {
    expect(readPrivileges(advert("urn:xmpp:privilege:2", "mallory@example.org"), ["example.org"])).to.equal(undefined);
    expect(readPrivileges(advert("urn:xmpp:privilege:2", "other.org"), ["example.org"])).to.equal(undefined);
    expect(readPrivileges(xml("message", { from: "example.org" }, xml("body", {}, "hi")), ["example.org"])).to.equal(undefined);
  });
  describe("locking an account (XEP-0133 §4.3-4.5)", () => {
    const ADMIN = "http://jabber.org/protocol/admin";
    const submitted = (iq: Element) => Object.fromEntries(iq.getChild("command", NS_COMMANDS)!.getChild("x")!.getChildren("field").map((f) => [f.attrs.var, f.getChildren("value").map((v) => v.text())]));

    it("disableAccount and enableAccount submit accountjids to disable-user and reenable-user", async () => {
      for (const [name, op] of [["disable-user", "disableAccount"], ["reenable-user", "enableAccount"]] as const) {
        const node = `${ADMIN}#${name}`;
        const { port, sent } = fake([executing(node), completed(node)]);
        await port[op]("Dan@example.org");
        expect(sent[0]!.getChild("command", NS_COMMANDS)!.attrs.node).to.equal(node);
        expect(submitted(sent[1]!)).to.deep.equal({ FORM_TYPE: [ADMIN], accountjids: ["dan@example.org"] });
      }
    });

    it("says the server does not offer disable-user when it answers the execute step item-not-found", async () => {
      const { port } = fake([new RemoteStanzaError("item-not-found", "cancel", "")]);
      const e = await rejection(port.disableAccount("dan@example.org"));
      expect(isModuleError(e) && e.code).to.equal(adminErrors.codes.unsupported);
    });

    it("endSessions sends accountjids (Prosody) and accountjid (ejabberd); Prosody's 'could not be disconnected' is no such user", async () => {
      const node = `${ADMIN}#end-user-session`;
      const ok = fake([executing(node), completed(node, ["info", "The following accounts were successfully disconnected:\ndan@example.org\n"])]);
      await ok.port.endSessions("dan@example.org");
      expect(submitted(ok.sent[1]!)).to.deep.equal({ FORM_TYPE: [ADMIN], accountjids: ["dan@example.org"], accountjid: ["dan@example.org"] });
      const gone = fake([executing(node), completed(node, ["info", "The following accounts could not be disconnected:\nnobody@example.org"])]);
      const e = await rejection(gone.port.endSessions("nobody@example.org"));
      expect(isModuleError(e) && e.code).to.equal(adminErrors.codes.no_such_user);
    });
  });
});
