// Case 4, hostile input: over 10,000 malformed or adversarial inputs (fast-check strings
// and known attack payloads, characters XML cannot carry, repeated single-valued fields, keys
// reaching outside their scope) across the HTTP API, the pages and forms, the short-code form,
// the ad-hoc command forms and invitectl. Zero 5xx, zero crashes, zero drops of the component
// link, nothing injected echoed unescaped into HTML, and every refusal says what was wrong.
// Rate limits are off in this server's config so that the inputs reach the handlers.
import { expect } from "chai";
import { Agent, request } from "node:http";
import type { TestProsody } from "../harness/prosody.js";
import { loginClient, type TestClient } from "../harness/xmpp-client.js";
import { startTestHost } from "../helpers/host.js";
import { readFileSync } from "node:fs";
import { isMarkup, nasty, nastyValues, XML_ILLEGAL, xmlSafe } from "./inputs.js";
import { remember, report, startServer, startSuiteProsody, type ServerProcess } from "./server.js";
import { api, createInvite, newPassword, openForm } from "./web.js";
import { openStream, preauth, StanzaRefusal, xml } from "../harness/xmpp-stream.js";
import { newKeyPair } from "../../modules/invites_greeting/sas.js";

const HTTP_INPUTS = 9000;
const ADHOC_INPUTS = 600;
const CTL_INPUTS = 500;
const INAPP_INPUTS = 600;

interface Req { surface: string; method: string; path: string; headers?: Record<string, string>; body?: string | Buffer; inputs: unknown[] }
interface Res { status: number; type: string; location: string | undefined; body: string }

