// Rate limits through HTTP (issue 10 item 9): client addresses from X-Forwarded-For (with
// http.trust_proxy), IPv6 grouped by /64, API key failures counted per address and per key id
// separately, and on PostgreSQL one count shared by every instance.
import { expect } from "chai";
import { startTestHost, type TestHost } from "../helpers/host.js";

const from = (ip: string) => ({ headers: { "X-Forwarded-For": ip } });
const proxied = { http: { listen: "127.0.0.1:0", trust_proxy: true } };

async function makeKey(t: TestHost, name: string): Promise<string> {
  const r = await t.runCtl(["mod_invites_api", "create", "localhost", name]);
  expect(r.code, r.stderr).to.equal(0);
  return r.stdout.trim();
}

describe("rate limits: API key failures", () => {
  let t: TestHost;
  before(async () => {
    t = await startTestHost({ enabled: ["invites", "invites_api"], http: true, config: proxied, options: { invites_api_auth_failure_limit: "3/hour", invites_api_auth_failure_burst: 3 } });
  });
  after(async () => { await t.stop(); });
  const call = (key: string, ip: string) => fetch(`${t.baseUrl}invites_api?key=${key}`, from(ip)).then((r) => r.status);

  it("never lets junk from an address lock out a valid key from it", async () => {
    const good = await makeKey(t, "good");
    for (let i = 0; i < 3; i++) expect(await call(`AAAAAAAAAAAA/guess${i}`, "198.51.100.1")).to.equal(401);
    expect(await call("AAAAAAAAAAAA/guess9", "198.51.100.1")).to.equal(429);
    expect(await call(good, "198.51.100.1")).to.equal(201);
  });

  it("limits wrong secrets per key id from an address: that key from there is refused unchecked, from elsewhere it works", async () => {
    const target = await makeKey(t, "target");
    const other = await makeKey(t, "other");
    const [id] = target.split("/") as [string];
    for (let i = 0; i < 3; i++) expect(await call(`${id}/wrongsecret${i}`, "198.51.100.2")).to.equal(401);
    expect(await call(`${id}/wrongsecret9`, "198.51.100.2")).to.equal(429);
    expect(await call(target, "198.51.100.2"), "its secret is not checked from the guessing address").to.equal(429);
    expect(await call(target, "198.51.100.3")).to.equal(201);
    expect(await call(other, "198.51.100.2")).to.equal(201);
  });

  it("counts an IPv6 /64 as one address", async () => {
    for (let i = 1; i <= 3; i++) expect(await call(`BBBBBBBBBBBB/guess${i}`, `2001:db8:5:6::${i}`)).to.equal(401);
    expect(await call("BBBBBBBBBBBB/guess4", "2001:db8:5:6:ffff::4"), "another address of the same /64").to.equal(429);
    expect(await call("BBBBBBBBBBBB/guess5", "2001:db8:5:7::1"), "the next /64").to.equal(401);
  });
});

describe("rate limits: landing page lookups", () => {
  it("counts every address of one IPv6 /64 together", async () => {
    const t = await startTestHost({ enabled: ["invites", "invites_page"], http: true, config: proxied, options: { invites_page_rate_limit: 3 } });
    try {
      const get = (ip: string) => fetch(`${t.baseUrl}invites_page?AAAAAAAAAAAAAAAAAAAAAAAA`, from(ip)).then((r) => r.status);
      for (let i = 1; i <= 3; i++) expect(await get(`2001:db8:9:9::${i}`)).to.equal(404);
      expect(await get("2001:db8:9:9::abcd")).to.equal(429);
      expect(await get("2001:db8:9:a::1")).to.equal(404);
    } finally { await t.stop(); }
  });
});

describe("rate limits on PostgreSQL: shared by every instance", () => {
  it("two instances on one database count one allowance, not two", async () => {
    const a = await startTestHost({ enabled: ["invites", "invites_page"], http: true, config: proxied, store: "postgres", options: { invites_page_rate_limit: 4 } });
    const b = await startTestHost({ enabled: ["invites", "invites_page"], http: true, config: proxied, store: a.host.config.store, options: { invites_page_rate_limit: 4 } });
    try {
      const get = (t: TestHost) => fetch(`${t.baseUrl}invites_page?AAAAAAAAAAAAAAAAAAAAAAAA`, from("192.0.2.7")).then((r) => r.status);
      const answers = [await get(a), await get(b), await get(a), await get(b), await get(a), await get(b)];
      expect(answers).to.deep.equal([404, 404, 404, 404, 429, 429]);
    } finally { await b.stop(); await a.stop(); }
  });
});
