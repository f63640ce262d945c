// The JSON API (/invites_api/v1) and its OpenAPI document, against a listening host.
import { expect } from "chai";
import { startTestHost, type TestHost } from "../helpers/host.js";
import type { InvitesApi } from "../../modules/invites/types.js";
import { openApiDocument } from "../../modules/invites_api/openapi.js";
import { CreateInviteBody, ListQuery, UpdateInviteBody } from "../../modules/invites_api/schemas.js";

const HIGH_LIMITS = { invites_api_rate_limit: "100000/minute", invites_api_rate_burst: 100000, invites_api_auth_failure_limit: "100000/minute", invites_api_auth_failure_burst: 100000 };

interface Json { [k: string]: unknown }

describe("invites_api: JSON API /v1 (module)", function () {
  let t: TestHost;
  let base: string;
  let admin: string;
  const call = async (key: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method, headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as Json };
  };
  const makeKey = async (...args: string[]) => (await t.runCtl(["mod_invites_api", "create", "localhost", ...args])).stdout.trim();

  before(async () => {
    t = await startTestHost({ enabled: ["invites", "invites_api"], hosts: ["localhost", "other.example"], store: "sqlite", http: true, options: HIGH_LIMITS });
    base = `${t.baseUrl}invites_api/v1`;
    admin = await makeKey("admin tool", "--scope", "all", "--types", "all", "--max-uses", "unlimited", "--roles", "*", "--groups", "*");
  });
  after(async () => { await t.stop(); });

  it("POST /invites creates an invite and returns the token once, never the token hash", async () => {
    const r = await call(admin, "POST", "/invites", { uses: 5, expires_after: "2d", note: "team", groups: ["staff"] });
    expect(r.status).to.equal(201);
    expect(r.body["token"]).to.match(/^[A-Za-z0-9_-]{16,}$/);
    expect(r.body["uri"]).to.equal(`xmpp:localhost?register;preauth=${String(r.body["token"])}`);
    expect(r.body["link"]).to.equal(r.body["uri"]);
    const invite = r.body["invite"] as Json;
    expect(invite).to.include({ type: "account", host: "localhost", status: "pending", uses_allowed: 5, note: "team" });
    expect(r.headers.get("location")).to.equal(`/invites_api/v1/invites/${String(invite["id"])}`);
    const read = await call(admin, "GET", `/invites/${String(invite["id"])}`);
    expect(read.status).to.equal(200);
    expect(JSON.stringify(read.body)).not.to.match(/token|hash/i);
    expect(JSON.stringify(read.body)).not.to.contain(String(r.body["token"]));
  });

  it("GET /invites lists the key's host, filtered by status and type, with a cursor", async () => {
    for (let i = 0; i < 3; i++) await call(admin, "POST", "/invites", {});
    const first = await call(admin, "GET", "/invites?status=pending&type=account&limit=2");
    expect(first.status).to.equal(200);
    expect((first.body["invites"] as Json[]).length).to.equal(2);
    expect(first.body["next_cursor"]).to.be.a("string");
    const next = await call(admin, "GET", `/invites?status=pending&type=account&limit=2&cursor=${encodeURIComponent(String(first.body["next_cursor"]))}`);
    expect(next.status).to.equal(200);
    const ids = new Set([...(first.body["invites"] as Json[]), ...(next.body["invites"] as Json[])].map((i) => i["id"]));
    expect(ids.size).to.equal((first.body["invites"] as Json[]).length + (next.body["invites"] as Json[]).length);
    for (const i of next.body["invites"] as Json[]) expect(i).to.include({ host: "localhost", status: "pending" });
  });

  it("PATCH changes uses, expiry and note; DELETE revokes; PATCH revoked:false un-revokes", async () => {
    const id = String(((await call(admin, "POST", "/invites", {})).body["invite"] as Json)["id"]);
    const p = await call(admin, "PATCH", `/invites/${id}`, { uses: 3, expires_after: "3d", note: "changed" });
    expect(p.status).to.equal(200);
    expect(p.body["invite"]).to.include({ uses_allowed: 3, note: "changed" });
    const d = await call(admin, "DELETE", `/invites/${id}`);
    expect(d.status).to.equal(200);
    expect(d.body["invite"]).to.include({ status: "revoked" });
    const u = await call(admin, "PATCH", `/invites/${id}`, { revoked: false });
    expect(u.body["invite"]).to.include({ status: "pending", revoked_at: null });
  });

  it("scopes: an operation, type or bound outside the key's scope is 403; other hosts' invites are 404", async () => {
    const createOnly = await makeKey("creator", "--max-uses", "2");
    expect((await call(createOnly, "GET", "/invites")).status).to.equal(403);
    expect((await call(createOnly, "POST", "/invites", { uses: 3 })).status).to.equal(403);
    expect((await call(createOnly, "POST", "/invites", { type: "reset", username: "bob" })).status).to.equal(403);
    expect((await call(createOnly, "POST", "/invites", { roles: ["prosody:admin"] })).status).to.equal(403);
    const created = await call(createOnly, "POST", "/invites", { uses: 2 });
    expect(created.status).to.equal(201);
    const id = String((created.body["invite"] as Json)["id"]);
    expect((await call(createOnly, "DELETE", `/invites/${id}`)).status).to.equal(403);
    const otherHost = (await t.runCtl(["mod_invites_api", "create", "other.example", "--scope", "all"])).stdout.trim();
    const r = await call(otherHost, "GET", `/invites/${id}`);
    expect(r.status).to.equal(404);
    expect(r.body["error"]).to.equal("invites_api.not_found");
  });

  it("bad bodies and parameters: 400 naming the field", async () => {
    const cases: [string, string, unknown, string][] = [
      ["POST", "/invites", { uses: 0 }, "uses"],
      ["POST", "/invites", { colour: "red" }, "colour"],
      ["POST", "/invites", { type: "party" }, "type"],
      ["POST", "/invites", { expires_after: "soon" }, "expires_after"],
      ["POST", "/invites", { expires_after: "1d", expires_at: "2099-01-01" }, "expires_after"],
      ["PATCH", "/invites/abc", {}, "at least one"],
      ["GET", "/invites?limit=9999", undefined, "limit"],
      ["GET", "/invites?status=pending&status=used", undefined, "status"],
      ["GET", "/invites/bad%20id", undefined, "id"],
    ];
    for (const [method, path, body, named] of cases) {
      const r = await call(admin, method, path, body);
      expect(r.status, `${method} ${path}`).to.equal(400);
      expect(String(r.body["message"]), `${method} ${path}`).to.contain(named);
    }
    const key = await fetch(`${base}/invites?key=${admin}`);
    expect(key.status).to.equal(400);
    expect(((await key.json()) as Json)["message"]).to.contain("Authorization");
  });

  it("a known path with another method: 405 with Allow", async () => {
    const res = await fetch(`${base}/invites`, { method: "PUT", headers: { Authorization: `Bearer ${admin}` } });
    expect(res.status).to.equal(405);
    expect(res.headers.get("allow")).to.equal("GET, POST, OPTIONS");
  });

  it("serves an OpenAPI 3.1 document whose paths and methods are exactly the router's routes", async () => {
    const res = await fetch(`${base}/openapi.json`);
    expect(res.status).to.equal(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, Record<string, unknown>> };
    expect(doc.openapi).to.equal("3.1.0");
    const documented = Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)).sort();
    const mount = t.host.mounts.find((m) => m.owner === "invites_api")!;
    const stack = (mount.router as unknown as { stack: { route?: { path: string; methods: Record<string, boolean> } }[] }).stack;
    const routed = stack.flatMap((l) => (l.route ? Object.keys(l.route.methods).map((m) => `${m.toUpperCase()} ${l.route!.path.replace(/:(\w+)/g, "{$1}")}`) : [])).sort();
    expect(routed).to.deep.equal(documented);
  });

  it("the OpenAPI document uses the very schema objects the validators compile", () => {
    const doc = openApiDocument("http://x/invites_api");
    expect(doc.paths["/v1/invites"].post.requestBody.content["application/json"].schema).to.equal(CreateInviteBody);
    expect(doc.paths["/v1/invites/{id}"].patch.requestBody.content["application/json"].schema).to.equal(UpdateInviteBody);
    expect(doc.paths["/v1/invites"].get.parameters.map((p) => p.schema)).to.deep.equal(Object.values(ListQuery.properties));
    expect(doc.paths["/v1/invites"].get.parameters[0]!.schema).to.equal(ListQuery.properties.status);
  });

  describe("keys act only on invites they could have made (security review)", () => {
    it("a --types account key with no roles cannot read, PATCH, revoke or list an admin-made prosody:admin invite", async () => {
      const invites = t.api<InvitesApi>("invites");
      const adminMade = await invites.createAccount({ host: "localhost", source: "ctl", roles: ["prosody:admin"], usesAllowed: 1 });
      await invites.revoke(adminMade.invite.id, "ctl");
      const narrow = await makeKey("shop", "--scope", "all", "--types", "account");
      const id = adminMade.invite.id;
      expect((await call(narrow, "GET", `/invites/${id}`)).status).to.equal(404);
      for (const body of [{ uses: 1 }, { expires_after: "1d" }, { revoked: false }]) {
        expect((await call(narrow, "PATCH", `/invites/${id}`, body)).status, JSON.stringify(body)).to.equal(404);
      }
      expect((await call(narrow, "DELETE", `/invites/${id}`)).status).to.equal(404);
      const listed = (await call(narrow, "GET", "/invites?limit=500")).body["invites"] as Json[];
      expect(listed.map((i) => i["id"])).to.not.include(id);
      const after = (await invites.getById(id))!;
      expect(after.revokedAt).to.not.equal(null);
      expect(after.usesAllowed).to.equal(1);
    });

    it("a key's PATCH cannot lift an invite out of its scope, and un-revoking needs create rights", async () => {
      const updater = await makeKey("updater", "--scope", "read,update,revoke", "--types", "account", "--max-uses", "5", "--max-expiry", "7d");
      const maker = await makeKey("maker", "--scope", "create", "--types", "account", "--max-uses", "5", "--max-expiry", "7d");
      const made = await call(maker, "POST", "/invites", { uses: 2 });
      const id = String((made.body["invite"] as Json)["id"]);
      expect((await call(updater, "PATCH", `/invites/${id}`, { uses: 50 })).status).to.equal(403);
      expect((await call(updater, "PATCH", `/invites/${id}`, { expires_after: "30d" })).status).to.equal(403);
      expect((await call(updater, "PATCH", `/invites/${id}`, { uses: 3 })).status).to.equal(200);
      expect((await call(updater, "DELETE", `/invites/${id}`)).status).to.equal(200);
      const back = await call(updater, "PATCH", `/invites/${id}`, { revoked: false });
      expect(back.status).to.equal(403);
      expect(String(back.body["message"])).to.contain("may not create");
    });

    it("a contact key names an inviter only for its own user, or any with --any-inviter", async () => {
      const plain = await makeKey("contacts", "--types", "contact");
      const refused = await call(plain, "POST", "/invites", { type: "contact", inviter: "admin@localhost" });
      expect(refused.status).to.equal(403);
      expect(String(refused.body["message"])).to.contain("may not name an inviter");
      const alices = await makeKey("alice's", "--types", "contact", "--inviter", "alice@localhost");
      expect((await call(alices, "POST", "/invites", { type: "contact", inviter: "admin@localhost" })).status).to.equal(403);
      const mine = await call(alices, "POST", "/invites", { type: "contact" });
      expect(mine.status).to.equal(201);
      expect((mine.body["invite"] as Json)["inviter"]).to.equal("alice@localhost");
      const any = await makeKey("portal", "--types", "contact", "--any-inviter");
      expect((await call(any, "POST", "/invites", { type: "contact", inviter: "bob@localhost" })).status).to.equal(201);
      const bad = await t.runCtl(["mod_invites_api", "create", "localhost", "x", "--inviter", "bob@other.example"]);
      expect(bad.code).to.equal(2);
    });

    it("a reset key leaves admins alone unless allowed, and keeps to its list of accounts", async () => {
      const reset = await makeKey("helpdesk", "--types", "reset");
      const root = await call(reset, "POST", "/invites", { type: "reset", username: "admin" });
      expect(root.status).to.equal(403);
      expect(String(root.body["message"])).to.contain("an administrator");
      expect((await call(reset, "POST", "/invites", { type: "reset", username: "bob" })).status).to.equal(201);
      const listed = await makeKey("helpdesk2", "--types", "reset", "--reset-users", "carol");
      expect((await call(listed, "POST", "/invites", { type: "reset", username: "bob" })).status).to.equal(403);
      expect((await call(listed, "POST", "/invites", { type: "reset", username: "carol" })).status).to.equal(201);
      const trusted = await makeKey("ops", "--types", "reset", "--reset-admins");
      expect((await call(trusted, "POST", "/invites", { type: "reset", username: "admin" })).status).to.equal(201);
    });
  });
});
