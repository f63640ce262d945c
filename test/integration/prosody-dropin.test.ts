// The Prosody-compatible endpoint next to Prosody's own: Prosody 0.12 with mod_invites and
// mod_invites_api (prosody-modules) loaded on the test Prosody, a key made by prosodyctl, and
// the requests of mod_invites_api's README plus the query-string cases people's bookmarks and
// scripts carry, sent to both. Where the answers differ, it is a difference docs/invites-api.md
// lists (DIFFERENCES below), and both answers are asserted.
import { expect } from "chai";
import { request } from "node:http";
import { startProsody, type TestProsody } from "../harness/prosody.js";
import { startTestHost, type TestHost } from "../helpers/host.js";

interface Case { name: string; query: (key: string) => string; bearer?: boolean }

/** Requests both answer alike: the status, and a Location with 201 and 303. */
const SAME: Case[] = [
  { name: "README step 2: ?key=", query: (k) => `?key=${k}` },
  { name: "README: &redirect=true", query: (k) => `?key=${k}&redirect=true` },
  { name: "README: Authorization: Bearer (with a query string)", query: () => "?_=1", bearer: true },
  { name: "Bearer and ?redirect=true", query: () => "?redirect=true", bearer: true },
  { name: "a cache-buster &_=123", query: (k) => `?key=${k}&_=123` },
  { name: "utm_source, utm_medium", query: (k) => `?key=${k}&utm_source=newsletter&utm_medium=email` },
  { name: "an unknown parameter before the key", query: (k) => `?ref=home&key=${k}` },
  { name: "redirect=false", query: (k) => `?key=${k}&redirect=false` },
  { name: "redirect=0", query: (k) => `?key=${k}&redirect=0` },
  { name: "redirect=no", query: (k) => `?key=${k}&redirect=no` },
  { name: "redirect= (empty)", query: (k) => `?key=${k}&redirect=` },
  { name: "bare &redirect (no =)", query: (k) => `?key=${k}&redirect` },
  { name: "Redirect=true (another name)", query: (k) => `?key=${k}&Redirect=true` },
];

/** Where the two differ on purpose (docs/invites-api.md, "Differences"): [Prosody, here]. */
const DIFFERENCES: (Case & { prosody: number; here: number })[] = [
  { name: "Bearer without a query string", query: () => "", bearer: true, prosody: 500, here: 201 },
  { name: "a wrong key", query: (k) => `?key=${k}x`, prosody: 403, here: 401 },
  { name: "redirect given twice", query: (k) => `?key=${k}&redirect=1&redirect=1`, prosody: 303, here: 400 },
];

describe("the /invites_api drop-in next to Prosody's mod_invites_api (real Prosody 0.12)", function () {
  this.timeout(60_000);
  let prosody: TestProsody;
  let t: TestHost;
  let prosodyKey: string, ourKey: string;

  before(async () => {
    prosody = await startProsody({ privilege: false, modules: ["http", "invites", "invites_api"] });
    prosodyKey = (await prosody.ctl(["mod_invites_api", "create", "localhost", "compare"])).trim().split("\n").pop()!.trim();
    expect(prosodyKey).to.match(/^[^/\s]+\/\S+$/);
    t = await startTestHost({ enabled: ["invites", "invites_api"], store: "sqlite", http: true, options: { invites_api_rate_limit: "1000/minute", invites_api_rate_burst: 1000 } });
    const made = await t.runCtl(["mod_invites_api", "create", "localhost", "compare"]);
    ourKey = made.stdout.trim();
  });
  after(async () => {
    await t?.stop();
    await prosody?.destroy();
  });

  /** node:http rather than fetch, which drops the Host header Prosody picks the virtual host by. */
  const ask = (where: "prosody" | "here", c: Case) => new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
    const key = where === "prosody" ? prosodyKey : ourKey;
    const port = where === "prosody" ? prosody.httpPort : Number(new URL(t.baseUrl).port);
    const req = request({ host: "127.0.0.1", port, path: `/invites_api${c.query(key)}`, headers: { Host: "localhost", ...(c.bearer ? { Authorization: `Bearer ${key}` } : {}) } }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
    });
    req.on("error", reject);
    req.end();
  });

  for (const c of SAME) {
    it(`${c.name}: the same answer`, async () => {
      const [theirs, ours] = [await ask("prosody", c), await ask("here", c)];
      expect(ours.status, "here").to.equal(theirs.status);
      expect([201, 303]).to.include(theirs.status);
      expect(theirs.location, "Prosody's Location").to.match(/^xmpp:localhost\?register;preauth=/);
      expect(ours.location, "our Location").to.match(/^xmpp:localhost\?register;preauth=/);
    });
  }

  for (const c of DIFFERENCES) {
    it(`${c.name}: Prosody ${c.prosody}, here ${c.here} (a listed difference)`, async () => {
      expect((await ask("prosody", c)).status, "Prosody").to.equal(c.prosody);
      expect((await ask("here", c)).status, "here").to.equal(c.here);
    });
  }
});
