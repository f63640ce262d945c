// Several hundred generated malformed requests against a listening host: every answer is
// a 4xx (never a 5xx) with a JSON error body that says what was wrong.
import { expect } from "chai";
import fc from "fast-check";
import { connect } from "node:net";
import { startTestHost, type TestHost } from "../helpers/host.js";

const HIGH_LIMITS = { invites_api_rate_limit: "100000/minute", invites_api_rate_burst: 100000, invites_api_auth_failure_limit: "100000/minute", invites_api_auth_failure_burst: 100000 };
const KNOWN = ["key", "redirect", "type", "uses", "expires-after", "username", "inviter", "roles", "groups", "note", "status", "cursor", "limit"];

interface Answer { status: number; headers: Record<string, string>; body: string }

/** Sends raw bytes (so that headers can carry bytes fetch would refuse) and reads the answer. */
function rawRequest(port: number, request: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("error", reject);
    socket.on("end", () => {
      const text = Buffer.concat(chunks).toString("latin1");
      const [head = "", ...rest] = text.split("\r\n\r\n");
      const [statusLine = "", ...lines] = head.split("\r\n");
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]));
      let body = rest.join("\r\n\r\n");
      if (headers["transfer-encoding"] === "chunked") body = body.replace(/^[0-9a-f]+\r\n/, "").replace(/\r\n0\r\n\r\n$/, "").replace(/\r\n[0-9a-f]+\r\n/g, "");
      resolve({ status: Number(statusLine.split(" ")[1]), headers, body: Buffer.from(body, "latin1").toString("utf8") });
    });
    socket.write(request); // not end(): a half-closed socket may be dropped before an async answer
  });
}

/** Percent-encodes arbitrary bytes, so any value (including invalid UTF-8) fits in a URL. */
const encodedBytes = fc.uint8Array({ maxLength: 40 }).map((b) => [...b].map((x) => `%${x.toString(16).padStart(2, "0").toUpperCase()}`).join(""));
const urlSafe = fc.string({ unit: fc.constantFrom(..."abcXYZ019-_.~/%+=,:;@!$'()*"), maxLength: 30 });
const value = fc.oneof(urlSafe, encodedBytes, fc.constantFrom("", "%", "%zz", "%C3%28", "%FF%FE", "0", "-1", "1e9", "unlimited", "9999999999", "true", "maybe", "1d", "never", "reset", "pending"));
const name = fc.oneof(fc.constantFrom(...KNOWN), urlSafe.filter((s) => s !== "" && !s.includes("=") && !s.includes("&")), encodedBytes.filter((s) => s !== ""));
const query = fc.array(fc.tuple(name, value), { maxLength: 6 }).chain((pairs) => fc.boolean().map((dup) => (dup && pairs.length ? [...pairs, pairs[0]!] : pairs)));
const latin1 = fc.string({ unit: fc.integer({ min: 0x21, max: 0xff }).filter((c) => c < 0x7f || c > 0x9f).map((c) => String.fromCharCode(c)), maxLength: 300 });

describe("invites_api: generated malformed requests (module)", function () {
  this.timeout(120_000);
  let t: TestHost;
  let port: number;
  let good: string;
  before(async () => {
    t = await startTestHost({ enabled: ["invites", "invites_api"], store: "sqlite", http: true, options: HIGH_LIMITS });
    port = Number(new URL(t.baseUrl).port);
    good = (await t.runCtl(["mod_invites_api", "create", "localhost", "--scope", "all", "--types", "all", "--max-uses", "5"])).stdout.trim();
  });
  after(async () => { await t.stop(); });

  it("never answers 5xx, and every error is JSON {error, message} saying what was wrong", async () => {
    const auth = fc.oneof(
      fc.constant(undefined),
      { arbitrary: fc.constant(`Bearer ${good}`), weight: 5 },
      latin1.map((s) => `Bearer ${s}`),
      latin1,
      fc.constantFrom("Bearer", "Bearer ", "Basic dXNlcjpwYXNz", `Bearer ${good} extra`, `bearer ${good}x`, `Bearer ${"A".repeat(5000)}/x`, `Bearer abc/\xff\xfe`),
    );
    const path = fc.constantFrom("/invites_api", "/invites_api/", "/invites_api/v1/invites", "/invites_api/v1/invites/abcdefghijkl", "/invites_api/v1/invites/%FF", "/invites_api/v1/invites/x%2Fy");
    const method = fc.constantFrom("GET", "POST", "PATCH", "DELETE", "PUT", "HEAD", "OPTIONS");
    const body = fc.oneof({ arbitrary: fc.constant(undefined), weight: 4 }, fc.json({ maxDepth: 2 }), latin1, fc.constantFrom("{", "[]", "null", "{\"uses\":\"x\"}", "{\"type\":\"reset\"}", "{\"expires_at\":\"2000-01-01\"}", "{\"note\":null,\"revoked\":false}"));
    const ctype = fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin1");
    let count = 0;
    await fc.assert(fc.asyncProperty(method, path, query, auth, body, ctype, async (m, p, q, a, b, ct) => {
      const qs = q.map(([k, v]) => `${k}=${v}`).join("&");
      const target = `${p}${qs ? `?${qs}` : ""}`;
      const head = [`${m} ${target} HTTP/1.1`, "Host: 127.0.0.1", "Connection: close"];
      if (a !== undefined) head.push(`Authorization: ${a}`);
      const payload = b === undefined ? undefined : Buffer.from(b, "latin1");
      if (payload) head.push(`Content-Type: ${ct}`, `Content-Length: ${payload.length}`);
      const req = Buffer.concat([Buffer.from(`${head.join("\r\n")}\r\n\r\n`, "latin1"), payload ?? Buffer.alloc(0)]);
      const res = await rawRequest(port, req);
      count++;
      expect(res.status, `${m} ${target}`).to.be.within(200, 499);
      if (res.status >= 400 && m !== "HEAD") {
        const json = JSON.parse(res.body) as { error: unknown; message: unknown; detail?: { parameter?: string } };
        expect(json.error).to.be.a("string").and.match(/^[a-z_]+\.[a-z_]+$/);
        expect(json.message).to.be.a("string").and.not.equal("");
        expect(json.message).not.to.match(/\n\s+at /); // no stack trace
        if (json.error === "invites_api.unknown_parameter" || json.error === "invites_api.repeated_parameter") {
          expect(json.message).to.contain(JSON.stringify(json.detail!.parameter).slice(1, -1).slice(0, 20));
        }
      }
    }), { numRuns: 600 });
    expect(count).to.be.at.least(600);
  });

  it("a repeated known parameter is always a 400 naming it", async () => {
    await fc.assert(fc.asyncProperty(fc.constantFrom("uses", "type", "redirect", "note", "expires-after", "key"), fc.tuple(value, value), async (n, [v1, v2]) => {
      const res = await fetch(`${t.baseUrl}invites_api?${n}=${v1}&${n}=${v2}`);
      expect(res.status).to.equal(400);
      const json = (await res.json()) as { message: string };
      expect(json.message).to.contain(`"${n}"`);
    }), { numRuns: 100 });
  });
});
