// The Prosody-compatible endpoint and the key ctl, against a listening host with a SQLite store.
import { expect } from "chai";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startTestHost, type TestHost } from "../helpers/host.js";
import type { InvitesApi } from "../../modules/invites/types.js";
import type { KeyStore } from "../../modules/invites_api/keys.js";
import { defineModule } from "../../core/types.js";

/** Records the invite events in the order they are fired. */
const fired: string[] = [];
const watcher = defineModule({
  name: "watcher",
  dependencies: ["invites"],
  setup(mod) {
    for (const e of ["invite-created", "invite-extended", "invite-revoked"] as const) mod.hook(e, () => { fired.push(e); });
  },
});

const HIGH_LIMITS = { invites_api_rate_limit: "100000/minute", invites_api_rate_burst: 100000, invites_api_auth_failure_limit: "100000/minute", invites_api_auth_failure_burst: 100000 };

async function makeKey(t: TestHost, ...args: string[]): Promise<string> {
  const r = await t.runCtl(["mod_invites_api", "create", "localhost", ...args]);
  expect(r.code, r.stderr).to.equal(0);
  return r.stdout.trim();
}

describe("invites_api: Prosody-compatible endpoint (module)", function () {
  let t: TestHost;
  let url: string;
  before(async () => {
    t = await startTestHost({ modules: [watcher], enabled: ["invites", "invites_api", "watcher"], store: "sqlite", http: true, options: HIGH_LIMITS });
    url = `${t.baseUrl}invites_api`;
  });
  after(async () => { await t.stop(); });

  it("Bearer key without a query string: 201 and Location is the invite's xmpp: URI", async () => {
    const key = await makeKey(t, "bot");
    const res = await fetch(url, { headers: { Authorization: `Bearer ${key}` } });
    expect(res.status).to.equal(201);
    const location = res.headers.get("location")!;
    expect(location).to.match(/^xmpp:localhost\?register;preauth=[A-Za-z0-9_-]+$/);
    const token = location.split("preauth=")[1]!;
    const invite = await t.api<InvitesApi>("invites").get(token);
    expect(invite?.type).to.equal("account");
    expect(invite?.source).to.equal(`api/key/${key.split("/")[0]}`);
  });

  it("?key= in the query: 201 (GET and POST)", async () => {
    const key = await makeKey(t);
    expect((await fetch(`${url}?key=${key}`)).status).to.equal(201);
    expect((await fetch(`${url}?key=${key}`, { method: "POST" })).status).to.equal(201);
  });

  it("&redirect=true: 303 See Other to the same place", async () => {
    const key = await makeKey(t);
    const res = await fetch(`${url}?key=${key}&redirect=true`, { redirect: "manual" });
    expect(res.status).to.equal(303);
    expect(res.headers.get("location")).to.match(/^xmpp:localhost\?register;preauth=/);
  });

  it("no key or a wrong key: 401 with WWW-Authenticate: Bearer", async () => {
    const key = await makeKey(t);
    for (const init of [{}, { headers: { Authorization: `Bearer ${key}x` } }, { headers: { Authorization: "Bearer nosuchid/secret" } }]) {
      const res = await fetch(url, init);
      expect(res.status, await res.clone().text()).to.equal(401);
      expect(res.headers.get("www-authenticate")).to.match(/^Bearer realm="invites_api"/);
      expect(((await res.json()) as { error: string }).error).to.match(/^invites_api\.(no_key|bad_key)$/);
    }
  });

  it("a key deleted with the ctl stops working at once: 401", async () => {
    const key = await makeKey(t);
    expect((await fetch(`${url}?key=${key}`)).status).to.equal(201);
    const del = await t.runCtl(["mod_invites_api", "delete", "localhost", key.split("/")[0]!]);
    expect(del.code).to.equal(0);
    expect((await fetch(`${url}?key=${key}`)).status).to.equal(401);
  });

  it("a valid key outside its scope: 403 naming the bound", async () => {
    const key = await makeKey(t, "--max-uses", "5");
    const ok = await fetch(`${url}?key=${key}&uses=5`);
    expect(ok.status).to.equal(201);
    const tooMany = await fetch(`${url}?key=${key}&uses=6`);
    expect(tooMany.status).to.equal(403);
    expect(((await tooMany.json()) as { message: string }).message).to.contain("at most 5");
    const wrongType = await fetch(`${url}?key=${key}&type=reset&username=alice`);
    expect(wrongType.status).to.equal(403);
    const listOnly = await makeKey(t, "--scope", "list");
    expect((await fetch(`${url}?key=${listOnly}`)).status).to.equal(403);
  });

  it("a method the key does not allow: 405", async () => {
    const key = await makeKey(t, "--methods", "POST");
    const res = await fetch(`${url}?key=${key}`);
    expect(res.status).to.equal(405);
    expect(res.headers.get("allow")).to.equal("POST");
    expect((await fetch(`${url}?key=${key}`, { method: "POST" })).status).to.equal(201);
  });

  it("optional parameters within scope shape the invite", async () => {
    const key = await makeKey(t, "--max-uses", "10", "--max-expiry", "2d", "--groups", "friends");
    const res = await fetch(`${url}?key=${key}&uses=3&expires-after=1d&username=alice&groups=friends&note=From%20the%20shop`);
    expect(res.status).to.equal(201);
    const invite = await t.api<InvitesApi>("invites").get(res.headers.get("location")!.split("preauth=")[1]!);
    expect(invite).to.include({ usesAllowed: 3, username: "alice", note: "From the shop" });
    expect(invite!.groups).to.deep.equal(["friends"]);
    expect(invite!.expiresAt - invite!.createdAt).to.be.within(86_400_000 - 5_000, 86_400_000 + 5_000);
  });

  it("a key's max-expiry caps the default invite lifetime, in the one write that creates it", async () => {
    const key = await makeKey(t, "--max-expiry", "1h");
    fired.length = 0;
    const res = await fetch(`${url}?key=${key}`);
    const invite = await t.api<InvitesApi>("invites").get(res.headers.get("location")!.split("preauth=")[1]!);
    expect(invite!.expiresAt - invite!.createdAt).to.be.at.most(3_600_000 + 5_000);
    // Created with its final expiry: no update (and no invite-extended) right after.
    expect(fired).to.deep.equal(["invite-created"]);
  });

  it("a repeated parameter is a 400 naming it; an unknown one is ignored, as Prosody does", async () => {
    const key = await makeKey(t);
    const rep = await fetch(`${url}?key=${key}&uses=1&uses=2`);
    expect(rep.status).to.equal(400);
    expect((await rep.json()) as object).to.deep.include({ error: "invites_api.repeated_parameter", detail: { parameter: "uses" } });
    const unk = await fetch(`${url}?key=${key}&colour=red&_=123`, { redirect: "manual" });
    expect(unk.status).to.equal(201);
    // The JSON API stays strict: it is not Prosody's.
    const v1 = await fetch(`${url}/v1/invites?colour=red`, { headers: { Authorization: `Bearer ${key}` } });
    expect(v1.status).to.equal(400);
    expect(((await v1.json()) as { message: string }).message).to.contain("\"colour\"");
  });

  it("answers CORS preflight as Prosody does, and sends CORS headers on answers", async () => {
    const pre = await fetch(url, { method: "OPTIONS", headers: { Origin: "https://tool.example", "Access-Control-Request-Method": "POST" } });
    expect(pre.status).to.equal(204);
    expect(pre.headers.get("access-control-allow-origin")).to.equal("*");
    expect(pre.headers.get("access-control-allow-methods")).to.contain("POST");
    expect(pre.headers.get("access-control-allow-headers")).to.contain("Authorization");
    expect(pre.headers.get("access-control-max-age")).to.equal("7200");
    const res = await fetch(url, { headers: { Origin: "https://tool.example" } });
    expect(res.headers.get("access-control-allow-origin")).to.equal("*");
  });
});