/** Percent-encodes every byte but the unreserved ones (lone surrogates become U+FFFD). */
const pct = (s: unknown) => [...Buffer.from(String(s), "utf8")].map((b) => (/[A-Za-z0-9\-._~]/.test(String.fromCharCode(b)) ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
/** Keeps printable ASCII as is (path tricks, broken % escapes); encodes the rest so the request can be sent at all. */
const raw = (s: string) => [...Buffer.from(s, "utf8")].map((b) => (b > 0x20 && b < 0x7f && b !== 0x23 && b !== 0x3f ? String.fromCharCode(b) : `%${b.toString(16).toUpperCase().padStart(2, "0")}`)).join("");
/** What an HTTP header can carry. */
const header = (s: string) => s.replace(/[^\x20-\x7e]/g, "");
const pick = <T>(list: readonly T[], i: number): T => list[i % list.length]!;

describe("reliability 4: hostile input", function () {
  let prosody: TestProsody;
  let server: ServerProcess;
  let agent: Agent;
  let key: string;
  let narrowKey: string;
  let adminInvite: string;
  let token: string;
  let form: { cookie: string; csrf: string };
  let admin: TestClient;
  let adminPassword = "";
  let greeted: { token: string; greeter: string; session: string };
  const counts: Record<string, number> = {};
  const statuses: Record<string, number> = {};
  let adhocErrors = "";
  let inAppErrors = "";
  let echoes = 0;
  let crashed = false;

  before(async function () {
    this.timeout(120_000);
    prosody = await startSuiteProsody();
    adminPassword = newPassword();
    await prosody.registerUser("admin", adminPassword);
    server = await startServer(prosody, {
      modules_enabled: ["invites", "invites_api", "invites_page", "invites_register", "invites_adhoc", "invites_inapp", "invites_greeting"], greeting_rate_limit: 0,
      register_rate_limit: 0, register_lookup_rate_limit: 0, invites_page_rate_limit: 0, inapp_rate_limit: 0,
      invites_api_rate_limit: "1000000/second", invites_api_rate_burst: 1_000_000,
      invites_api_auth_failure_limit: "1000000/second", invites_api_auth_failure_burst: 1_000_000,
    });
    agent = new Agent({ keepAlive: true, maxSockets: 16 });
    key = await server.apiKey();
    const narrow = await server.ctl(["mod_invites_api", "create", prosody.domain, "narrow", "--scope", "all", "--types", "account,contact,reset"]);
    narrowKey = remember(narrow.stdout.trim());
    adminInvite = (await createInvite(server.baseUrl, key, { roles: ["prosody:admin"], uses: 3 })).id;
    token = (await createInvite(server.baseUrl, key, { uses: "unlimited" })).token;
    const page = await fetch(new URL(`register?t=${token}`, server.baseUrl));
    form = { cookie: (page.headers.get("set-cookie") ?? "").split(";")[0]!, csrf: /name="csrf" value="([^"]+)"/.exec(await page.text())![1]! };
    admin = await loginClient({ port: prosody.c2sPort, jid: "admin@localhost", password: adminPassword });
    // A greeted invite whose claimer's seat is taken: hostile steps then reach a live session.
    const g = await api(server.baseUrl, key, "POST", "/v1/invites", { greeted: true });
    greeted = { token: remember(g.json["token"] as string), greeter: remember(g.json["greeter_token"] as string), session: "" };
    const joined = await fetch(new URL("invites_greeting/api/claimer/join", server.baseUrl), {
      method: "POST", headers: { authorization: `Bearer ${greeted.token}`, "content-type": "application/json" }, body: JSON.stringify({ key: newKeyPair().publicKey }),
    });
    greeted.session = remember(((await joined.json()) as { session: string }).session);
  });

  after(async function () {
    this.timeout(60_000);
    agent?.destroy();
    await admin?.close();
    await server?.stop();
    await prosody?.destroy();
    const total = Object.values(counts).reduce((a, b) => a + b, 0);
    const fiveXX = Object.entries(statuses).filter(([k]) => Number(k) >= 500).reduce((a, [, v]) => a + v, 0);
    report(`hostile: ${total} inputs (${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(", ")}); ${fiveXX} 5xx, ${crashed ? 1 : 0} crashes, ${linkDrops()} component link drops, ${echoes} unescaped echoes; HTTP answers ${Object.entries(statuses).sort().map(([k, v]) => `${v}×${k}`).join(", ")}; XMPP errors ${adhocErrors}; in-app errors ${inAppErrors}`);
  });

  /** How often the server's log says the component link dropped. */
  const linkDrops = () => (readFileSync(server.logPath, "utf8").match(/disconnected from the XMPP server/g) ?? []).length;

  function send(r: Req): Promise<Res> {
    const url = new URL(server.baseUrl);
    return new Promise((resolve, reject) => {
      const headers = { ...r.headers, ...(r.body === undefined ? {} : { "content-length": String(Buffer.byteLength(r.body)) }) };
      const req = request({ host: url.hostname, port: url.port, method: r.method, path: r.path, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, type: String(res.headers["content-type"] ?? ""), location: res.headers.location, body: Buffer.concat(chunks).toString("utf8") }));
      });
      req.on("error", reject);
      if (r.body !== undefined) req.end(r.body); else req.end();
    });
  }

  function check(r: Req, a: Res): void {
    const sent = r.body === undefined ? "" : ` [body ${JSON.stringify(String(r.body).slice(0, 200))}]`;
    const what = `${r.method} ${r.path.slice(0, 200)}${sent} → ${a.status} ${a.body.replace(/^[\s\S]*<main[^>]*>/, "").slice(0, 400)}`;
    statuses[String(a.status)] = (statuses[String(a.status)] ?? 0) + 1;
    expect(a.status, what).to.be.below(500);
    if (a.type.includes("html")) {
      // No inline script: only a static file of this site (the claim page's claim.js, under CSP script-src 'self').
      expect(a.body, what).to.not.match(/<script(?![^>]*\ssrc="[^"]*\/static\/[a-z-]+\.js")/i);
      for (const input of r.inputs) {
        if (typeof input !== "string" || !isMarkup(input) || !a.body.includes(input)) continue;
        echoes++;
        expect.fail(`echoed unescaped: ${JSON.stringify(input)} in ${what}`);
      }
    }
    if (a.location) expect(a.location, what).to.not.match(/^\s*(javascript|data|vbscript):/i);
    if (a.status >= 400 && r.method !== "HEAD") {
      if (a.type.includes("json")) expect((JSON.parse(a.body) as { message?: string }).message, what).to.be.a("string").and.not.equal("");
      else if (a.type.includes("html")) expect(a.body, what).to.match(/<title>[^<]+<\/title>[\s\S]*(<h1|<h2|class="alert")/);
      else expect(a.body.trim(), what).to.not.equal("");
    }
  }

  function httpRequests(n: number): Req[] {
    const s = nasty(n, 4001);
    const t = nasty(n, 4002);
    const v = nastyValues(n, 4003);
    const apiParams = ["type", "uses", "expires-after", "username", "inviter", "roles", "groups", "note", "redirect", "key", "t", "x"];
    const bodyFields = ["type", "uses", "expires_after", "expires_at", "username", "inviter", "roles", "groups", "note", "revoked", "__proto__", "extra"];
    const methods = ["PUT", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"];
    const paths = ["/invites_api", "/invites_api/v1/invites", "/invites_page", "/register", "/i/ABCD2345", "/health", "/invites_page/code"];
    const auth = () => ({ authorization: `Bearer ${key}` });
    const formHeaders = { "content-type": "application/x-www-form-urlencoded", cookie: form.cookie };
    const out: Req[] = [];
    for (let i = 0; i < n; i++) {
      const a = s[i]!, b = t[i]!, val = v[i];
      const family = i % 28;
      const jsonBody = (body: unknown) => JSON.stringify(body);
      switch (family) {
        case 0: out.push({ surface: "api", method: "GET", path: `/invites_api?key=${key}&${pick(apiParams, i)}=${pct(a)}`, inputs: [a] }); break;
        case 1: out.push({ surface: "api", method: "POST", path: `/invites_api?${raw(a)}`, headers: { authorization: `Bearer ${header(b)}` }, inputs: [a, b] }); break;
        case 2: out.push({ surface: "api", method: "POST", path: "/invites_api/v1/invites", headers: { ...auth(), "content-type": "application/json" }, body: jsonBody({ [pick(bodyFields, i)]: val }), inputs: [val] }); break;
        case 3: out.push({ surface: "api", method: "POST", path: "/invites_api/v1/invites", headers: { ...auth(), "content-type": pick(["application/json", "text/plain", "application/json; charset=utf-16", "application/x-www-form-urlencoded"], i) }, body: a, inputs: [a] }); break;
        case 4: out.push({ surface: "api", method: pick(["GET", "PATCH", "DELETE"], i), path: `/invites_api/v1/invites/${raw(a)}`, headers: { ...auth(), "content-type": "application/json" }, body: jsonBody({ uses: val, note: b }), inputs: [a, b] }); break;
        case 5: out.push({ surface: "api", method: "GET", path: `/invites_api/v1/invites?status=${pct(a)}&cursor=${pct(b)}&limit=${pct(typeof val === "object" && val !== null ? JSON.stringify(val) : String(val))}`, headers: auth(), inputs: [a, b] }); break;
        case 6: out.push({ surface: "pages", method: "GET", path: pick([`/invites_page?${pct(a)}`, `/invites_page/?${raw(a)}`, `/invites_page/${raw(a)}`], i), inputs: [a] }); break;
        case 7: out.push({ surface: "pages", method: "GET", path: `/invites_page/setup/${pct(a)}?${i % 2 ? token : pct(b)}`, inputs: [a, b] }); break;
        case 8: out.push({ surface: "pages", method: "GET", path: pick([`/i/${raw(a)}`, `/pairing/${pct(a)}`, `/i/${pct(a)}`], i), inputs: [a] }); break;
        case 9: case 10: out.push({ surface: "short-code form", method: "POST", path: "/invites_page/code", headers: { "content-type": "application/x-www-form-urlencoded" }, body: `code=${pct(a)}`, inputs: [a] }); break;
        case 11: out.push({ surface: "forms", method: "GET", path: `/register?t=${pct(a)}&c=${pct(b)}`, inputs: [a, b] }); break;
        case 12: case 13: case 14:
          // The real form with a valid token and CSRF: only the username and password are hostile.
          out.push({ surface: "forms", method: "POST", path: `/register?t=${token}`, headers: formHeaders, body: `csrf=${form.csrf}&token=${token}&user=${pct(a)}&password=${pct(b)}`, inputs: [a, b] });
          break;
        case 15: out.push({ surface: "forms", method: "POST", path: `/register?t=${pct(a)}`, headers: formHeaders, body: `csrf=${pct(b)}&token=${pct(a)}&user=${pct(b)}&password=x&app_id=${pct(a)}`, inputs: [a, b] }); break;
        case 16: {
          // Bad encodings: bytes that are not UTF-8, broken % escapes, charsets we do not read.
          const bodies: (string | Buffer)[] = [Buffer.from([0x75, 0x73, 0x65, 0x72, 0x3d, 0xff, 0xfe, 0xc0, 0x80]), `user=${raw(a)}&password=%E0%A4%A&csrf=${form.csrf}&token=${token}`, Buffer.from(`user=${a}&password=${b}`, "utf16le")];
          const type = pick(["application/x-www-form-urlencoded", "application/x-www-form-urlencoded; charset=utf-16", "application/x-www-form-urlencoded; charset=koi8-r", "multipart/form-data; boundary=x"], i);
          out.push({ surface: "forms", method: "POST", path: pick([`/register?t=${token}`, "/invites_page/code"], i), headers: { "content-type": type, cookie: form.cookie }, body: pick(bodies, i), inputs: [a] });
          break;
        }
        case 17: {
          // Huge bodies (every 20th of these is 2 MB; the rest 70 kB, over the 64 kB limit).
          const size = i % 400 === 17 ? 2_000_000 : 70_000;
          out.push({ surface: pick(["api", "forms"], i), method: "POST", path: pick(["/invites_api/v1/invites", "/register", "/invites_page/code"], i), headers: { ...auth(), "content-type": pick(["application/json", "application/x-www-form-urlencoded"], i) }, body: `{"note":"${"A".repeat(size)}"}`, inputs: [] });
          break;
        }
        case 18: out.push({ surface: "api", method: pick(methods, i), path: pick(paths, i), headers: auth(), inputs: [] }); break;
        case 19: {
          // Characters XML cannot carry, in every field that can reach a stanza.
          const c = pick(XML_ILLEGAL, i);
          const field = pick(["note", "inviter", "username", "roles", "groups"], i);
          const value = field === "roles" || field === "groups" ? [`r${c}x`] : field === "inviter" ? `u${c}x@localhost` : `u${c}x`;
          out.push({ surface: "api", method: "POST", path: "/invites_api/v1/invites", headers: { ...auth(), "content-type": "application/json" }, body: jsonBody({ type: field === "inviter" ? "contact" : "account", [field]: value }), inputs: [] });
          break;
        }
        case 20: {
          // Repeated single-valued fields: the form, the code form, the Prosody endpoint.
          const body = pick([`csrf=${form.csrf}&token=${token}&user=${pct(a)}&user=admin&password=${pct(b)}`, `csrf=${form.csrf}&csrf=${form.csrf}&token=${token}&user=x&password=yyyyyyyyyy`, `code=${pct(a)}&code=ABCD2345`], i);
          out.push({ surface: pick(["forms", "forms", "short-code form"], i), method: "POST", path: pick([`/register?t=${token}`, `/register?t=${token}`, "/invites_page/code"], i), headers: formHeaders, body, inputs: [a, b] });
          break;
        }
        case 21: out.push({ surface: "api", method: "GET", path: `/invites_api?key=${key}&uses=1&uses=${pct(a)}`, inputs: [a] }); break;
        case 22: {
          // A narrow key reaching for invites outside its scope (the suite key's, made with every right).
          out.push({ surface: "api", method: pick(["GET", "PATCH", "DELETE"], i), path: `/invites_api/v1/invites/${adminInvite}`, headers: { authorization: `Bearer ${narrowKey}`, "content-type": "application/json" }, body: jsonBody(pick([{ uses: 100 }, { revoked: false }, { expires_after: "9999d" }, {}], i)), inputs: [] });
          break;
        }
        case 23: out.push({ surface: "api", method: "POST", path: "/invites_api/v1/invites", headers: { authorization: `Bearer ${narrowKey}`, "content-type": "application/json" }, body: jsonBody(pick([{ type: "contact", inviter: "admin@localhost" }, { roles: ["prosody:admin"] }, { type: "reset", username: "admin" }, { uses: "unlimited" }], i)), inputs: [] }); break;
        case 24: {
          // The greeting API: every side and step, with the real tokens and session or hostile ones.
          const side = pick(["claimer", "greeter", "claimer", "greeter", raw(a)], i);
          const step = pick(["join", "state", "commit", "nonce", "reveal", "trust", "info", "confirm", "create", "cancel", raw(b)], i);
          const bearer = pick([greeted.token, greeted.greeter, header(a)], i);
          const field = pick(["key", "nonce", "commitment", "ok", "username", "password", "display_name", "roles", "__proto__"], i);
          out.push({
            surface: "greeting", method: step === "state" ? "GET" : "POST", path: `/invites_greeting/api/${side}/${step}${step === "state" ? `?since=${pct(b)}` : ""}`,
            headers: { authorization: `Bearer ${bearer}`, "x-greeting-session": pick([greeted.session, header(b)], i), "content-type": pick(["application/json", "application/json", "text/plain"], i) },
            ...(step === "state" ? {} : { body: pick([jsonBody({ [field]: val }), jsonBody({ [field]: a, ok: true }), a], i) }), inputs: [a, b],
          });
          break;
        }
        case 25: out.push({ surface: "greeting", method: "GET", path: `/invites_greeting/api/claimer/state?since=${pct(a)}&wait=${pct(b)}`, headers: { authorization: `Bearer ${greeted.token}`, "x-greeting-session": greeted.session }, inputs: [a, b] }); break;
        case 26: out.push({ surface: "greeting", method: "GET", path: pick([`/invites_greeting/claim?${raw(a)}`, `/invites_greeting/claim/events?${pct(a)}`, `/invites_greeting/claim?${greeted.token}&${raw(a)}`, `/invites_greeting/${raw(a)}`], i), inputs: [a] }); break;
        case 27: out.push({
          surface: "greeting", method: "POST", path: `/invites_greeting/claim?${pick([greeted.token, pct(b)], i)}`, headers: formHeaders,
          body: `do=${pick(["join", "pick", "info", "cancel", pct(a)], i)}&csrf=${pct(b)}&code=${pct(a)}&user=${pct(a)}&password=${pct(b)}&display_name=${pct(a)}${i % 3 ? "" : "&do=join"}`, inputs: [a, b],
        }); break;
        default: out.push({ surface: "pages", method: "GET", path: `/${raw(a)}/${raw(b)}`, inputs: [a, b] }); break;
      }
    }
    return out;
  }

  it(`answers ${HTTP_INPUTS} hostile HTTP requests with clear 4xx (or success), never 5xx, never echoing markup`, async function () {
    this.timeout(300_000);
    const reqs = httpRequests(HTTP_INPUTS);
    const violations: string[] = [];
    let next = 0;
    const worker = async () => {
      while (next < reqs.length) {
        const r = reqs[next++]!;
        try { check(r, await send(r)); } catch (e) { violations.push((e as Error).message); }
        counts[r.surface] = (counts[r.surface] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    crashed ||= !server.alive();
    // Every violation is listed (the first ten in full), not just the first one met.
    expect(violations.length, `${violations.length} violations:\n${violations.slice(0, 10).join("\n\n")}`).to.equal(0);
    expect(server.alive(), "the server process is still running").to.equal(true);
    expect((await fetch(new URL("health", server.baseUrl))).status).to.equal(200);
  });

  it("refuses every kind of character XML cannot carry in every input, while the link stays up and concurrent registrations succeed", async function () {
    this.timeout(300_000);
    const drops = linkDrops();
    const legit = await createInvite(server.baseUrl, key, { uses: XML_ILLEGAL.length * 2 });
    const registrations: Promise<{ status: number }>[] = [];
    const refusals: Promise<void>[] = [];
    const expect4xx = async (what: string, p: Promise<{ status: number }>) => {
      const { status } = await p;
      statuses[String(status)] = (statuses[String(status)] ?? 0) + 1;
      expect(status, what).to.be.within(400, 499);
      counts["xml-illegal"] = (counts["xml-illegal"] ?? 0) + 1;
    };
    for (const [n, c] of XML_ILLEGAL.entries()) {
      const shown = `U+${c.codePointAt(0)!.toString(16).padStart(4, "0")}`;
      // Legitimate registrations at the same moment as the hostile ones.
      for (const k of [0, 1]) registrations.push(openForm(server.baseUrl, legit.token).then((submit) => submit(`ok${n}x${k}`, newPassword())));
      const submitFor = await openForm(server.baseUrl, token);
      refusals.push(
        expect4xx(`password with ${shown}`, submitFor(`bad${n}`, `long-password${c}123`)),
        expect4xx(`username with ${shown}`, submitFor(`bad${c}${n}`, "long-password-123")),
        expect4xx(`JSON note with ${shown}`, api(server.baseUrl, key, "POST", "/v1/invites", { note: `n${c}` })),
        expect4xx(`JSON inviter with ${shown}`, api(server.baseUrl, key, "POST", "/v1/invites", { type: "contact", inviter: `u${c}x@localhost` })),
        expect4xx(`JSON roles with ${shown}`, api(server.baseUrl, key, "POST", "/v1/invites", { roles: [`r${c}x`] })),
        expect4xx(`JSON groups with ${shown}`, api(server.baseUrl, key, "POST", "/v1/invites", { groups: [`g${c}x`] })),
        expect4xx(`PATCH note with ${shown}`, api(server.baseUrl, key, "PATCH", `/v1/invites/${adminInvite}`, { note: `n${c}` })),
        expect4xx(`legacy note with ${shown}`, fetch(new URL(`invites_api?key=${key}&note=${encodeURIComponent(c.replace(/[\ud800-\udfff]/, "\u0000"))}`, server.baseUrl))),
      );
      // Process arguments cannot hold NUL or lone surrogates at all; the rest go in as they are.
      // eslint-disable-next-line no-control-regex -- NUL is what is replaced
      const ctl = await server.ctl(["invite", "create_account", "localhost", "--note", `n${c.replace(/[\u0000\ud800-\udfff]/, "\u0001")}`]);
      expect(ctl.code, `invitectl --note with ${shown}: ${ctl.stderr}`).to.equal(2);
    }
    await Promise.all(refusals);
    const done = await Promise.all(registrations);
    expect(done.map((r) => r.status), "the legitimate registrations beside them").to.deep.equal(done.map(() => 200));
    // An admin lists every invite (notes included) over XMPP: nothing in the store can break the link.
    const listed = await admin.adhoc("invites.localhost", "xmpp-invites#list-all", { status: "all" });
    expect(listed.attrs.status).to.be.oneOf(["completed", "executing"]);
    expect(linkDrops(), "component link drops").to.equal(drops);
    expect(((await (await fetch(new URL("health", server.baseUrl))).json()) as { component: { state: string } }).component.state).to.equal("connected");
  });

  it(`answers ${ADHOC_INPUTS} hostile ad-hoc command forms with results or XMPP errors that say why`, async function () {
    this.timeout(300_000);
    const s = nasty(ADHOC_INPUTS, 4101).map(xmlSafe);
    const t = nasty(ADHOC_INPUTS, 4102).map(xmlSafe);
    const nodes = ["urn:xmpp:invite#create-account", "xmpp-invites#password-reset", "xmpp-invites#revoke", "xmpp-invites#extend", "xmpp-invites#list-all"];
    const createFields = ["username", "roster-subscription", "host", "expires-after", "uses", "roles", "groups", "note", "short-code", "unknown-field"];
    const errors: Record<string, number> = {};
    let next = 0;
    const worker = async () => {
      while (next < ADHOC_INPUTS) {
        const i = next++;
        const node = pick(nodes, i);
        const a = s[i]!, b = t[i]!;
        const values: Record<string, string | string[]> =
          node === "urn:xmpp:invite#create-account" ? { [pick(createFields, i)]: a, [pick(createFields, i + 3)]: i % 3 ? b : [a, b] }
          : node === "xmpp-invites#password-reset" ? { accountjid: a }
          : node === "xmpp-invites#revoke" ? { invite: a }
          : node === "xmpp-invites#extend" ? { invite: a, "expires-after": b }
          : { status: a, type: b, inviter: a };
        try {
          const cmd = await admin.adhoc("invites.localhost", node, values);
          expect(cmd.attrs.status, node).to.be.oneOf(["completed", "executing", "canceled"]);
          if (cmd.attrs.status === "completed" && !cmd.getChild("x", "jabber:x:data")) expect(cmd.getChildText("note"), `${node} ${JSON.stringify(values)}`).to.be.a("string").and.not.equal("");
        } catch (e) {
          const err = e as { name: string; condition?: string; text?: string; message: string };
          expect(err.name, `${node} ${JSON.stringify(values)}: ${err.message}`).to.equal("StanzaError");
          expect(err.condition, `${node} ${JSON.stringify(values)}: ${err.message}`).to.not.equal("internal-server-error");
          expect(err.text ?? "", `${node} ${JSON.stringify(values)} (${err.condition}) has no text`).to.not.equal("");
          errors[err.condition!] = (errors[err.condition!] ?? 0) + 1;
        }
        counts["ad-hoc"] = (counts["ad-hoc"] ?? 0) + 1;
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    crashed ||= !server.alive();
    expect(server.alive()).to.equal(true);
    adhocErrors = Object.entries(errors).map(([k, v]) => `${v}×${k}`).join(", ");
  });

  it(`answers ${INAPP_INPUTS} hostile in-app requests through Prosody's mod_xmpp_invites with XMPP errors that say why, on streams that stay up`, async function () {
    this.timeout(300_000);
    const s = nasty(INAPP_INPUTS, 4301).map(xmlSafe);
    const t = nasty(INAPP_INPUTS, 4302).map(xmlSafe);
    const errors: Record<string, number> = {};
    let next = 0;
    const worker = async () => {
      // An app's stream with a usable invite (unlimited uses): what follows is hostile.
      const stream = await openStream({ port: prosody.c2sPort, domain: "localhost" });
      await preauth(stream, "localhost", token);
      try {
        while (next < INAPP_INPUTS) {
          const i = next++;
          const a = s[i]!, b = t[i]!;
          const query = (...children: ReturnType<typeof xml>[]) => xml("iq", { type: "set", to: "localhost" }, xml("query", { xmlns: "jabber:iq:register" }, ...children));
          const field = (name: string, ...values: string[]) => xml("field", { var: name }, ...values.map((v) => xml("value", {}, v)));
          const req = [
            () => xml("iq", { type: "set", to: "localhost" }, xml("preauth", { xmlns: "urn:xmpp:pars:0", token: a })),
            () => query(xml("username", {}, a), xml("password", {}, b)),
            () => query(xml("x", { xmlns: "jabber:x:data", type: "submit" }, i % 8 === 2 ? field("username", a, b) : field("username", a), field("password", b))),
            () => query(xml("username", {}, a), ...(i % 8 === 3 ? [xml("username", {}, b)] : []), xml("password", {}, "a long enough password")),
          ][i % 4]!();
          const what = `${req.toString().slice(0, 300)}`;
          try {
            await stream.iq(req);
          } catch (e) {
            expect(e, what).to.be.instanceOf(StanzaRefusal);
            const r = e as StanzaRefusal;
            expect(r.condition, what).to.not.equal("internal-server-error");
            expect(r.text, `${what} (${r.condition}) has no text`).to.not.equal("");
            errors[r.condition] = (errors[r.condition] ?? 0) + 1;
          }
          counts["in-app"] = (counts["in-app"] ?? 0) + 1;
        }
      } finally {
        await stream.close();
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    crashed ||= !server.alive();
    expect(server.alive()).to.equal(true);
    const check = await loginClient({ port: prosody.c2sPort, jid: "admin@localhost", password: adminPassword });
    await check.close();
    inAppErrors = Object.entries(errors).map(([k, v]) => `${v}×${k}`).join(", ");
  });

  it(`runs invitectl with ${CTL_INPUTS} hostile argument lists in-process, and a few as real processes: exit 0/1/2, a message, no stack trace`, async function () {
    this.timeout(300_000);
    const t = await startTestHost({ enabled: ["invites", "invites_api", "invites_page", "invites_register", "invites_adhoc"], store: "sqlite", options: { site_name: "Hostile" } });
    try {
      const s = nasty(CTL_INPUTS, 4201);
      const u = nasty(CTL_INPUTS, 4202);
      const argvs = s.map((a, i): string[] => {
        const b = u[i]!;
        switch (i % 12) {
          case 0: return ["invite", "create_account", a];
          case 1: return ["invite", "create_account", "localhost", pick(["--username", "--email", "--uses", "--expires-after", "--not-before", "--role", "--group", "--note"], i), a];
          case 2: return ["invite", "create_contact", a, "--allow-registration"];
          case 3: return ["invite", "create_reset", a, "--expires-after", b];
          case 4: return ["invite", pick(["show", "revoke", "delete"], i), pick(["localhost", a], i), b];
          case 5: return ["invite", "extend", "localhost", a, b];
          case 6: return ["invite", "list", pick(["localhost", a], i), pick(["--status", "--type", "--cursor", "--limit"], i), b];
          case 7: return ["mod_invites", "generate", a, pick(["--reset", "--role", "--group"], i), b];
          case 8: return ["mod_invites_api", "create", pick(["localhost", a], i), b, pick(["--scope", "--types", "--max-uses", "--max-expiry", "--roles", "--methods", "--expires-after"], i), a];
          case 9: return ["mod_invites_api", pick(["list", "delete"], i), pick(["localhost", a], i), b];
          case 10: return [a, b];
          default: return ["invite", a, "--json", b];
        }
      });
      for (const argv of argvs) {
        const r = await t.runCtl(argv);
        const what = `invitectl ${JSON.stringify(argv)} → ${r.code}: ${r.stderr.slice(0, 300)}`;
        expect(r.code, what).to.be.oneOf([0, 1, 2]);
        expect(r.stderr, what).to.not.match(/\n\s+at .+:\d+:\d+/);
        if (r.code !== 0) expect(r.stderr.trim(), what).to.not.equal("");
        counts["ctl"] = (counts["ctl"] ?? 0) + 1;
      }
    } finally {
      await t.stop();
    }
    for (const argv of [["invite", "create_account", "<script>alert(1)</script>"], ["invite", "show", "localhost", "../../etc/passwd"],
      ["mod_invites_api", "create", "localhost", "x", "--scope", "'; DROP TABLE keyv; --"], ["invite", "list", "localhost", "--cursor", "%00"],
      ["invite", "greet", "<script>alert(1)</script>"], ["invite", "greet", "A".repeat(24)], ["invite", "claim", "../../etc/passwd"],
      ["invite", "claim", `${server.baseUrl}invites_greeting/claim?${"A".repeat(24)}`]]) {
      const r = await server.ctl(argv);
      const what = `real invitectl ${JSON.stringify(argv)} → ${r.code}: ${r.stderr}`;
      expect(r.code, what).to.be.oneOf([1, 2]);
      expect(r.stderr.trim(), what).to.not.equal("");
      expect(r.stderr, what).to.not.match(/\n\s+at .+:\d+:\d+/);
      counts["ctl (real process)"] = (counts["ctl (real process)"] ?? 0) + 1;
    }
    remember(token);
  });
});
