import { expect } from "chai";
import xml from "@xmpp/xml";
import type { DataForm } from "../../core/types.js";
import { formToXml, xmlToForm, formValues, formBoolean, FormError, NS_DATA } from "../../core/xmpp/forms.js";

describe("XEP-0004 form conversion", () => {
  const form: DataForm = {
    type: "form",
    title: "Create an invite",
    instructions: "Fill this in.\nThen submit.",
    fields: [
      { var: "FORM_TYPE", type: "hidden", value: "urn:xmpp:invite#invitation" },
      { var: "ttl", type: "list-single", label: "Valid for", required: true, value: "1w", options: [{ label: "One day", value: "1d" }, { value: "1w" }] },
      { var: "roles", type: "list-multi", value: ["a", "b"], options: [{ value: "a" }, { value: "b" }, { value: "c" }] },
      { var: "note", type: "text-multi", desc: "Shown to admins", value: "line one\nline two" },
      { var: "reusable", type: "boolean", value: "false" },
      { var: "secret", type: "text-private" },
    ],
  };

  it("renders a form with types, labels, required, options, descriptions and multi-line values", () => {
    const x = formToXml(form);
    expect(x.attrs).to.include({ xmlns: NS_DATA, type: "form" });
    expect(x.getChildText("title")).to.equal("Create an invite");
    expect(x.getChildren("instructions").map((i) => i.text())).to.deep.equal(["Fill this in.", "Then submit."]);
    const ttl = x.getChildren("field").find((f) => f.attrs.var === "ttl")!;
    expect(ttl.attrs).to.include({ type: "list-single", label: "Valid for" });
    expect(ttl.getChild("required")).to.not.equal(undefined);
    expect(ttl.getChildren("option").map((o) => [o.attrs.label, o.getChildText("value")])).to.deep.equal([["One day", "1d"], [undefined, "1w"]]);
    const note = x.getChildren("field").find((f) => f.attrs.var === "note")!;
    expect(note.getChildren("value").map((v) => v.text())).to.deep.equal(["line one", "line two"]);
    expect(note.getChildText("desc")).to.equal("Shown to admins");
  });

  it("round-trips a form through XML", () => {
    const back = xmlToForm(formToXml(form));
    expect(back.type).to.equal("form");
    expect(back.title).to.equal(form.title);
    expect(back.instructions).to.equal(form.instructions);
    expect(back.fields.find((f) => f.var === "ttl")).to.deep.equal(form.fields[1]);
    expect(back.fields.find((f) => f.var === "roles")?.value).to.deep.equal(["a", "b"]);
    expect(back.fields.find((f) => f.var === "note")?.value).to.deep.equal(["line one", "line two"]);
  });

  it("renders a submitted form with values only", () => {
    const x = formToXml({ type: "submit", fields: [{ var: "ttl", type: "list-single", label: "Valid for", required: true, value: "1d", options: [{ value: "1d" }] }] });
    const field = x.getChild("field")!;
    expect(field.attrs).to.deep.equal({ var: "ttl" });
    expect(field.getChildren("option")).to.have.length(0);
    expect(field.getChild("required")).to.equal(undefined);
    expect(field.getChildText("value")).to.equal("1d");
  });

  it("reads submitted values: single values as strings, multi fields and repeated values as arrays", () => {
    const x = xml("x", { xmlns: NS_DATA, type: "submit" },
      xml("field", { var: "username" }, xml("value", {}, "alice")),
      xml("field", { var: "groups", type: "list-multi" }, xml("value", {}, "friends")),
      xml("field", { var: "jids" }, xml("value", {}, "a@x"), xml("value", {}, "b@x")),
      xml("field", { var: "empty" }));
    const values = formValues(xmlToForm(x));
    expect(values).to.deep.equal({ username: "alice", groups: ["friends"], jids: ["a@x", "b@x"] });
  });

  it("reads booleans as XEP-0004 §3.3 defines them", () => {
    expect(formBoolean("1")).to.equal(true);
    expect(formBoolean("true")).to.equal(true);
    expect(formBoolean("0")).to.equal(false);
    expect(formBoolean("false")).to.equal(false);
    expect(formBoolean(undefined)).to.equal(false);
    expect(formBoolean(["true"])).to.equal(true);
  });

  it("rejects malformed forms with a FormError naming the fault", () => {
    expect(() => xmlToForm(xml("x", { xmlns: NS_DATA, type: "bogus" }))).to.throw(FormError, /form type/);
    expect(() => xmlToForm(xml("x", { xmlns: NS_DATA, type: "submit" }, xml("field", {}, xml("value", {}, "v"))))).to.throw(FormError, /no var/);
    expect(() => xmlToForm(xml("x", { xmlns: NS_DATA, type: "submit" }, xml("field", { var: "a", type: "colour" })))).to.throw(FormError, /unknown type "colour"/);
  });
});
