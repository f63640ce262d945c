import { expect } from "chai";
import xml from "@xmpp/xml";
import { illegalInElement, illegalXmlChar, sanitizeElement, xmlSafe } from "../../core/xmpp/xml-chars.js";
import { PendingRequests } from "../../core/xmpp/pending.js";
import { XML_ILLEGAL } from "../reliability/inputs.js";


describe("XML 1.0 characters (core/xmpp/xml-chars.ts)", () => {
  it("finds NUL, other controls, U+FFFE, U+FFFF and lone surrogates, and names them", () => {
    for (const ch of XML_ILLEGAL) expect(illegalXmlChar(`a${ch}b`), JSON.stringify(ch)).to.match(/^U\+[0-9A-F]{4}$/);
    expect(illegalXmlChar("a\uffffb")).to.equal("U+FFFF");
    expect(illegalXmlChar("\ud800")).to.equal("U+D800");
  });

  it("lets through tab, newlines, every other plane-0 character and surrogate pairs", () => {
    for (const ok of ["\t\n\r", "é", "日本", "\u{1F600}", "\ufffd", "\ue000"]) expect(illegalXmlChar(ok), JSON.stringify(ok)).to.equal(undefined);
  });

  it("finds the first illegal character anywhere in an element, attributes included", () => {
    expect(illegalInElement(xml("iq", { to: "a\u0000" }))).to.deep.equal({ where: "iq/@to", char: "U+0000" });
    expect(illegalInElement(xml("iq", {}, xml("command", {}, xml("note", {}, "x\uffff"))))).to.deep.equal({ where: "iq/command/note/text()", char: "U+FFFF" });
    expect(illegalInElement(xml("iq", {}, xml("query", {}, "fine")))).to.equal(undefined);
  });

  it("replaces what XML cannot carry with U+FFFD when a text is only passed on", () => {
    expect(xmlSafe("a\uffffb\ud800c")).to.equal("a\ufffdb\ufffdc");
    const el = xml("error", { type: "modify" }, xml("text", {}, "bad \u0000 value"));
    sanitizeElement(el);
    expect(el.getChildText("text")).to.equal("bad \ufffd value");
  });
});

describe("answers to our requests (core/xmpp/pending.ts)", () => {
  it("takes an answer only from the JID the request went to", async () => {
    const p = new PendingRequests();
    const answered = p.add("id1", "Localhost");
    expect(p.answer(xml("iq", { type: "result", id: "id1", from: "mallory@localhost/x" }))).to.equal("ignored");
    expect(p.answer(xml("iq", { type: "result", id: "nope", from: "localhost" }))).to.equal("unknown");
    expect(p.answer(xml("iq", { type: "result", id: "id1", from: "localhost" }))).to.equal("settled");
    expect((await answered).attrs.from).to.equal("localhost");
    expect(p.size).to.equal(0);
  });
});
