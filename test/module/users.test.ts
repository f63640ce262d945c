// Deactivating users (invites_users): the lock on the server, invites revoked, keys deleted,
// the record, reactivation, the invite tree after a confirmation; through the ctl, the admin
// ad-hoc commands and the JSON API. The XMPP server is in memory here (it can offer
// disable-user or not); test/integration/users.test.ts runs the real Prosody and ejabberd.
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import type { InvitesRegisterApi } from "../../modules/invites_register/types.js";
import { USER_NODES } from "../../modules/invites_users/index.js";
import type { InvitesUsersApi } from "../../modules/invites_users/types.js";
import { refusal, runner } from "../helpers/adhoc.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { attach, MemoryAdmin } from "../helpers/memory-admin.js";

const PASSWORD = "a long password";

describe("deactivating users", () => {
  let h: TestHost;
  let admin: MemoryAdmin;
  let invites: InvitesApi;
  let register: InvitesRegisterApi;

  beforeEach(async () => {
    h = await startTestHost({ enabled: ["invites", "invites_page", "invites_register", "invites_api", "invites_users"], http: true, admins: ["admin@localhost"] });
    admin = new MemoryAdmin();
    attach(h.host, admin);
    invites = h.api<InvitesApi>("invites");
    register = h.api<InvitesRegisterApi>("invites_register");
  });
  afterEach(() => h.stop());

  /** An account made through an invite of `inviter` (so that the invite tree knows who invited whom). */
  async function invited(user: string, inviter: string | null): Promise<string> {
    const c = await invites.createAccount({ host: "localhost", source: "test", inviter });
    const done = await register.register({ token: c.token, username: user, password: PASSWORD, ip: undefined, source: "web" });
    return done.jid;
  }
  const key = async (...args: string[]) => {
    const r = await h.runCtl(["mod_invites_api", "create", "localhost", ...args]);
    expect(r.code, r.stderr).to.equal(0);
    return r.stdout.trim();
  };
  const call = (k: string, method: string, path: string, body?: unknown) => fetch(new URL(`/invites_api${path}`, h.baseUrl), {
    method, headers: { authorization: `Bearer ${k}`, ...(body ? { "content-type": "application/json" } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}),
  });

  it("locks the account with an unusable password where the server offers no disable-user, ends its sessions, revokes its pending invites, deletes its keys, and records who and when", async () => {
    const dan = await invited("dan", null);
    admin.online.add(dan);
    const pending = await invites.createContact({ host: "localhost", source: "adhoc/dan@localhost", inviter: dan });
    const used = await invites.createAccount({ host: "localhost", source: "adhoc/dan@localhost", inviter: dan });
    await register.register({ token: used.token, username: "eli", password: PASSWORD, ip: undefined, source: "web" });
    const other = await invites.createAccount({ host: "localhost", source: "ctl" });
    const dansKey = await key("for dan", "--inviter", "dan@localhost", "--scope", "create,list");
    const otherKey = await key("portal");

    const r = await h.runCtl(["user", "deactivate", "dan@localhost"]);
    expect(r.code, r.stderr).to.equal(0);
    expect(r.stdout).to.include("dan@localhost: deactivated by ctl").and.include("unusable random one").and.include("sessions: ended").and.include("invites revoked: 1").and.include("API keys deleted: 1");

    expect(admin.canLogIn(dan, PASSWORD)).to.equal(false);
    expect(admin.online.has(dan)).to.equal(false);
    expect(invites.status((await invites.getById(pending.invite.id))!)).to.equal("revoked");
    expect(invites.status((await invites.getById(used.invite.id))!)).to.equal("used");
    expect(invites.status((await invites.getById(other.invite.id))!)).to.equal("pending");
    expect((await call(dansKey, "GET", "/v1/invites")).status).to.equal(401);
    expect((await call(otherKey, "POST", "/")).status).to.equal(201);

    const shown = await h.runCtl(["user", "deactivation", "dan@localhost", "--json"]);
    const rec = JSON.parse(shown.stdout) as Record<string, unknown>;
    expect(rec).to.include({ jid: "dan@localhost", lock: "password", sessions_ended: true, invites_revoked: 1, keys_deleted: 1, reactivated_at: null });
    expect(String(rec["deactivated_by"])).to.match(/^ctl/);
    expect(Date.parse(String(rec["deactivated_at"]))).to.be.closeTo(h.clock.now(), 5_000);
  });

  it("reactivates a password-locked account with a reset invite that lets its owner set a new password", async () => {
    const fay = await invited("fay", null);
    expect((await h.runCtl(["user", "deactivate", fay])).code).to.equal(0);
    const r = await h.runCtl(["user", "reactivate", fay]);
    expect(r.code, r.stderr).to.equal(0);
    const link = r.stdout.split("\n").find((l) => l.startsWith("http"))!;
    const token = new URL(link).search.slice(1);
    expect(await register.reset({ token, password: "a brand new password" })).to.equal(fay);
    expect(admin.canLogIn(fay, "a brand new password")).to.equal(true);
    expect((await h.runCtl(["user", "reactivate", fay])).stderr).to.include("is not deactivated");
  });

  it("uses XEP-0133 disable-user where the server offers it, and reenable-user to reactivate", async () => {
    admin.adminCommands.push("disable-user", "reenable-user");
    const gus = await invited("gus", null);
    const r = await h.runCtl(["user", "deactivate", gus, "--json"]);
    expect(JSON.parse(r.stdout).deactivated[0]).to.include({ jid: gus, lock: "disabled" });
    expect(admin.disabled.has(gus)).to.equal(true);
    expect(admin.accounts.get(gus)).to.equal(PASSWORD);
    expect(admin.canLogIn(gus, PASSWORD)).to.equal(false);
    const back = await h.runCtl(["user", "reactivate", gus]);
    expect(back.stdout).to.include("re-enabled");
    expect(admin.canLogIn(gus, PASSWORD)).to.equal(true);
  });

  it("changes nothing while the XMPP server is unreachable, and says so", async () => {
    const hal = await invited("hal", null);
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: hal });
    admin.connected = false;
    const r = await refusal(h.api<InvitesUsersApi>("invites_users").deactivate(hal, "test"));
    expect(r.code).to.equal("admin.not_connected");
    expect(r.message).to.include("not reachable").and.include("nothing was changed");
    expect(invites.status((await invites.getById(c.invite.id))!)).to.equal("pending");
  });

  it("names a JID that is not an account here", async () => {
    for (const bad of ["nobody", "x@elsewhere.example", "a/b@localhost", "@localhost"]) {
      const r = await h.runCtl(["user", "deactivate", bad]);
      expect(r.code, bad).to.equal(2);
      expect(r.stderr).to.include("is not an account of a host served here");
    }
  });

  it("--tree lists the branch and changes nothing without --yes; with --yes deactivates all of it", async () => {
    const ivy = await invited("ivy", null);
    const jon = await invited("jon", ivy);
    const kim = await invited("kim", jon);
    const lea = await invited("lea", null);
    const preview = await h.runCtl(["user", "deactivate", ivy, "--tree"]);
    expect(preview.code).to.equal(1);
    expect(preview.stdout).to.include("This deactivates 3 account(s)").and.include(jon).and.include(kim).and.not.include(lea);
    expect(preview.stderr).to.include("--yes");
    expect(admin.canLogIn(ivy, PASSWORD)).to.equal(true);
    const done = await h.runCtl(["user", "deactivate", ivy, "--tree", "--yes"]);
    expect(done.code, done.stderr).to.equal(0);
    for (const j of [ivy, jon, kim]) expect(admin.canLogIn(j, PASSWORD), j).to.equal(false);
    expect(admin.canLogIn(lea, PASSWORD)).to.equal(true);
  });

  it("offers admins an ad-hoc command, with a confirmation stage for a branch, and refuses their own account and other admins'", async () => {
    const run = runner(h);
    const max = await invited("max", null);
    const ned = await invited("ned", max);
    admin.accounts.set("admin@localhost", PASSWORD);
    expect((await refusal(run.run(USER_NODES.deactivate, "admin@localhost", { jid: "admin@localhost", tree: "false" }))).message).to.include("your own account");
    expect((await refusal(run.run(USER_NODES.deactivate, "max@localhost", { jid: ned, tree: "false" }))).condition).to.equal("forbidden");

    const first = await run.run(USER_NODES.deactivate, "admin@localhost", { jid: max, tree: "true" });
    expect(first.status).to.equal("executing");
    expect(first.form!.instructions).to.include(max).and.include(ned);
    const no = await run.step(USER_NODES.deactivate, "admin@localhost", "complete", first, { confirm: "false" });
    expect(no.notes![0]!.text).to.equal("Nothing was changed.");
    expect(admin.canLogIn(ned, PASSWORD)).to.equal(true);

    const again = await run.run(USER_NODES.deactivate, "admin@localhost", { jid: max, tree: "true" });
    const yes = await run.step(USER_NODES.deactivate, "admin@localhost", "complete", again, { confirm: "true" });
    expect(yes.status).to.equal("completed");
    expect(yes.notes![0]!.text).to.include(`${max}: deactivated by admin@localhost`).and.include(`${ned}: deactivated by admin@localhost`);
    expect(admin.canLogIn(max, PASSWORD) || admin.canLogIn(ned, PASSWORD)).to.equal(false);
  });

  it("deactivates and reactivates through the JSON API with a key whose scope names deactivate (never with all alone)", async () => {
    const oli = await invited("oli", null);
    const all = await key("everything", "--scope", "all", "--types", "all");
    const refused = await call(all, "POST", `/v1/users/${oli}/deactivate`);
    expect(refused.status).to.equal(403);
    expect(((await refused.json()) as { message: string }).message).to.include("may not deactivate users");

    const ops = await key("ops", "--scope", "deactivate,signatures");
    expect((await call(ops, "POST", "/v1/users/admin@localhost/deactivate")).status).to.equal(403);
    expect((await call(ops, "POST", `/v1/users/${oli}/deactivate`, { tree: "yes" })).status).to.equal(400);
    const res = await call(ops, "POST", `/v1/users/${oli}/deactivate`);
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { deactivated: { jid: string; lock: string; by: string }[] };
    expect(body.deactivated[0]).to.include({ jid: oli, lock: "password", by: `api/key/${ops.split("/")[0]}` });
    expect(admin.canLogIn(oli, PASSWORD)).to.equal(false);
    const back = await call(ops, "POST", `/v1/users/${oli}/reactivate`);
    expect(((await back.json()) as { done: string; reset_link: string }).done).to.equal("reset invite");

    const doc = (await (await fetch(new URL("/invites_api/v1/openapi.json", h.baseUrl))).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).to.include.members(["/v1/users/{jid}/deactivate", "/v1/users/{jid}/reactivate", "/v1/agreements", "/v1/signatures"]);
  });

  it("answers an unknown method on its routes with 405 naming the allowed ones", async () => {
    const ops = await key("ops", "--scope", "deactivate");
    const res = await call(ops, "GET", "/v1/users/x@localhost/deactivate");
    expect(res.status).to.equal(405);
    expect(res.headers.get("allow")).to.equal("POST, OPTIONS");
  });
});

