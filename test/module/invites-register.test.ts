import { expect } from "chai";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { adminErrors, type AdminPort, type Capability, type RosterItem, type ServerCapabilities } from "../../core/admin.js";
import { defineErrors } from "../../core/errors.js";
import { defineModule } from "../../core/types.js";
import type { InvitesApi } from "../../modules/invites/types.js";
import type { InvitesRegisterApi } from "../../modules/invites_register/types.js";

/** An in-memory XMPP server behind the admin port. */
class FakeAdmin implements AdminPort {
  accounts = new Map<string, string>();
  rosters = new Map<string, RosterItem[]>();
  down = false;
  calls: string[] = [];
  privileges = { roster: "both" };
  get connected() { return !this.down; }
  private check(op: string) { this.calls.push(op); if (this.down) throw adminErrors.not_connected(); }
  async createAccount(jid: string, password: string) {
    this.check(`create ${jid}`);
    // As Prosody refuses a password its SASLprep profile rejects.
    if (password.includes("\u{1FAE8}")) throw adminErrors.refused("Invalid password");
    if (this.accounts.has(jid)) throw adminErrors.username_taken();
    this.accounts.set(jid, password);
  }
  async changePassword(jid: string, password: string) {
    this.check(`password ${jid}`);
    if (!this.accounts.has(jid)) throw adminErrors.no_such_user();
    this.accounts.set(jid, password);
  }
  async deleteAccount(jid: string) { this.check(`delete ${jid}`); this.accounts.delete(jid); }
  async disableAccount() {}
  async enableAccount() {}
  async endSessions() {}
  async accountExists(jid: string) { this.check(`exists ${jid}`); return this.accounts.has(jid); }
  async getRoster(jid: string) { this.check(`roster ${jid}`); return this.rosters.get(jid) ?? []; }
  async setRosterItem(jid: string, item: RosterItem) {
    this.check(`roster-set ${jid}`);
    this.rosters.set(jid, [...(this.rosters.get(jid) ?? []).filter((i) => i.jid !== item.jid), item]);
  }
  /** Whether a contact backend works here (as the capabilities of a real server say). */
  contactsWork = true;
  get capabilities(): ServerCapabilities {
    const cap = (ok: boolean): Capability => (ok ? { ok, via: "test" } : { ok, via: "test", why: "this test server has no contact backend", fix: "none" });
    return { known: !this.down, hosts: this.down ? {} : { localhost: { host: "localhost", adminCommands: [], apiCommands: [], accounts: cap(true), passwordChange: cap(true), accountCheck: cap(true), contacts: cap(this.contactsWork) } } };
  }
  async getProfile() { return { via: "none" }; }
  async makeMutualContacts(a: { jid: string; name: string }, b: { jid: string; name: string }) {
    if (!this.contactsWork) throw adminErrors.unsupported("this test server has no contact backend");
    await this.setRosterItem(a.jid, { jid: b.jid, name: b.name, subscription: "both", groups: [] });
    await this.setRosterItem(b.jid, { jid: a.jid, name: a.name, subscription: "both", groups: [] });
    return { via: "test" };
  }
}

const vetoErrors = defineErrors("gatekeeper", { reserved: { status: 403, type: "cancel", condition: "not-allowed", message: "The name \"admin\" is reserved" } });
const gatekeeper = defineModule({
  name: "gatekeeper",
  setup(mod) {
    mod.hook("user-registering", (ev) => { if (ev.username === "admin") throw vetoErrors.reserved(); });
  },
});

