// The ad-hoc handlers run in a real host with the invites module and an in-memory store;
// requests are built as core's component link builds them.
import { expect } from "chai";
import type { AdhocResponse } from "../../core/types.js";
import { refusal, runner, type Runner } from "../helpers/adhoc.js";
import type { InvitesApi } from "../../modules/invites/types.js";
import { NODES } from "../../modules/invites_adhoc/index.js";
import { startTestHost, type TestHost } from "../helpers/host.js";

const field = (r: AdhocResponse, name: string) => r.form?.fields.find((f) => f.var === name);
const ADMIN = "admin@localhost";
const ROMEO = "romeo@localhost";
const JULIET = "juliet@localhost";

describe("invites_adhoc commands", () => {
  let t: TestHost;
  let invites: InvitesApi;
  let r: Runner;
  const start = async (options: Record<string, unknown> = {}, admins?: string[]) => {
    t = await startTestHost({ enabled: ["invites", "invites_adhoc"], options, ...(admins ? { admins } : {}) });
    invites = t.api<InvitesApi>("invites");
    r = runner(t);
  };
  afterEach(async () => { await t?.stop(); });

  describe("declaration", () => {
    it("provides the seven commands with their permissions", async () => {
      await start();
      const perms = Object.fromEntries([...t.host.commands.values()].map((c) => [c.node, c.permission]));
      expect(perms).to.deep.equal({
        [NODES.invite]: "local_user", [NODES.createAccount]: "admin", [NODES.reset]: "admin", [NODES.list]: "local_user",
        [NODES.listAll]: "admin", [NODES.revoke]: "local_user", [NODES.extend]: "local_user",
      });
    });

    it("follows allow_contact_invites and account_invite_users in what users are offered", async () => {
      await start({ allow_contact_invites: false, account_invite_users: ["localhost"] });
      expect(t.host.commands.get(NODES.invite)?.permission).to.equal("admin");
      expect(t.host.commands.get(NODES.createAccount)?.permission).to.equal("local_user");
    });
  });

  describe("urn:xmpp:invite#invite", () => {
    it("gives an ordinary user a contact invite in one stage, with the XEP-0401 result", async () => {
      await start();
      const res = await r.run(NODES.invite, ROMEO);
      expect(res.status).to.equal("completed");
      expect(field(res, "FORM_TYPE")?.value).to.equal("urn:xmpp:invite#invitation");
      expect(String(field(res, "uri")?.value)).to.match(/^xmpp:romeo@localhost\?roster;preauth=/);
      expect(String(field(res, "expire")?.value)).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      const stored = await invites.getById(String(field(res, "id")?.value));
      expect(stored).to.include({ type: "contact", inviter: ROMEO, host: "localhost", source: `adhoc/${ROMEO}` });
    });

    it("lets the invitee register when allow_user_invites is on, and always for admins", async () => {
      await start({ allow_user_invites: true });
      const user = await r.run(NODES.invite, ROMEO);
      expect((await invites.getById(String(field(user, "id")?.value)))?.type).to.equal("account_and_contact");
      await t.stop();
      await start();
      const admin = await r.run(NODES.invite, ADMIN);
      expect((await invites.getById(String(field(admin, "id")?.value)))?.type).to.equal("account_and_contact");
    });

    it("refuses a JID outside the served hosts, saying why: users by permission, admins with a note", async () => {
      await start({}, ["admin@localhost", "boss@elsewhere.example"]);
      const user = await refusal(r.run(NODES.invite, "mallory@elsewhere.example"));
      expect(user).to.include({ condition: "forbidden" });
      expect(user.message).to.contain("Only users of localhost may run");
      const res = await r.run(NODES.invite, "boss@elsewhere.example");
      expect(res.status).to.equal("completed");
      expect(res.notes?.[0]?.type).to.equal("error");
      expect(res.notes?.[0]?.text).to.contain("boss@elsewhere.example is not on a host served here (localhost)");
      expect((await invites.list({})).invites).to.have.length(0);
    });
  });

  describe("urn:xmpp:invite#create-account", () => {
    it("offers the XEP-0401 fields plus ours, typed", async () => {
      await start();
      const form = await r.run(NODES.createAccount, ADMIN);
      expect(form.status).to.equal("executing");
      const types = Object.fromEntries(form.form!.fields.map((f) => [f.var, f.type]));
      expect(types).to.deep.equal({
        username: "text-single", "roster-subscription": "boolean", "expires-after": "text-single", uses: "text-single",
        roles: "text-multi", groups: "text-multi", email: "text-single", note: "text-single", "short-code": "boolean", greeted: "boolean",
      });
    });

    it("stores every field the admin filled in", async () => {
      await start();
      const res = await r.run(NODES.createAccount, ADMIN, {
        username: "Juliet", "roster-subscription": "0", "expires-after": "2d", uses: "3", roles: ["prosody:registered", "tester"],
        groups: "family\nfriends", note: "from the ball", "short-code": "1", email: "juliet@example.org",
      });
      expect(res.status).to.equal("completed");
      const inv = (await invites.getById(String(field(res, "id")?.value)))!;
      expect(inv).to.include({ type: "account", username: "juliet", usesAllowed: 3, note: "from the ball", inviter: ADMIN, email: "juliet@example.org" });
      expect(inv.roles).to.deep.equal(["prosody:registered", "tester"]);
      expect(inv.groups).to.deep.equal(["family", "friends"]);
      // Both ends are read from the clock a moment apart.
      expect(inv.expiresAt - inv.createdAt).to.be.closeTo(2 * 86_400_000, 5_000);
      const code = field(res, "short-code")?.value;
      expect(code).to.be.a("string");
      expect((await invites.resolveShortCode(String(code))).invite?.id).to.equal(inv.id);
      expect(String(field(res, "uri")?.value)).to.match(/^xmpp:juliet@localhost\?register;preauth=/);
    });

    it("refuses an email field that is not an address, naming the field", async () => {
      await start();
      const bad = await refusal(r.run(NODES.createAccount, ADMIN, { email: "juliet at example.org" }));
      expect(bad.field).to.equal("email");
      expect(bad.message).to.include("email");
    });

    it("makes an account-and-contact invite when roster-subscription is true", async () => {
      await start();
      const res = await r.run(NODES.createAccount, ADMIN, { "roster-subscription": "1" });
      expect(await invites.getById(String(field(res, "id")?.value))).to.include({ type: "account_and_contact", inviter: ADMIN });
    });

    it("makes a roster-subscription invite on the requester's own host only", async () => {
      t = await startTestHost({ enabled: ["invites", "invites_adhoc"], hosts: ["localhost", "example.org"] });
      invites = t.api<InvitesApi>("invites");
      r = runner(t);
      expect(field(await r.run(NODES.createAccount, ADMIN), "host")).to.include({ type: "list-single", value: "localhost" });
      const e = await refusal(r.run(NODES.createAccount, ADMIN, { host: "example.org", "roster-subscription": "1" }));
      expect(e).to.include({ condition: "bad-request", field: "roster-subscription" });
      const ok = await r.run(NODES.createAccount, ADMIN, { host: "example.org" });
      expect(await invites.getById(String(field(ok, "id")?.value))).to.include({ type: "account", host: "example.org" });
    });

    it("answers bad values with bad-request naming the field", async () => {
      await start();
      for (const [name, value] of [["expires-after", "soon"], ["uses", "0"], ["username", "a@b"], ["roster-subscription", "maybe"]] as const) {
        const e = await refusal(r.run(NODES.createAccount, ADMIN, { [name]: value }));
        expect(e.condition, name).to.equal("bad-request");
        expect(e.message, name).to.contain(`"${name}"`);
      }
    });

    it("refuses users not allowed by config, and admin-only fields for allowed users", async () => {
      await start();
      expect(await refusal(r.run(NODES.createAccount, ROMEO))).to.include({ condition: "forbidden" });
      await t.stop();
      await start({ account_invite_users: [ROMEO] });
      expect((await r.run(NODES.createAccount, ROMEO)).form?.fields.map((f) => f.var)).to.not.include("roles");
      // The user's form has no roles field, so core refuses it before the command runs.
      const e = await refusal(r.run(NODES.createAccount, ROMEO, { roles: "prosody:admin" }));
      expect(e).to.include({ condition: "bad-request", field: "roles" });
      expect(e.message).to.equal('Field "roles" is not part of this form');
      expect((await invites.list({})).invites).to.have.length(0);
      const ok = await r.run(NODES.createAccount, ROMEO, { note: "for my sister" });
      expect(await invites.getById(String(field(ok, "id")?.value))).to.include({ type: "account", inviter: ROMEO });
      expect(await refusal(r.run(NODES.createAccount, JULIET))).to.include({ condition: "forbidden" });
    });

    it("caps the expiry a user may choose", async () => {
      await start({ account_invite_users: ["localhost"], max_user_invite_expiry: "1 week" });
      const e = await refusal(r.run(NODES.createAccount, ROMEO, { "expires-after": "2 weeks" }));
      expect(e).to.include({ condition: "bad-request", field: "expires-after" });
      expect(e.message).to.contain("at most 1w");
    });
  });

  describe("password reset", () => {
    it("creates a reset invite for accountjid", async () => {
      await start();
      const form = await r.run(NODES.reset, ADMIN);
      expect(form.form?.fields[0]).to.include({ var: "accountjid", type: "jid-single", required: true });
      const res = await r.run(NODES.reset, ADMIN, { accountjid: JULIET });
      expect(await invites.getById(String(field(res, "id")?.value))).to.include({ type: "reset", username: "juliet", host: "localhost" });
    });

    it("refuses an accountjid that is not a local account, naming the field", async () => {
      await start();
      for (const bad of ["juliet@elsewhere.example", "localhost", "", "a b@localhost"]) {
        const e = await refusal(r.run(NODES.reset, ADMIN, { accountjid: bad }));
        expect(e, bad).to.include({ condition: "bad-request", field: "accountjid" });
      }
    });
  });

  describe("list, revoke, extend", () => {
    it("lists my invites only, and all invites with a filter for admins", async () => {
      await start();
      await r.run(NODES.invite, ROMEO);
      await r.run(NODES.invite, ROMEO);
      await r.run(NODES.invite, JULIET);
      const mine = await r.run(NODES.list, ROMEO);
      expect(mine.status).to.equal("completed");
      expect(mine.form?.fields).to.have.length(2);
      expect(mine.form?.fields.every((f) => f.type === "fixed" && String(f.value).includes("pending"))).to.equal(true);
      const all = await r.run(NODES.listAll, ADMIN, { status: "pending", inviter: JULIET });
      expect(all.form?.fields).to.have.length(1);
      expect(String(all.form?.fields[0]?.value)).to.contain(`by ${JULIET}`);
      expect((await refusal(r.run(NODES.listAll, ADMIN, { status: "lost" })))).to.include({ field: "status", condition: "bad-request" });
    });

    it("pages long lists with next and prev", async () => {
      await start();
      for (let i = 0; i < 45; i++) await r.run(NODES.invite, ADMIN);
      const p1 = await r.run(NODES.list, ADMIN);
      expect(p1.status).to.equal("executing");
      expect(p1.actions).to.deep.equal(["next", "complete"]);
      expect(p1.form?.fields).to.have.length(20);
      const p2 = await r.step(NODES.list, ADMIN, "next", p1);
      expect(p2.status).to.equal("executing");
      expect(p2.actions).to.deep.equal(["prev", "next", "complete"]);
      const back = await r.step(NODES.list, ADMIN, "prev", p1);
      expect(back.form?.fields.map((f) => f.value)).to.deep.equal(p1.form?.fields.map((f) => f.value));
      await r.step(NODES.list, ADMIN, "next", p1);
      const p3 = await r.step(NODES.list, ADMIN, "next", p1);
      expect(p3.status).to.equal("completed");
      expect(p3.form?.fields).to.have.length(5);
      const other = await r.run(NODES.list, ADMIN);
      expect((await r.step(NODES.list, ADMIN, "complete", other)).status).to.equal("completed");
    });

    it("lets a user revoke their own invite, not someone else's; admins any", async () => {
      await start();
      const a = String(field(await r.run(NODES.invite, ROMEO), "id")?.value);
      const b = String(field(await r.run(NODES.invite, JULIET), "id")?.value);
      const pick = await r.run(NODES.revoke, ROMEO);
      expect(pick.form?.fields[0]?.type).to.equal("list-single");
      expect(pick.form?.fields[0]?.options?.map((o) => o.value)).to.deep.equal([a]);
      // Someone else's invite and no invite at all get the same answer.
      const e = await refusal(r.run(NODES.revoke, ROMEO, { invite: b }));
      const none = await refusal(r.run(NODES.revoke, ROMEO, { invite: "AAAAAAAAAAAA" }));
      expect(e.condition).to.equal("item-not-found");
      expect(e.message).to.contain("only revoke your own");
      expect(e.message.replace(b, "X")).to.equal(none.message.replace("AAAAAAAAAAAA", "X"));
      await r.run(NODES.revoke, ROMEO, { invite: a });
      expect(invites.status((await invites.getById(a))!)).to.equal("revoked");
      await r.run(NODES.revoke, ADMIN, { invite: b });
      expect(invites.status((await invites.getById(b))!)).to.equal("revoked");
      expect(await refusal(r.run(NODES.revoke, ADMIN, { invite: "nosuchinvite" }))).to.include({ condition: "item-not-found", field: "invite" });
      expect((await r.run(NODES.revoke, ROMEO)).notes?.[0]?.text).to.contain("no pending invites");
    });

    it("limits a user's misses when naming invites to revoke or extend", async () => {
      await start();
      await r.run(NODES.invite, ROMEO);
      const codes: string[] = [];
      for (let i = 0; i < 12; i++) codes.push((await refusal(r.submit(NODES.revoke, ROMEO, { invite: `guess${String(i).padStart(7, "0")}` }))).condition);
      expect(codes.slice(0, 10)).to.deep.equal(Array(10).fill("item-not-found"));
      expect(codes.slice(10)).to.deep.equal(["policy-violation", "policy-violation"]);
      // Another user is not affected.
      await r.run(NODES.invite, JULIET);
      expect((await refusal(r.submit(NODES.revoke, JULIET, { invite: "guess" }))).condition).to.equal("item-not-found");
    });

    it("extends a revoked invite back to life, but not a used one", async () => {
      await start();
      const res = await r.run(NODES.invite, ROMEO);
      const id = String(field(res, "id")?.value);
      await r.run(NODES.revoke, ROMEO, { invite: id });
      const done = await r.run(NODES.extend, ROMEO, { invite: id, "expires-after": "3d" });
      expect(done.notes?.[0]?.text).to.contain("valid until");
      const inv = (await invites.getById(id))!;
      expect(invites.status(inv)).to.equal("pending");
      expect(inv.expiresAt).to.be.greaterThan(Date.now() + 2 * 86_400_000);

      const token = String(field(res, "uri")?.value).split("preauth=")[1]!.split(";")[0]!;
      await invites.complete(await invites.reserve(token, "nurse"));
      // A used invite is not offered; submitted anyway (by id), it is refused with the reason.
      expect((await r.run(NODES.extend, ROMEO)).notes?.[0]?.text).to.contain("no invites that can be extended");
      await r.run(NODES.invite, ROMEO);
      await r.run(NODES.invite, JULIET);
      const submit = (from: string) => r.submit(NODES.extend, from, { invite: id, "expires-after": "3d" });
      const e = await refusal(submit(ROMEO));
      expect(e.condition).to.equal("not-allowed");
      expect(e.message).to.contain("used up");
      expect(await refusal(submit(JULIET))).to.include({ condition: "item-not-found" });
    });
  });

  describe("quota", () => {
    it("stops a user at max_pending_invites_per_user until one is revoked; admins exempt", async () => {
      await start({ max_pending_invites_per_user: 2 });
      const first = String(field(await r.run(NODES.invite, ROMEO), "id")?.value);
      await r.run(NODES.invite, ROMEO);
      const e = await refusal(r.run(NODES.invite, ROMEO));
      expect(e.condition).to.equal("policy-violation");
      expect(e.message).to.contain("max_pending_invites_per_user = 2");
      await r.run(NODES.revoke, ROMEO, { invite: first });
      expect((await r.run(NODES.invite, ROMEO)).status).to.equal("completed");
      // Bringing the revoked one back would make three pending.
      expect(await refusal(r.run(NODES.extend, ROMEO, { invite: first, "expires-after": "1d" }))).to.include({ condition: "policy-violation" });
      for (let i = 0; i < 3; i++) expect((await r.run(NODES.invite, ADMIN)).status).to.equal("completed");
    });

    it("stops a user at max_invites_per_day even after revoking", async () => {
      await start({ max_invites_per_day: 2 });
      const ids = [];
      for (let i = 0; i < 2; i++) ids.push(String(field(await r.run(NODES.invite, ROMEO), "id")?.value));
      for (const id of ids) await r.run(NODES.revoke, ROMEO, { invite: id });
      const e = await refusal(r.run(NODES.invite, ROMEO));
      expect(e.condition).to.equal("policy-violation");
      expect(e.message).to.contain("max_invites_per_day = 2");
      expect((await r.run(NODES.invite, JULIET)).status).to.equal("completed");
    });

    it("gives the day's slot back when creation fails", async () => {
      await start({ max_invites_per_day: 1, account_invite_users: [ROMEO] });
      await refusal(r.run(NODES.createAccount, ROMEO, { username: "bad name@x" }));
      expect((await r.run(NODES.createAccount, ROMEO, {})).status).to.equal("completed");
    });
  });
});
