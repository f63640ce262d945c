// The greeting's codes (modules/invites_greeting/sas.ts): both sides derive the same pair from
// their own private key and the other's public key; any change to the transcript changes them;
// nobody with only the public parts gets them; the commitment binds the greeter's nonce.
import { expect } from "chai";
import { choicesFor, CODE_ALPHABET, commitment, deriveCodes, newKeyPair, newNonce, normalizeCode, publicOf, sharedSecret, type Transcript } from "../../modules/invites_greeting/sas.js";

function exchange() {
  const greeter = newKeyPair();
  const claimer = newKeyPair();
  const greeterNonce = newNonce();
  const t: Transcript = {
    inviteId: "inv123456789", attempt: "att-1", greeterKey: greeter.publicKey, claimerKey: claimer.publicKey,
    commitment: commitment(greeterNonce), claimerNonce: newNonce(), greeterNonce,
  };
  return { greeter, claimer, t };
}

describe("greeting codes", () => {
  it("are the same on both sides: each side's private key with the other's public key", () => {
    for (let i = 0; i < 20; i++) {
      const { greeter, claimer, t } = exchange();
      const g = deriveCodes(sharedSecret(greeter.privateKey, claimer.publicKey), t);
      const c = deriveCodes(sharedSecret(claimer.privateKey, greeter.publicKey), t);
      expect(g).to.deep.equal(c);
      expect(g.greeter).to.match(/^[A-HJ-NP-Z2-9]{4}$/);
      expect(g.claimer).to.match(/^[A-HJ-NP-Z2-9]{4}$/);
    }
  });

  it("are pinned for fixed inputs (the derivation cannot change unnoticed)", () => {
    // RFC 7748 §6.1 test keys (little-endian scalars and u-coordinates), base64url.
    const alicePriv = Buffer.from("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", "hex").toString("base64url");
    const bobPub = Buffer.from("de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f", "hex").toString("base64url");
    const shared = sharedSecret(alicePriv, bobPub);
    expect(shared.toString("hex")).to.equal("4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
    expect(publicOf(alicePriv)).to.equal(Buffer.from("8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a", "hex").toString("base64url"));
    const t: Transcript = { inviteId: "i", attempt: "a", greeterKey: publicOf(alicePriv), claimerKey: bobPub, commitment: commitment("n".repeat(43)), claimerNonce: "c".repeat(43), greeterNonce: "n".repeat(43) };
    expect(deriveCodes(shared, t)).to.deep.equal(PINNED);
  });

  for (const field of ["inviteId", "attempt", "greeterKey", "claimerKey", "commitment", "claimerNonce", "greeterNonce"] as const) {
    it(`change when the transcript's ${field} changes`, () => {
      const { greeter, claimer, t } = exchange();
      const shared = sharedSecret(greeter.privateKey, claimer.publicKey);
      const before = deriveCodes(shared, t);
      const changed = { ...t, [field]: field.endsWith("Key") ? newKeyPair().publicKey : field.endsWith("Nonce") ? newNonce() : `${t[field]}x` };
      const after = deriveCodes(shared, changed);
      // 40 bits: a collision of both codes would be a 1-in-a-trillion accident.
      expect(after).to.not.deep.equal(before);
    });
  }

  it("cannot be computed from the public parts alone: a third key pair gets other codes", () => {
    const { greeter, claimer, t } = exchange();
    const right = deriveCodes(sharedSecret(greeter.privateKey, claimer.publicKey), t);
    const eve = newKeyPair();
    expect(deriveCodes(sharedSecret(eve.privateKey, claimer.publicKey), t)).to.not.deep.equal(right);
    expect(deriveCodes(sharedSecret(eve.privateKey, greeter.publicKey), t)).to.not.deep.equal(right);
  });

  it("refuse a peer key of low order (an all-zero shared secret)", () => {
    expect(() => sharedSecret(newKeyPair().privateKey, Buffer.alloc(32).toString("base64url"))).to.throw(/not usable/);
  });

  it("bind the greeter to its nonce: another nonce has another commitment", () => {
    const n = newNonce();
    expect(commitment(n)).to.equal(commitment(n));
    expect(commitment(newNonce())).to.not.equal(commitment(n));
  });

  it("are offered among four distinct choices that include the right one", () => {
    for (let i = 0; i < 50; i++) {
      const right = "AB2C";
      const choices = choicesFor(right);
      expect(choices).to.have.length(4).and.include(right);
      expect(new Set(choices).size).to.equal(4);
      for (const c of choices) expect([...c].every((ch) => CODE_ALPHABET.includes(ch))).to.equal(true);
    }
  });

  it("read what a person types, case and spaces aside", () => {
    expect(normalizeCode(" ab 2c")).to.equal("AB2C");
    expect(normalizeCode("AB0C")).to.equal(undefined);
    expect(normalizeCode("ABC")).to.equal(undefined);
  });
});

// Computed once by this implementation (the X25519 part is checked against RFC 7748 above).
const PINNED = { greeter: "EZ8Z", claimer: "CP6L" };