describe("agreements and signatures in the JSON API", () => {
  let h: TestHost;
  const admin = new MemoryAdmin();

  before(async () => {
    h = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_api", "invites_users"], http: true,
      options: { agreements: [{ id: "terms", title: { en: "Terms", fr: "Conditions" }, text: { en: "Be kind.", fr: "Soyez aimable." } }] },
    });
    attach(h.host, admin);
  });
  after(() => h.stop());

  it("lists the agreements and the signatures of the key's host, and refuses a key without the signatures scope", async () => {
    const register = h.api<InvitesRegisterApi>("invites_register");
    const [terms] = register.agreements("localhost");
    const c = await h.api<InvitesApi>("invites").createAccount({ host: "localhost", source: "test" });
    await register.register({ token: c.token, username: "pia", password: PASSWORD, ip: undefined, source: "web", accepted: [{ id: "terms", version: terms!.version }] });
    const k = (await h.runCtl(["mod_invites_api", "create", "localhost", "auditor", "--scope", "signatures"])).stdout.trim();
    const get = (path: string, key = k) => fetch(new URL(`/invites_api${path}`, h.baseUrl), { headers: { authorization: `Bearer ${key}` } });

    const a = (await (await get("/v1/agreements")).json()) as { agreements: { id: string; version: string }[] };
    expect(a.agreements).to.deep.equal([{ id: "terms", version: terms!.version, title: { en: "Terms", fr: "Conditions" } }]);
    const s = (await (await get("/v1/signatures?jid=pia@localhost")).json()) as { signatures: { jid: string; agreement: string; version: string }[]; next_cursor: null };
    expect(s.signatures.map((x) => [x.jid, x.agreement, x.version])).to.deep.equal([["pia@localhost", "terms", terms!.version]]);
    expect((await get("/v1/signatures?jid=pia@localhost&jid=x@localhost")).status).to.equal(400);
    expect((await get("/v1/signatures?what=1")).status).to.equal(400);
    const creator = (await h.runCtl(["mod_invites_api", "create", "localhost", "shop"])).stdout.trim();
    expect((await get("/v1/signatures", creator)).status).to.equal(403);
  });
});
