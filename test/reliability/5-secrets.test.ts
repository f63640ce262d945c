// Case 5, secrets: tokens from a CSPRNG with at least 128 bits (the bytes crypto.randomBytes
// returned are the token); the raw SQLite file holds hashes, not tokens or API secrets;
// comparisons of presented secrets go through crypto.timingSafeEqual (observed);
// guessing tokens, short codes or keys from one address is rate-limited (measured, with the
// default limits); and no token, API secret or password the suite used reached any server
// log of this run. Runs last, so that the log check covers the other cases' servers too.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { request } from "node:http";
import type { TestProsody } from "../harness/prosody.js";
import { watchCrypto } from "../helpers/crypto-spy.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import type { InvitesApi } from "../../modules/invites/types.js";
import { dbFiles, figures, logFiles, report, secretsUsed, startServer, startSuiteProsody, type ServerProcess } from "./server.js";
import { createInvite, newPassword, openForm } from "./web.js";
import { openStream, preauth, type StanzaRefusal } from "../harness/xmpp-stream.js";

/** N requests from one loopback address; returns how many were not refused with 429. */
async function allowed(baseUrl: string, from: string, n: number, make: (i: number) => { method: string; path: string; body?: string; headers?: Record<string, string> }): Promise<number> {
  const url = new URL(baseUrl);
  let ok = 0;
  for (let i = 0; i < n; i++) {
    const r = make(i);
    const status = await new Promise<number>((resolve, reject) => {
      const headers = { ...r.headers, ...(r.body === undefined ? {} : { "content-length": String(Buffer.byteLength(r.body)) }) };
      const req = request({ host: url.hostname, port: url.port, method: r.method, path: r.path, headers, localAddress: from }, (res) => { res.resume(); res.on("end", () => resolve(res.statusCode ?? 0)); });
      req.on("error", reject);
      req.end(r.body);
    });
    expect(status, `${r.method} ${r.path}`).to.be.below(500);
    if (status !== 429) ok++;
  }
  return ok;
}

