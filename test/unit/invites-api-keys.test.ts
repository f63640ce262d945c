import { expect } from "chai";
import { hashSecret, newKey, parsePresented, secretMatches } from "../../modules/invites_api/keys.js";
import { presentedKey } from "../../modules/invites_api/auth.js";
import { parseQuery } from "../../modules/invites_api/params.js";
import { DEFAULT_SCOPE } from "../../modules/invites_api/scope.js";

const code = (fn: () => unknown) => { try { fn(); return "ok"; } catch (e) { return (e as { code: string }).code; } };

describe("invites_api keys and request parsing (unit)", () => {
  it("makes ID/SECRET with a 256-bit secret and stores only its SHA-256", () => {
    const { key, presented } = newKey({ host: "localhost", name: null, expiresAt: null, methods: ["GET"], scope: DEFAULT_SCOPE });
    const [id, secret] = presented.split("/") as [string, string];
    expect(id).to.equal(key.id);
    expect(Buffer.from(secret, "base64url").length).to.equal(32);
    expect(JSON.stringify(key)).not.to.contain(secret);
    expect(key.secretHash).to.equal(hashSecret(secret).toString("hex"));
    expect(secretMatches(key, secret)).to.equal(true);
    expect(secretMatches(key, `${secret}x`)).to.equal(false);
    expect(secretMatches(key, key.secretHash)).to.equal(false);
    expect(secretMatches(undefined, secret)).to.equal(false);
  });

  it("parses presented keys and refuses malformed or overlong ones with a reason", () => {
    expect(parsePresented("abc/def")).to.deep.equal({ ok: true, id: "abc", secret: "def" });
    for (const bad of ["abc", "/def", "abc/", "a b/c", "abc/d/e", "abc/\u00ff", `abc/${"x".repeat(300)}`]) {
      const r = parsePresented(bad);
      expect(r.ok, bad).to.equal(false);
    }
    expect(parsePresented(`a/${"x".repeat(300)}`)).to.deep.include({ reason: "The API key is too long (at most 256 characters)" });
  });

  it("reads the Authorization header (RFC 6750 Bearer, case-insensitive scheme)", () => {
    expect(presentedKey("Bearer a/b", undefined)).to.equal("a/b");
    expect(presentedKey("bearer a/b", undefined)).to.equal("a/b");
    expect(presentedKey(undefined, "a/b")).to.equal("a/b");
    expect(presentedKey(undefined, undefined)).to.equal(undefined);
    expect(code(() => presentedKey("Basic xyz", undefined))).to.equal("invites_api.bad_key");
    expect(code(() => presentedKey("Bearer", undefined))).to.equal("invites_api.bad_key");
    expect(code(() => presentedKey("Bearer a/b", "a/b"))).to.equal("invites_api.bad_request");
  });

  it("parses query strings strictly: unknown, repeated and badly encoded parameters are named", () => {
    expect(parseQuery("", ["a"])).to.deep.equal({});
    expect({ ...parseQuery("a=1&b=x%20y+z&c", ["a", "b", "c"]) }).to.deep.equal({ a: "1", b: "x y z", c: "" });
    expect(code(() => parseQuery("a=1&a=2", ["a"]))).to.equal("invites_api.repeated_parameter");
    expect(code(() => parseQuery("zz=1", ["a"]))).to.equal("invites_api.unknown_parameter");
    expect(code(() => parseQuery("a=%FF", ["a"]))).to.equal("invites_api.bad_parameter");
    expect(code(() => parseQuery("a=%zz", ["a"]))).to.equal("invites_api.bad_parameter");
    expect(code(() => parseQuery("%C3%28=1", ["a"]))).to.equal("invites_api.bad_parameter");
    expect(code(() => parseQuery("__proto__=1", ["a"]))).to.equal("invites_api.unknown_parameter");
  });

  it("reads a query as Prosody's formdecode does with { prosody: true }: unknown names and parts without = are no parameters", () => {
    expect({ ...parseQuery("key=k&_=123&utm_source=x&%FF=1&redirect", ["key", "redirect"], { prosody: true }) }).to.deep.equal({ key: "k" });
    expect({ ...parseQuery("redirect=&key=k", ["key", "redirect"], { prosody: true }) }).to.deep.equal({ redirect: "", key: "k" });
    // Known names are still read strictly.
    expect(code(() => parseQuery("redirect=1&redirect=0", ["redirect"], { prosody: true }))).to.equal("invites_api.repeated_parameter");
    expect(code(() => parseQuery("key=%FF", ["key"], { prosody: true }))).to.equal("invites_api.bad_parameter");
  });
});

describe("invites_api key ids (unit)", () => {
  it("never start with - or _ (they would read as flags on the ctl command line)", () => {
    for (let i = 0; i < 2000; i++) {
      const { key } = newKey({ host: "h", name: null, expiresAt: null, methods: ["GET"], scope: DEFAULT_SCOPE });
      expect(key.id).to.match(/^[A-Za-z0-9][A-Za-z0-9_-]{11}$/);
    }
  });
});