describe("invites_api: key ctl and storage (module)", function () {
  let t: TestHost;
  before(async () => { t = await startTestHost({ enabled: ["invites", "invites_api"], store: "sqlite", http: true, options: HIGH_LIMITS }); });
  after(async () => { await t.stop(); });

  it("create prints ID/SECRET once; list prints ID and NAME per line; --json adds times and scope", async () => {
    const c = await t.runCtl(["mod_invites_api", "create", "localhost", "Shop bot", "--scope", "create,list", "--types", "account,contact", "--max-uses", "10", "--max-expiry", "30d", "--expires-after", "90d"]);
    expect(c.code).to.equal(0);
    expect(c.stdout).to.match(/^[A-Za-z0-9_-]{12}\/[A-Za-z0-9_-]{43}\n$/);
    const id = c.stdout.split("/")[0]!;
    const plain = await t.runCtl(["mod_invites_api", "list", "localhost"]);
    expect(plain.code).to.equal(0);
    expect(plain.stdout.split("\n")).to.include(`${id}\tShop bot`);
    expect(plain.stdout).not.to.contain(c.stdout.trim().split("/")[1]!);
    await fetch(`${t.baseUrl}invites_api`, { headers: { Authorization: `Bearer ${c.stdout.trim()}` } });
    const json = JSON.parse((await t.runCtl(["mod_invites_api", "list", "localhost", "--json"])).stdout) as Record<string, unknown>[];
    const row = json.find((r) => r["id"] === id)!;
    expect(row["name"]).to.equal("Shop bot");
    expect(row["created_at"]).to.be.a("string");
    expect(row["last_used_at"]).to.be.a("string");
    expect(Date.parse(String(row["expires_at"])) - Date.now()).to.be.closeTo(90 * 86_400_000, 60_000);
    expect(row["scope"]).to.equal("create,list types=account,contact max-uses=10 max-expiry=4w2d");
  });

  it("delete of an unknown id exits 1 with \"key not found\"", async () => {
    const r = await t.runCtl(["mod_invites_api", "delete", "localhost", "nosuchkeyid"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain("key not found");
  });

  it("delete removes the key from the list", async () => {
    const key = await makeKey(t, "temp");
    const id = key.split("/")[0]!;
    expect((await t.runCtl(["mod_invites_api", "delete", "localhost", id])).code).to.equal(0);
    expect((await t.runCtl(["mod_invites_api", "list", "localhost"])).stdout).not.to.contain(id);
  });

  it("an unknown host is refused", async () => {
    const r = await t.runCtl(["mod_invites_api", "create", "elsewhere.example"]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.contain("valid host");
  });

  it("the stored key holds no usable secret: only SHA-256 of it, and the database file never contains it", async () => {
    const key = await makeKey(t, "stored");
    const [id, secret] = key.split("/") as [string, string];
    const raw = await t.api<{ keys: KeyStore }>("invites_api").keys.get(id);
    expect(raw).to.not.equal(undefined);
    expect(JSON.stringify(raw)).not.to.contain(secret);
    expect(raw!.secretHash).to.equal(createHash("sha256").update(secret).digest("hex"));
    for (const file of ["invites.sqlite", "invites.sqlite-wal"].map((f) => join(t.dataDir, f)).filter((f) => existsSync(f))) {
      expect(readFileSync(file).includes(Buffer.from(secret)), file).to.equal(false);
    }
    // What is stored does not work as a key.
    const res = await fetch(`${t.baseUrl}invites_api?key=${id}/${raw!.secretHash}`);
    expect(res.status).to.equal(401);
  });

  it("an expired key: 401", async () => {
    const key = await makeKey(t, "--expires-after", "1s");
    t.clock.advance(1100);
    const res = await fetch(`${t.baseUrl}invites_api?key=${key}`);
    expect(res.status).to.equal(401);
    expect(((await res.json()) as { error: string }).error).to.equal("invites_api.key_expired");
  });
});

describe("invites_api: rate limits (module)", function () {
  let t: TestHost;
  before(async () => {
    t = await startTestHost({
      enabled: ["invites", "invites_api"], store: "sqlite", http: true,
      options: { invites_api_rate_limit: "2/hour", invites_api_rate_burst: 2, invites_api_auth_failure_limit: "3/hour", invites_api_auth_failure_burst: 3 },
    });
  });
  after(async () => { await t.stop(); });

  it("a key over its rate: 429 with Retry-After", async () => {
    const key = await makeKey(t);
    expect((await fetch(`${t.baseUrl}invites_api?key=${key}`)).status).to.equal(201);
    expect((await fetch(`${t.baseUrl}invites_api?key=${key}`)).status).to.equal(201);
    const res = await fetch(`${t.baseUrl}invites_api?key=${key}`);
    expect(res.status).to.equal(429);
    expect(Number(res.headers.get("retry-after"))).to.be.greaterThan(0);
    expect(((await res.json()) as { error: string }).error).to.equal("invites_api.rate_limited");
  });

  it("failed authentication from one address: 429 after the burst, yet a right key from there still works", async () => {
    const good = await makeKey(t, "other");
    for (let i = 0; i < 3; i++) expect((await fetch(`${t.baseUrl}invites_api?key=guess/guess${i}`)).status).to.equal(401);
    const res = await fetch(`${t.baseUrl}invites_api?key=guess/guess4`);
    expect(res.status).to.equal(429);
    expect(res.headers.get("retry-after")).to.match(/^\d+$/);
    expect(((await res.json()) as { error: string }).error).to.equal("invites_api.auth_rate_limited");
    expect((await fetch(`${t.baseUrl}invites_api?key=${good}`)).status, "failures from an address never lock a valid key out").to.equal(201);
  });
});