describe("invites_register module", () => {
  let h: TestHost;
  let invites: InvitesApi;
  const admin = new FakeAdmin();

  before(async () => {
    h = await startTestHost({
      modules: [gatekeeper], enabled: ["invites", "invites_page", "invites_register", "gatekeeper"], http: true,
      options: { site_name: "Example Chat", invites_page_rate_limit: 0, register_rate_limit: 0, password_policy: { length: 10 } },
    });
    h.host.link = { start: async () => {}, stop: async () => {}, connected: true, lastError: undefined, admin };
    invites = h.api<InvitesApi>("invites");
  });
  after(() => h.stop());
  beforeEach(() => { admin.down = false; });

  /** Loads the form like a browser: keeps the CSRF cookie and the hidden fields. */
  async function openForm(path: string, lang?: string) {
    const res = await fetch(new URL(path, h.baseUrl), { headers: lang ? { "accept-language": lang } : {} });
    const html = await res.text();
    const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
    const submit = async (fields: Record<string, string>) => {
      const r = await fetch(new URL(path, h.baseUrl), {
        method: "POST", redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie, ...(lang ? { "accept-language": lang } : {}) },
        body: new URLSearchParams({ csrf, ...fields }),
      });
      return { status: r.status, headers: r.headers, body: await r.text() };
    };
    return { status: res.status, html, cookie, csrf, headers: res.headers, submit };
  }

  it("registers through the form, spends the invite and shows the new address with no-store", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const form = await openForm(`/register?t=${c.token}&c=gajim`);
    expect(form.status).to.equal(200);
    expect(form.html).to.include('name="user"').and.include('name="password"').and.include(`name="token" value="${c.token}"`).and.include('name="app_id" value="gajim"');
    expect(form.cookie).to.match(/^xi_csrf=/);
    const done = await form.submit({ user: "Carol", password: "a long password", token: c.token, app_id: "gajim" });
    expect(done.status).to.equal(200);
    expect(done.headers.get("cache-control")).to.equal("no-store");
    expect(done.body).to.include("carol@localhost").and.include("Start Gajim");
    expect(admin.accounts.get("carol@localhost")).to.equal("a long password");
    expect((await invites.validate(c.token)).ok).to.equal(false);
    expect((await invites.get(c.token))!.usesCompleted).to.equal(1);
  });

  it("refuses a form without the CSRF cookie", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const form = await openForm(`/register?t=${c.token}`);
    const res = await fetch(new URL("/register", h.baseUrl), {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ csrf: form.csrf, user: "mallory", password: "a long password", token: c.token }),
    });
    expect(res.status).to.equal(403);
    expect(await res.text()).to.include("This form has expired");
    expect(admin.accounts.has("mallory@localhost")).to.equal(false);
  });

  it("checks the username rules, availability and the password policy, keeping the invite", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const form = await openForm(`/register?t=${c.token}`);
    const spaced = await form.submit({ user: "two words", password: "a long password", token: c.token });
    expect(spaced.status).to.equal(400);
    expect(spaced.body).to.include("This username cannot be used: spaces are not allowed");
    admin.accounts.set("taken@localhost", "x");
    const taken = await form.submit({ user: "taken", password: "a long password", token: c.token });
    expect(taken.status).to.equal(409);
    expect(taken.body).to.include("already taken");
    const short = await form.submit({ user: "dave", password: "short", token: c.token });
    expect(short.status).to.equal(400);
    expect(short.body).to.include("at least 10 characters");
    const same = await form.submit({ user: "dave", password: "dave-password", token: c.token });
    expect(same.body).to.include("must not contain the username");
    expect((await invites.validate(c.token)).ok).to.equal(true);
  });

  it("accepts only the bound username on a username-bound invite", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", username: "erin" });
    const form = await openForm(`/register?t=${c.token}`);
    expect(form.html).to.match(/name="user" value="erin"[^>]*readonly/);
    const other = await form.submit({ user: "mallory", password: "a long password", token: c.token });
    expect(other.status).to.equal(403);
    expect(other.body).to.include("This invite is for the username erin only.");
    expect(admin.accounts.has("mallory@localhost")).to.equal(false);
    const ok = await form.submit({ user: "erin", password: "a long password", token: c.token });
    expect(ok.status).to.equal(200);
    expect(admin.accounts.has("erin@localhost")).to.equal(true);
  });

  it("answers 422 with a clear message when the server refuses the password, and spends nothing", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const form = await openForm(`/register?t=${c.token}`);
    const res = await form.submit({ user: "quinn", password: "a long password \u{1FAE8}", token: c.token });
    expect(res.status).to.equal(422);
    expect(res.body).to.include("The server did not accept this username and password.");
    expect(admin.accounts.has("quinn@localhost")).to.equal(false);
    expect((await invites.get(c.token))!.usesPending).to.equal(0);
    expect((await invites.validate(c.token)).ok).to.equal(true);
  });

  it("lets a user-registering handler veto with its reason, and releases the invite", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const form = await openForm(`/register?t=${c.token}`);
    const res = await form.submit({ user: "admin", password: "a long password", token: c.token });
    expect(res.status).to.equal(403);
    expect(res.body).to.include("Registration was refused: The name &quot;admin&quot; is reserved");
    expect(admin.accounts.has("admin@localhost")).to.equal(false);
    const invite = (await invites.get(c.token))!;
    expect(invite.usesPending).to.equal(0);
    expect((await invites.validate(c.token)).ok).to.equal(true);
  });

  it("gives a 503 try-again page when the server is down, and the invite is still usable", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const form = await openForm(`/register?t=${c.token}`);
    admin.down = true;
    const down = await form.submit({ user: "frank", password: "a long password", token: c.token });
    expect(down.status).to.equal(503);
    expect(down.body).to.include("Please try again shortly").and.not.include("Error:");
    admin.down = false;
    const ok = await form.submit({ user: "frank", password: "a long password", token: c.token });
    expect(ok.status).to.equal(200);
    expect(admin.accounts.has("frank@localhost")).to.equal(true);
  });

  it("says \"try again shortly\", not \"already used\", while the only use is held during an XMPP server outage", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const form = await openForm(`/register?t=${c.token}`);
    // A registration that began as the server went away: its use is held until recovery knows.
    const held = await invites.reserve(c.token, "uma");
    admin.down = true;
    const retry = await form.submit({ user: "uma", password: "a long password", token: c.token });
    expect(retry.status).to.equal(503);
    expect(retry.body).to.include("Please try again shortly");
    expect((await fetch(new URL(`/register?t=${c.token}`, h.baseUrl))).status).to.equal(503);
    admin.down = false;
    const back = await form.submit({ user: "uma", password: "a long password", token: c.token });
    expect(back.status, "once the server is back, a held use is what it is: in use").to.equal(410);
    await invites.release(held);
  });

  it("resets the bound account's password and never creates an account", async () => {
    admin.accounts.set("gina@localhost", "old password!");
    const c = await invites.createReset({ host: "localhost", source: "test", username: "gina" });
    const form = await openForm(`/register?t=${c.token}`);
    expect(form.html).to.include("Reset your password").and.include("gina@localhost").and.not.include('id="user"');
    const before = admin.accounts.size;
    const res = await form.submit({ user: "someone-else", password: "new password!", token: c.token });
    expect(res.status).to.equal(200);
    expect(res.body).to.include("Password changed");
    expect(admin.accounts.get("gina@localhost")).to.equal("new password!");
    expect(admin.accounts.size).to.equal(before);
    expect(admin.calls.some((op) => op.startsWith("create gina") || op.startsWith("create someone"))).to.equal(false);

    const ghost = await invites.createReset({ host: "localhost", source: "test", username: "ghost" });
    const gform = await openForm(`/register?t=${ghost.token}`);
    const gres = await gform.submit({ password: "new password!", token: ghost.token });
    expect(gres.status).to.equal(404);
    expect(admin.accounts.has("ghost@localhost")).to.equal(false);
    expect((await invites.validate(ghost.token)).ok).to.equal(true);
  });

  it("makes inviter and new user mutual contacts and records roles and groups", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true, roles: ["prosody:member"], groups: ["friends"] });
    const form = await openForm(`/register?t=${c.token}`);
    const res = await form.submit({ user: "hugo", password: "a long password", token: c.token });
    expect(res.status).to.equal(200);
    expect(res.body).to.include("ann is already in your contacts.");
    expect(admin.rosters.get("ann@localhost")).to.deep.include({ jid: "hugo@localhost", name: "hugo", subscription: "both", groups: [] });
    expect(admin.rosters.get("hugo@localhost")).to.deep.include({ jid: "ann@localhost", name: "ann", subscription: "both", groups: [] });
    const rec = await h.api<InvitesRegisterApi>("invites_register").account("hugo@localhost");
    expect(rec).to.deep.include({ jid: "hugo@localhost", inviteId: c.invite.id, inviter: "ann@localhost", roles: ["prosody:member"], groups: ["friends"], source: "web" });
  });

  it("sends a contact-only invite back to its landing page and shows used-up links as such", async () => {
    const contact = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost" });
    const res = await fetch(new URL(`/register?t=${contact.token}`, h.baseUrl), { redirect: "manual" });
    expect(res.status).to.equal(303);
    expect(res.headers.get("location")).to.equal(contact.landingUrl);

    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const form = await openForm(`/register?t=${c.token}`);
    await form.submit({ user: "ivy", password: "a long password", token: c.token });
    const again = await form.submit({ user: "ivy2", password: "a long password", token: c.token });
    expect(again.status).to.equal(410);
    expect(again.body).to.include("already been used");
  });

  it("redirects to an app's login_link_format after registering", async () => {
    const h2 = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register"], http: true,
      options: { site_apps: [{ name: "Webchat", platforms: ["Web"], login_link_format: "https://chat.example/#login/{username}@{domain}" }] },
    });
    const admin2 = new FakeAdmin();
    h2.host.link = { start: async () => {}, stop: async () => {}, connected: true, lastError: undefined, admin: admin2 };
    try {
      const c = await h2.api<InvitesApi>("invites").createAccount({ host: "localhost", source: "test" });
      const page = await fetch(new URL(`/register?t=${c.token}&c=webchat`, h2.baseUrl));
      expect(page.headers.get("content-security-policy")).to.include("form-action 'self' https://chat.example");
      const html = await page.text();
      const res = await fetch(new URL("/register", h2.baseUrl), {
        method: "POST", redirect: "manual",
        headers: { "content-type": "application/x-www-form-urlencoded", cookie: page.headers.get("set-cookie")!.split(";")[0]! },
        body: new URLSearchParams({ csrf: /name="csrf" value="([^"]+)"/.exec(html)![1]!, user: "jo", password: "a long password", token: c.token, app_id: "webchat" }),
      });
      expect(res.status).to.equal(303);
      expect(res.headers.get("location")).to.equal("https://chat.example/#login/jo@localhost");
      expect(res.headers.get("cache-control")).to.equal("no-store");
    } finally {
      await h2.stop();
    }
  });

  it("applies the same rules to every way to register, through the module's API", async () => {
    const reg = h.api<InvitesRegisterApi>("invites_register");
    const bound = await invites.createAccount({ host: "localhost", source: "test", username: "lea" });
    const refusal = (fn: () => unknown) => { try { fn(); } catch (e) { return (e as { code: string }).code; } return "accepted"; };
    expect(refusal(() => reg.check(bound.invite, "", "a long password"))).to.equal("invites_register.missing_fields");
    expect(refusal(() => reg.check(bound.invite, "two words", "a long password"))).to.equal("invites_register.bad_username");
    expect(refusal(() => reg.check(bound.invite, "mallory", "a long password"))).to.equal("invites.username_mismatch");
    expect(refusal(() => reg.check(bound.invite, "Lea", "short"))).to.equal("invites_register.weak_password");
    expect(reg.check(bound.invite, "Lea", "a long password")).to.equal("lea");
    const reset = await invites.createReset({ host: "localhost", source: "test", username: "gina" });
    expect(refusal(() => reg.check(reset.invite, "gina", "a long password"))).to.equal("invites_register.not_for_registration");
  });

  it("lets a server that creates the account itself begin and finish a registration", async () => {
    const reg = h.api<InvitesRegisterApi>("invites_register");
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true });
    const failed = await reg.begin({ token: c.token, username: "Nora", password: "a long password", ip: undefined, source: "in-app" });
    expect(failed.event.jid).to.equal("nora@localhost");
    expect((await invites.get(c.token))!.usesPending).to.equal(1);
    expect(await reg.finish(failed, false)).to.equal(undefined);
    expect((await invites.get(c.token))!.usesPending).to.equal(0);

    const pending = await reg.begin({ token: c.token, username: "nora", password: "a long password", ip: undefined, source: "in-app" });
    admin.accounts.set("nora@localhost", "a long password"); // the server made it
    const done = await reg.finish(pending, true);
    expect(done).to.deep.include({ jid: "nora@localhost", contacts: ["ann@localhost"] });
    expect((await invites.get(c.token))!.usesCompleted).to.equal(1);
    expect(admin.rosters.get("ann@localhost")).to.deep.include({ jid: "nora@localhost", name: "nora", subscription: "both", groups: [] });
    expect((await reg.account("nora@localhost"))?.source).to.equal("in-app");
    let threw = false;
    try { await reg.finish(pending, true); } catch { threw = true; }
    expect(threw, "a registration cannot be finished twice").to.equal(true);
  });

  it("lets a server that changes the password itself begin and finish a reset, with the reset's rules", async () => {
    const reg = h.api<InvitesRegisterApi>("invites_register");
    const c = await invites.createReset({ host: "localhost", source: "test", username: "olga" });
    const code = async (p: Promise<unknown>) => { try { await p; } catch (e) { return (e as { code: string }).code; } return "accepted"; };
    expect(await code(reg.beginReset({ token: c.token, username: "mallory", password: "a long password" }))).to.equal("invites.username_mismatch");
    expect(await code(reg.beginReset({ token: c.token, username: "olga", password: "olga-secret-1" }))).to.equal("invites_register.weak_password");
    const account = await invites.createAccount({ host: "localhost", source: "test" });
    expect(await code(reg.beginReset({ token: account.token, password: "a long password" }))).to.equal("invites_register.not_a_reset");
    expect((await invites.get(c.token))!.usesPending, "refusals reserve nothing").to.equal(0);

    const failed = await reg.beginReset({ token: c.token, username: "Olga", password: "a long password" });
    expect(failed.jid).to.equal("olga@localhost");
    expect(await reg.finishReset(failed, false)).to.equal(undefined);
    expect((await invites.validate(c.token)).ok, "a failed reset gives the use back").to.equal(true);
    const pending = await reg.beginReset({ token: c.token, password: "a long password" });
    expect(await reg.finishReset(pending, true)).to.equal("olga@localhost");
    expect((await invites.get(c.token))!.usesCompleted).to.equal(1);
    expect(await code(reg.finishReset(pending, true)), "a reset cannot be finished twice").to.not.equal("accepted");
  });

  it("shows every password rule before the first try, and names a real app (or \"your chat app\") on the success page", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const form = await openForm(`/register?t=${c.token}`);
    expect(form.html).to.include("At least 10 characters.").and.include("It must not contain your username.");
    expect(form.html).to.include('minlength="10"').and.include('maxlength="1000"');
    const done = await form.submit({ user: "quinn", password: "a long password", token: c.token });
    expect(done.body).to.include("<li>Open your chat app.</li>").and.not.to.include("Open XMPP");
    const withApp = await invites.createAccount({ host: "localhost", source: "test" });
    const monal = await openForm(`/register?t=${withApp.token}&c=monal`);
    // Without the server module, Monal could not take the invite: no link hands it over.
    expect(monal.html).not.to.include("xmpp:");
    const after = await monal.submit({ user: "rhea", password: "a long password", token: withApp.token, app_id: "monal" });
    expect(after.body).to.include("<li>Open Monal.</li>").and.include("Download Monal");
  });

  it("shows the form in French for Accept-Language: fr", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const form = await openForm(`/register?t=${c.token}`, "fr");
    expect(form.html).to.include("Créez votre compte").and.include("Nom d&#39;utilisateur");
    const res = await form.submit({ user: "kim", password: "court", token: c.token });
    expect(res.body).to.include("Le mot de passe doit compter au moins 10 caractères.");
  });
});

describe("invites_register rate limit", () => {
  it("answers 429 with a page after too many attempts from one address", async () => {
    const h = await startTestHost({ enabled: ["invites", "invites_page", "invites_register"], http: true, options: { register_rate_limit: 2 } });
    try {
      const post = () => fetch(`${h.baseUrl}register`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "token=x&user=a&password=b" });
      const statuses = [(await post()).status, (await post()).status];
      const third = await post();
      expect(statuses).to.deep.equal([404, 404]);
      expect(third.status).to.equal(429);
      expect(await third.text()).to.include("Too many attempts");
    } finally {
      await h.stop();
    }
  });
});
