import { expect } from "chai";
import xml from "@xmpp/xml";
import { pino } from "pino";
import { Writable } from "node:stream";
import { coreErrors, defineErrors } from "../../core/errors.js";
import { adminErrors } from "../../core/admin.js";
import { errorFor, errorElement, readError, NS_STANZAS } from "../../core/xmpp/stanza-errors.js";
import { FormError } from "../../core/xmpp/forms.js";

function capture() {
  const lines: string[] = [];
  const stream = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  return { log: pino({ level: "debug" }, stream), lines };
}

const condition = (el: ReturnType<typeof xml>) => el.children.find((c) => typeof c !== "string" && c.attrs.xmlns === NS_STANZAS && c.name !== "text") as ReturnType<typeof xml>;

describe("stanza error mapping", () => {
  it("maps a ModuleError to its type and condition, with its message as <text/>", () => {
    const { log } = capture();
    const errors = defineErrors("demo", { expired: { status: 410, type: "cancel", condition: "gone", message: "This invite has expired" } });
    const el = errorFor(errors.expired(), log, {});
    expect(el.attrs.type).to.equal("cancel");
    expect(condition(el).name).to.equal("gone");
    expect(el.getChildText("text", NS_STANZAS)).to.equal("This invite has expired");
  });

  it("keeps a module's own message over the default", () => {
    const { log } = capture();
    const el = errorFor(coreErrors.bad_request("username must not contain @"), log, {});
    expect(el.attrs.type).to.equal("modify");
    expect(condition(el).name).to.equal("bad-request");
    expect(el.getChildText("text", NS_STANZAS)).to.equal("username must not contain @");
  });

  it("maps admin errors (e.g. username_taken -> cancel/conflict)", () => {
    const { log } = capture();
    const el = errorFor(adminErrors.username_taken(), log, {});
    expect([el.attrs.type, condition(el).name]).to.deep.equal(["cancel", "conflict"]);
  });

  it("maps a malformed form to modify/bad-request naming the fault", () => {
    const { log } = capture();
    const el = errorFor(new FormError("a form field has no var"), log, {});
    expect([el.attrs.type, condition(el).name]).to.deep.equal(["modify", "bad-request"]);
    expect(el.getChildText("text", NS_STANZAS)).to.equal("a form field has no var");
  });

  it("maps any other throw to internal-server-error without revealing it, and logs the cause", () => {
    const { log, lines } = capture();
    const el = errorFor(new Error("db password is hunter2 at /srv/x.js:12"), log, { node: "test#x" });
    expect([el.attrs.type, condition(el).name]).to.deep.equal(["cancel", "internal-server-error"]);
    expect(el.getChild("text", NS_STANZAS)).to.equal(undefined);
    expect(el.toString()).not.to.contain("hunter2");
    expect(lines.join("")).to.contain("handler failed").and.contain("test#x");
  });

  it("builds RFC 6120 §8.3.2 errors and reads them back", () => {
    const reply = xml("iq", { type: "error" }, errorElement("auth", "forbidden", "no"));
    expect(readError(reply)).to.deep.equal({ condition: "forbidden", type: "auth", text: "no" });
    expect(readError(xml("iq", { type: "error" }))).to.deep.equal({ condition: "undefined-condition", type: "cancel", text: "" });
  });
});
