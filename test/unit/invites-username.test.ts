import { expect } from "chai";
import { checkUsername } from "../../modules/invites/username.js";

const ok = (input: string) => {
  const r = checkUsername(input);
  if (!r.ok) throw new Error(`expected ${JSON.stringify(input)} to pass: ${r.reason}`);
  return r.username;
};
const reason = (input: string, maxLength?: number) => {
  const r = checkUsername(input, maxLength === undefined ? {} : { maxLength });
  if (r.ok) throw new Error(`expected ${JSON.stringify(input)} to be refused`);
  return r.reason;
};

describe("invites: checkUsername (PRECIS UsernameCaseMapped, RFC 7622 localparts)", () => {
  it("case-maps and keeps ordinary names", () => {
    expect(ok("Alice")).to.equal("alice");
    expect(ok("juliet.capulet_2")).to.equal("juliet.capulet_2");
    expect(ok("ΣΑΣ")).to.equal("σας");
  });

  it("maps fullwidth letters to their ASCII forms", () => {
    expect(ok("ＡＢＣ")).to.equal("abc");
  });

  it("normalizes to NFC", () => {
    expect(ok("e\u0301lise")).to.equal("\u00e9lise");
  });

  it("accepts letters of other scripts", () => {
    expect(ok("żółw")).to.equal("żółw");
    expect(ok("日本語")).to.equal("日本語");
    expect(ok("שלום")).to.equal("שלום");
  });

  it("refuses the characters RFC 7622 excludes, naming them", () => {
    for (const ch of ['"', "&", "'", "/", ":", "<", ">", "@"]) {
      expect(reason(`a${ch}b`)).to.include(`"${ch}"`);
    }
  });

  it("refuses spaces, control characters and invisible characters", () => {
    expect(reason("a b")).to.include("spaces");
    expect(reason("a\u00a0b")).to.match(/compatibility/);
    expect(reason("a\tb")).to.include("control");
    expect(reason("a\u200bb")).to.include("invisible");
  });

  it("refuses symbols that nodeprep would allow", () => {
    expect(reason("snow☃man")).to.include("symbol");
  });

  it("refuses an empty name", () => {
    expect(reason("")).to.include("empty");
  });

  it("refuses mixing right-to-left and left-to-right letters", () => {
    expect(reason("abcשלום")).to.match(/right-to-left/);
  });

  it("limits length in bytes (1023) and optionally in characters", () => {
    expect(ok("a".repeat(1023))).to.have.length(1023);
    expect(reason("a".repeat(1024))).to.include("1023 bytes");
    expect(reason("abcdef", 5)).to.include("5 characters");
  });

  it("refuses names that mix scripts (UTS #39), so that no name passes for another", () => {
    expect(reason("\u0430lice")).to.include("mixes Cyrillic and Latin letters");
    expect(reason("pаypal")).to.include("Cyrillic");
    expect(reason("ΑΒcd")).to.include("Greek");
    // One script, with digits and punctuation, or the mixes Japanese, Chinese and Korean use.
    expect(ok("алиса_2")).to.equal("алиса_2");
    expect(ok("tokyo東京とうきょうトウキョウ")).to.equal("tokyo東京とうきょうトウキョウ");
    expect(ok("seoul서울")).to.equal("seoul서울");
    expect(ok("ΣΑΣ.99")).to.equal("σας.99");
  });
});
