import { expect } from "chai";
import { CODE_ALPHABET, formatCode, newCode, normalizeCode } from "../../modules/invites/codes.js";
import { hashToken, newId, newToken, looksLikeToken } from "../../modules/invites/tokens.js";

describe("invites: tokens", () => {
  it("makes base64url tokens of at least 128 bits", () => {
    const token = newToken();
    expect(token).to.match(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(token, "base64url").length * 8).to.be.at.least(128);
    expect(looksLikeToken(token)).to.equal(true);
  });

  it("never repeats a token in 10,000 draws", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 10_000; i++) seen.add(newToken());
    expect(seen.size).to.equal(10_000);
  });

  it("hashes a token to 64 hex characters of SHA-256", () => {
    expect(hashToken("abc")).to.equal("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  });

  it("never starts a token or an id with - or _, which the ctl command line would read as a flag", () => {
    for (let i = 0; i < 2000; i++) {
      expect(newToken()).to.match(/^[A-Za-z0-9][A-Za-z0-9_-]{23}$/);
      expect(newId()).to.match(/^[A-Za-z0-9][A-Za-z0-9_-]{11}$/);
    }
  });

  it("makes 12-character ids that do not look like tokens", () => {
    const id = newId();
    expect(id).to.have.length(12);
    expect(looksLikeToken(id)).to.equal(false);
  });
});

describe("invites: short codes", () => {
  it("uses an alphabet without look-alikes", () => {
    for (const ch of "0O1Il") expect(CODE_ALPHABET).not.to.include(ch);
    expect(new Set(CODE_ALPHABET).size).to.equal(32);
  });

  it("draws codes of the asked length from the alphabet only", () => {
    for (const len of [6, 7, 8]) {
      for (let i = 0; i < 200; i++) {
        const code = newCode(len);
        expect(code).to.have.length(len);
        for (const ch of code) expect(CODE_ALPHABET).to.include(ch);
      }
    }
    expect(() => newCode(5)).to.throw(RangeError);
    expect(() => newCode(9)).to.throw(RangeError);
  });

  it("normalizes what a person types and refuses look-alikes", () => {
    expect(normalizeCode("abcd-efgh")).to.equal("ABCDEFGH");
    expect(normalizeCode(" ab cd ef ")).to.equal("ABCDEF");
    expect(normalizeCode("ABCD0EFG")).to.equal(undefined);
    expect(normalizeCode("ABC")).to.equal(undefined);
  });

  it("groups a code in two halves for reading aloud", () => {
    expect(formatCode("ABCDEFGH")).to.equal("ABCD-EFGH");
    expect(formatCode("ABCDEFG")).to.equal("ABCD-EFG");
  });
});
