// Case 5, secrets: tokens from a CSPRNG with at least 128 bits; the raw SQLite file holds
// hashes, not tokens or API secrets; comparisons are constant-time (by code inspection);
// guessing tokens, short codes or keys from one address is rate-limited (measured, with the
// default limits); and no token, API secret or password the suite used reached any server
// log of this run. Runs last, so that the log check covers the other cases' servers too.
import { expect } from "chai";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { join } from "node:path";
import type { TestProsody } from "../harness/prosody.js";
import { dbFiles, figures, logFiles, report, root, secretsUsed, startServer, startSuiteProsody, type ServerProcess } from "./server.js";
import { createInvite, newPassword, openForm } from "./web.js";

const source = (path: string) => readFileSync(join(root, path), "utf8");

/** Every .ts file under core/ and modules/. */
function productSources(): { path: string; text: string }[] {
  const out: { path: string; text: string }[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(join(root, dir), { withFileTypes: true })) {
      const p = `${dir}/${e.name}`;
      if (e.isDirectory()) walk(p);
      else if (p.endsWith(".ts")) out.push({ path: p, text: source(p) });
    }
  };
  walk("core");
  walk("modules");
  return out;
}

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

  it("makes tokens and keys with crypto.randomBytes, 18 and 32 bytes, and nothing secret with Math.random", async function () {
    this.timeout(60_000);
    expect(source("modules/invites/tokens.ts")).to.match(/TOKEN_BYTES = 18;/).and.match(/randomText\(TOKEN_BYTES\)/)
      .and.match(/function randomText\(bytes: number\): string \{\n {2}for \(;;\) \{\n {4}const text = randomBytes\(bytes\)/);
    expect(source("modules/invites_api/keys.ts")).to.match(/SECRET_BYTES = 32;/).and.match(/randomBytes\(SECRET_BYTES\)/);
    expect(source("web/security.ts")).to.match(/randomBytes\(18\)/);
    const mathRandom = productSources().filter((f) => /Math\.random/.test(f.text)).map((f) => f.path);
    // Only the store's retry jitter may use it (not a secret).
    expect(mathRandom).to.deep.equal(mathRandom.filter((p) => p === "core/store.ts"));
    const key = await server.apiKey();
    const tokens = await Promise.all(Array.from({ length: 15 }, () => createInvite(server.baseUrl, key).then((c) => c.token)));
    expect(new Set(tokens).size).to.equal(tokens.length);
    for (const t of tokens) expect(Buffer.from(t, "base64url")).to.have.length(18);
    expect(Buffer.from(key.split("/")[1]!, "base64url")).to.have.length(32);
  });

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

  it("compares secrets in constant time: API keys with timingSafeEqual, tokens by hash lookup, CSRF with timingSafeEqual", () => {
    const keys = source("modules/invites_api/keys.ts");
    expect(keys).to.match(/timingSafeEqual\(given, stored\)/);
    expect(keys).to.match(/DUMMY/); // the same work when the id is unknown
    const repo = source("modules/invites/repo.ts");
    expect(repo).to.match(/const hash = hashToken\(token\);\s*const row = await this\.db\.selectFrom\("invites"\)\.selectAll\(\)\.where\("token_hash", "=", hash\)/);
    expect(source("web/security.ts")).to.match(/timingSafeEqual\(want, got\)/);
    // No plain comparison of a presented secret anywhere.
    for (const f of productSources()) expect(f.text, f.path).to.not.match(/(secret|token)\s*===\s*(presented|given|stored)/i);
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
    // The page limiters are fixed one-minute windows: per hour = per window × 60. The API's
    // failure bucket: its burst, then 10 a minute.
    const perHour = { page: page * 60, register: reg * 60, code: codes * 60, key: keys + 10 * 60 };
    expect(page).to.be.at.most(60);
    expect(reg).to.be.at.most(60);
    expect(codes).to.be.at.most(60);
    expect(keys).to.be.at.most(10);
    const codeOdds = perHour.code / 32 ** 8;
    report(`secrets: tokens 18 random bytes (over 143 bits: the first character is a letter or digit), API secrets 256 bits, from randomBytes; SQLite holds SHA-256 hashes only; constant-time by hash lookup / timingSafeEqual; guesses per hour from one IP: token page ${perHour.page}, registration ${perHour.register}, short code ${perHour.code} (odds of hitting one live code in an hour ≈ ${codeOdds.toExponential(1)}), API key ${perHour.key}`);
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
