import { expect } from "chai";
import xml from "@xmpp/xml";
import type { AdhocCommand, AdhocRequest } from "../../core/types.js";
import { isModuleError } from "../../core/errors.js";
import { AdhocService, NS_COMMANDS } from "../../core/xmpp/adhoc.js";
import { NS_DATA } from "../../core/xmpp/forms.js";
import { errorFor } from "../../core/xmpp/stanza-errors.js";
import { pino } from "pino";

const USER = "alice@example.org/phone";
const ADMIN = "root@example.org/desk";
const STRANGER = "eve@elsewhere.net/x";

function command(node: string, attrs: Record<string, string> = {}, ...children: ReturnType<typeof xml>[]) {
  return xml("command", { xmlns: NS_COMMANDS, node, ...attrs }, ...children);
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try { await p; } catch (e) { return e; }
  throw new Error("expected a rejection");
}

describe("XEP-0050 ad-hoc commands", () => {
  const seen: AdhocRequest[] = [];
  const wizard: AdhocCommand = {
    node: "wizard", name: "Wizard", permission: "local_user",
    handler(req) {
      seen.push(req);
      if (req.state === undefined) return { status: "executing", state: { step: 1 }, actions: ["next"], form: { type: "form", fields: [{ var: "name", type: "text-single", required: true }] } };
      if ((req.state as { step: number }).step === 1) return { status: "executing", state: { step: 2, name: req.values.name }, actions: ["prev", "complete"], notes: [{ type: "warn", text: "last step" }] };
      return { status: "completed", notes: [{ type: "info", text: `done for ${String((req.state as { name: string }).name)}` }] };
    },
  };
  const commands = new Map<string, AdhocCommand>([
    ["wizard", wizard],
    ["admin", { node: "admin", name: "Admin", permission: "admin", handler: () => ({ status: "completed" }) }],
    ["open", { node: "open", name: "Open", permission: "any", handler: () => ({ status: "completed" }) }],
  ]);
  let now = 0;
  const service = () => new AdhocService({ commands, hosts: ["example.org"], isAdmin: (j) => j === "root@example.org", now: () => now });

  beforeEach(() => { seen.length = 0; now = 1_000_000; });

  it("lists commands by permission: any for everyone, local_user for served domains, admin for admins", () => {
    const s = service();
    expect(s.listFor(STRANGER).map((c) => c.node)).to.deep.equal(["open"]);
    expect(s.listFor(USER).map((c) => c.node)).to.deep.equal(["wizard", "open"]);
    expect(s.listFor(ADMIN).map((c) => c.node)).to.deep.equal(["wizard", "admin", "open"]);
  });

  it("checks the permission before calling the handler (forbidden)", async () => {
    const s = service();
    const err = await rejection(s.execute(STRANGER, command("wizard")));
    expect(isModuleError(err) && err.condition, String(err)).to.equal("forbidden");
    expect(seen).to.have.length(0);
  });

  it("says why a command is refused: another server's user, or not an administrator", async () => {
    const s = service();
    const foreign = await rejection(s.execute(STRANGER, command("wizard")));
    expect((foreign as Error).message).to.equal('Only users of example.org may run "Wizard"; your account is on another server');
    const notAdmin = await rejection(s.execute(USER, command("admin")));
    expect((notAdmin as Error).message).to.equal('Only administrators of this service may run "Admin"');
  });

  it("answers an unknown node with item-not-found", async () => {
    const err = await rejection(service().execute(USER, command("nope")));
    expect(isModuleError(err) && err.condition).to.equal("item-not-found");
  });

  it("runs a multi-stage command: session id, state carried, actions, notes and form rendered", async () => {
    const s = service();
    const first = await s.execute(USER, command("wizard"));
    expect(first.attrs).to.include({ node: "wizard", status: "executing" });
    const sessionid = String(first.attrs.sessionid);
    expect(sessionid).to.have.length.greaterThan(10);
    expect(first.getChild("actions")?.attrs.execute).to.equal("next");
    expect(first.getChild("x", NS_DATA)?.getChild("field")?.attrs.var).to.equal("name");

    const submit = xml("x", { xmlns: NS_DATA, type: "submit" }, xml("field", { var: "name" }, xml("value", {}, "Bob")));
    const second = await s.execute(USER, command("wizard", { sessionid, action: "next" }, submit));
    expect(second.attrs.status).to.equal("executing");
    expect(second.getChild("actions")?.getChildElements().map((a) => a.name)).to.deep.equal(["prev", "complete"]);
    expect(second.getChild("note")?.attrs.type).to.equal("warn");
    expect(seen[1]).to.include({ action: "next", sessionId: sessionid, fromBare: "alice@example.org", from: USER, isAdmin: false });
    expect(seen[1]!.values).to.deep.equal({ name: "Bob" });
    expect(seen[1]!.state).to.deep.equal({ step: 1 });

    const third = await s.execute(USER, command("wizard", { sessionid, action: "complete" }));
    expect(third.attrs.status).to.equal("completed");
    expect(third.getChildText("note")).to.equal("done for Bob");
    expect(s.sessionCount).to.equal(0);
  });

  it("honours cancel: answers canceled and forgets the session", async () => {
    const s = service();
    const first = await s.execute(USER, command("wizard"));
    const sessionid = String(first.attrs.sessionid);
    const canceled = await s.execute(USER, command("wizard", { sessionid, action: "cancel" }));
    expect(canceled.attrs).to.include({ status: "canceled", sessionid });
    expect(seen).to.have.length(1);
    const err = await rejection(s.execute(USER, command("wizard", { sessionid, action: "next" })));
    expect(isModuleError(err) && err.condition).to.equal("bad-request");
  });

  it("refuses another user's session, another node's session and an expired one (bad-sessionid)", async () => {
    const s = service();
    const sessionid = String((await s.execute(USER, command("wizard"))).attrs.sessionid);
    const other = await rejection(s.execute("alice@example.org/laptop", command("wizard", { sessionid, action: "next" })));
    expect(isModuleError(other) && other.condition).to.equal("bad-request");
    // XEP-0050 §4.6: the error carries <bad-sessionid/>.
    expect(errorFor(other, pino({ level: "silent" }), {}).getChild("bad-sessionid", NS_COMMANDS)).to.not.equal(undefined);
    const wrongNode = await rejection(s.execute(USER, command("open", { sessionid })));
    expect(isModuleError(wrongNode) && wrongNode.condition).to.equal("bad-request");
    now += 11 * 60 * 1000;
    const expired = await rejection(s.execute(USER, command("wizard", { sessionid, action: "next" })));
    expect(isModuleError(expired) && expired.message).to.match(/expired/);
  });

  it("refuses an unknown action with bad-request", async () => {
    const err = await rejection(service().execute(USER, command("open", { action: "explode" })));
    expect(isModuleError(err) && err.condition).to.equal("bad-request");
  });

  it("drops the session when the handler throws", async () => {
    let calls = 0;
    const flaky: AdhocCommand = {
      node: "flaky", name: "Flaky", permission: "any",
      handler() { calls++; if (calls === 1) return { status: "executing", state: 1 }; throw new Error("boom"); },
    };
    const s = new AdhocService({ commands: new Map([["flaky", flaky]]), hosts: [], isAdmin: () => false });
    const sessionid = String((await s.execute(STRANGER, command("flaky"))).attrs.sessionid);
    await rejection(s.execute(STRANGER, command("flaky", { sessionid, action: "complete" })));
    expect(s.sessionCount).to.equal(0);
  });

  describe("commands with a declared form (core drives the stages)", () => {
    const calls: AdhocRequest[] = [];
    const formCalls: string[] = [];
    const grant: AdhocCommand = {
      node: "grant", name: "Grant", permission: "local_user",
      form(req) {
        formCalls.push(req.action);
        const fields = [{ var: "name", type: "text-single" as const }, { var: "tags", type: "text-multi" as const }];
        if (req.isAdmin) fields.push({ var: "role", type: "text-single" as const });
        return { type: "form", title: "Grant", fields };
      },
      handler(req) { calls.push(req); return { status: "completed", notes: [{ type: "info", text: "granted" }] }; },
    };
    const s = () => new AdhocService({ commands: new Map([["grant", grant]]), hosts: ["example.org"], isAdmin: (j) => j === "root@example.org" });
    const submit = (...fields: ReturnType<typeof xml>[]) => xml("x", { xmlns: NS_DATA, type: "submit" }, ...fields);
    const field = (name: string, ...values: string[]) => xml("field", { var: name }, ...values.map((v) => xml("value", {}, v)));
    beforeEach(() => { calls.length = 0; formCalls.length = 0; });

    it("sends the form on execute and prev, and hands the checked values to the handler", async () => {
      const svc = s();
      const first = await svc.execute(USER, command("grant"));
      expect(first.attrs.status).to.equal("executing");
      expect(first.getChild("x", NS_DATA)?.getChildren("field").map((f) => f.attrs.var)).to.deep.equal(["name", "tags"]);
      const sessionid = String(first.attrs.sessionid);
      const again = await svc.execute(USER, command("grant", { sessionid, action: "prev" }));
      expect(again.getChild("x", NS_DATA)).to.not.equal(undefined);
      const done = await svc.execute(USER, command("grant", { sessionid, action: "complete" }, submit(field("name", "Bob"), field("tags", "a", "b"), field("FORM_TYPE", "urn:x"))));
      expect(done.attrs.status).to.equal("completed");
      expect(calls[0]!.values).to.deep.equal({ name: "Bob", tags: ["a", "b"] });
      expect(formCalls).to.deep.equal(["execute", "prev"]);
    });

    it("refuses a single-valued field with several values, naming it, before the handler runs", async () => {
      const svc = s();
      const sessionid = String((await svc.execute(ADMIN, command("grant"))).attrs.sessionid);
      // The shape of the attack on create-account: an empty first value, the real one second.
      const err = await rejection(svc.execute(ADMIN, command("grant", { sessionid, action: "complete" }, submit(field("role", "", "prosody:admin")))));
      expect(isModuleError(err) && err.condition).to.equal("bad-request");
      expect((err as Error).message).to.equal('Field "role" takes one value, got 2');
      expect(calls).to.have.length(0);
    });

    it("refuses a field that is not in the form sent to this requester, also without a session", async () => {
      const sessionid = String((await s().execute(USER, command("grant"))).attrs.sessionid);
      expect(sessionid).to.not.equal("");
      // A user's form has no "role" field: a submission carrying one never reaches the handler.
      const direct = await rejection(s().execute(USER, command("grant", { action: "complete" }, submit(field("role", "prosody:admin")))));
      expect((direct as Error).message).to.equal('Field "role" is not part of this form');
      expect(calls).to.have.length(0);
      const ok = await s().execute(ADMIN, command("grant", { action: "complete" }, submit(field("role", "prosody:admin"))));
      expect(ok.attrs.status).to.equal("completed");
      expect(calls[0]!.values).to.deep.equal({ role: "prosody:admin" });
    });
  });

  it("keeps at most 10 open sessions per requester, so one cannot push out everybody else's", async () => {
    const svc = service();
    const victim = String((await svc.execute(USER, command("wizard"))).attrs.sessionid);
    for (let i = 0; i < 50; i++) await svc.execute("bob@example.org/x", command("wizard"));
    expect(svc.sessionCount).to.equal(11);
    const still = await svc.execute(USER, command("wizard", { sessionid: victim, action: "next" }, xml("x", { xmlns: NS_DATA, type: "submit" }, xml("field", { var: "name" }, xml("value", {}, "Al")))));
    expect(still.attrs.status).to.equal("executing");
  });
});