describe("reliability 5: secrets", function () {
  let prosody: TestProsody;
  let server: ServerProcess;

  before(async function () {
    this.timeout(120_000);
    prosody = await startSuiteProsody();
    // The default rate limits: this case measures what an attacker gets.
    server = await startServer(prosody);
  });

  after(async function () {
    this.timeout(60_000);
    await server?.stop();
    await prosody?.destroy();
    process.stdout.write(`\n  Reliability figures of this run:\n${figures.map((f) => `    ${f}`).join("\n")}\n`);
  });

  describe("in one process, watching node:crypto", () => {
    let t: TestHost;
    before(async () => {
      t = await startTestHost({ enabled: ["invites", "invites_api", "invites_page", "invites_register"], store: "sqlite", http: true });
    });
    after(async () => { await t?.stop(); });

    it("makes tokens, API secrets and CSRF cookies from crypto.randomBytes (18, 32, 18 bytes), never Math.random", async () => {
      await watchCrypto(async (calls) => {
        const invites = t.api<InvitesApi>("invites");
        const made = [];
        for (let i = 0; i < 15; i++) made.push(await invites.createAccount({ host: "localhost", source: "test" }));
        const key = (await t.runCtl(["mod_invites_api", "create", "localhost"])).stdout.trim();
        const page = await fetch(new URL(`register?t=${made[0]!.token}`, t.baseUrl));
        const cookie = /xi_csrf=([^;]+)/.exec(page.headers.get("set-cookie") ?? "")?.[1];
        const drawn = (size: number) => calls.randomBytes.filter((c) => c.size === size).map((c) => c.bytes.toString("base64url"));
        // Each token is exactly the bytes one randomBytes(18) call returned: 144 bits, or 143
        // and a bit when a draw starting with - or _ was drawn again.
        for (const c of made) expect(drawn(18), "token from randomBytes(18)").to.include(c.token);
        expect(new Set(made.map((c) => c.token)).size).to.equal(made.length);
        expect(drawn(32), "API secret from randomBytes(32)").to.include(key.split("/")[1]);
        expect(drawn(18), "CSRF cookie from randomBytes(18)").to.include(decodeURIComponent(cookie ?? ""));
        expect(calls.mathRandom, "Math.random calls while making secrets").to.equal(0);
      });
    });

    it("compares presented API secrets and CSRF tokens with crypto.timingSafeEqual, with the same work for an unknown key", async () => {
      const key = (await t.runCtl(["mod_invites_api", "create", "localhost"])).stdout.trim();
      const [id, secret] = key.split("/") as [string, string];
      await watchCrypto(async (calls) => {
        const tries = [key, `${id}/${secret.slice(0, -1)}${secret.endsWith("A") ? "B" : "A"}`, `AAAAAAAAAAAA/${secret}`];
        const statuses = [];
        for (const k of tries) statuses.push((await fetch(new URL("invites_api", t.baseUrl), { headers: { authorization: `Bearer ${k}` } })).status);
        expect(statuses).to.deep.equal([201, 401, 401]);
        // One 32-byte hash comparison per attempt, the unknown id included (against a dummy).
        expect(calls.timingSafeEqual.filter(([a, b]) => a === 32 && b === 32)).to.have.length(3);
        const c = await t.api<InvitesApi>("invites").createAccount({ host: "localhost", source: "test" });
        const page = await fetch(new URL(`register?t=${c.token}`, t.baseUrl));
        const cookie = (page.headers.get("set-cookie") ?? "").split(";")[0]!;
        const before = calls.timingSafeEqual.length;
        const forged = await fetch(new URL("register", t.baseUrl), {
          method: "POST", headers: { "content-type": "application/x-www-form-urlencoded", cookie },
          body: new URLSearchParams({ csrf: "x".repeat(43), token: c.token, user: "mallory", password: "a long password" }),
        });
        expect(forged.status).to.equal(403);
        expect(calls.timingSafeEqual.length, "the CSRF token was compared with timingSafeEqual").to.equal(before + 1);
      });
    });
  });

  // Tokens are looked up by their hash: the store holds nothing else to compare a token with,
  // so the lookup is an exact-match index read of SHA-256(token), never a byte-by-byte compare.
  it("keeps only hashes in the raw SQLite file: no token, API secret or short code token in it", async function () {
    this.timeout(60_000);
    const key = await server.apiKey("raw");
    const made = await Promise.all(Array.from({ length: 5 }, () => createInvite(server.baseUrl, key, { uses: 2 })));
    const withCode = await server.ctl(["invite", "create_account", "localhost", "--short-code"]);
    expect(withCode.code, withCode.stderr).to.equal(0);
    const raw = Buffer.concat(dbFiles.filter((f) => f.startsWith(server.dir) && existsSync(f)).map((f) => readFileSync(f)));
    expect(raw.length).to.be.greaterThan(0);
    const secret = key.split("/")[1]!;
    expect(raw.includes(secret), "API secret in the database").to.equal(false);
    expect(raw.includes(createHash("sha256").update(secret).digest("hex")), "the API secret's hash is what is stored").to.equal(true);
    for (const m of made) {
      expect(raw.includes(m.token), "token in the database").to.equal(false);
      expect(raw.includes(createHash("sha256").update(m.token).digest("hex")), "the token's hash is what is stored").to.equal(true);
    }
    const landing = withCode.stdout.split("\n").find((l) => l.startsWith("http"))!;
    expect(raw.includes(landing.slice(landing.indexOf("?") + 1))).to.equal(false);
  });

  it("rate-limits guessing from one address (default limits), and prints guesses per hour", async function () {
    this.timeout(120_000);
    const guess = () => randomBytes(18).toString("base64url");
    const code = () => Array.from(randomBytes(8), (b) => "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"[b % 32]).join("");
    // Each surface from its own loopback address, so one limiter does not hide another.
    const page = await allowed(server.baseUrl, "127.0.0.2", 120, () => ({ method: "GET", path: `/invites_page?${guess()}` }));
    const reg = await allowed(server.baseUrl, "127.0.0.3", 120, () => ({ method: "POST", path: `/register?t=${guess()}`, headers: { "content-type": "application/x-www-form-urlencoded" }, body: "user=a&password=bbbbbbbbbb" }));
    const codes = await allowed(server.baseUrl, "127.0.0.4", 120, (i) => (i % 2
      ? { method: "GET", path: `/i/${code()}` }
      : { method: "POST", path: "/invites_page/code", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `code=${code()}` }));
    const keys = await allowed(server.baseUrl, "127.0.0.5", 60, () => ({ method: "GET", path: `/invites_api?key=AAAAAAAAAAAA/${guess()}` }));
    // Through the XMPP server: <preauth/> on an app's stream, counted by the component per app address.
    const stream = await openStream({ port: prosody.c2sPort, domain: "localhost", localAddress: "127.0.0.6" });
    let inApp = 0;
    try {
      for (let i = 0; i < 120; i++) {
        const answer = await preauth(stream, "localhost", guess()).then(() => "accepted", (e: StanzaRefusal) => e.condition);
        expect(answer).to.be.oneOf(["item-not-found", "policy-violation"]);
        if (answer !== "policy-violation") inApp++;
      }
    } finally {
      await stream.close();
    }
    // The page limiters are fixed one-minute windows: per hour = per window × 60. The API's
    // failure bucket: its burst, then 10 a minute.
    const perHour = { page: page * 60, register: reg * 60, code: codes * 60, key: keys + 10 * 60, inApp: inApp * 60 };
    expect(page).to.be.at.most(60);
    expect(reg).to.be.at.most(60);
    expect(codes).to.be.at.most(60);
    expect(keys).to.be.at.most(10);
    expect(inApp).to.be.at.most(60);
    const codeOdds = perHour.code / 32 ** 8;
    report(`secrets: tokens 18 random bytes (over 143 bits: the first character is a letter or digit), API secrets 256 bits, from randomBytes; SQLite holds SHA-256 hashes only; constant-time by hash lookup / timingSafeEqual; guesses per hour from one IP: token page ${perHour.page}, registration ${perHour.register}, short code ${perHour.code} (odds of hitting one live code in an hour ≈ ${codeOdds.toExponential(1)}), API key ${perHour.key}, in-app preauth through Prosody ${perHour.inApp}`);
  });

  it("wrote no token, API secret or password to any server log of this run", async function () {
    this.timeout(60_000);
    // One registration here too, so this log has a password to look for.
    const key = await server.apiKey("log");
    const c = await createInvite(server.baseUrl, key);
    const password = newPassword();
    const submit = await openForm(server.baseUrl, c.token);
    expect((await submit("loggy", password)).status).to.equal(200);
    await server.stop(); // flushes its log
    let bytes = 0, checked = 0;
    for (const file of logFiles.filter((f) => existsSync(f))) {
      const text = readFileSync(file, "utf8");
      bytes += text.length;
      checked++;
      for (const s of secretsUsed) expect(text.includes(s), `${file} contains a secret (${s.slice(0, 4)}…)`).to.equal(false);
    }
    expect(bytes).to.be.greaterThan(0);
    report(`logs: ${secretsUsed.size} tokens, API secrets and passwords searched in ${checked} server log(s) of this run (${(bytes / 1024).toFixed(0)} KiB): 0 found`);
    await server.start();
  });
});
