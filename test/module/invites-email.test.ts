// invites_email in-process, with a real SMTP server (smtp-server on a loopback port): invites
// created with an address are queued and sent by the queue pass, an SMTP outage only delays
// them, refusals are reported, and pre-activations hold their username on every path.
import { expect } from "chai";
import { join } from "node:path";
import type { InvitesApi } from "../../modules/invites/types.js";
import type { InvitesEmailApi } from "../../modules/invites_email/types.js";
import type { InvitesRegisterApi } from "../../modules/invites_register/types.js";
import { defineModule } from "../../core/types.js";
import { startSmtp, type ReceivedMail, type TestSmtp } from "../harness/smtp.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { refusal } from "../helpers/adhoc.js";

const HIGH_LIMITS = { invites_api_rate_limit: "100000/minute", invites_api_rate_burst: 100000, invites_api_auth_failure_limit: "100000/minute", invites_api_auth_failure_burst: 100000 };
interface Json { [k: string]: unknown }

/** The link in a received message's plain text (the one line that is a URL). */
export const linkIn = (m: ReceivedMail) => /^(https?:\/\/\S+)$/m.exec(m.parsed.text ?? "")?.[1];

// Stands for the greeted invites module: it adds to "what happens next".
const greeter = defineModule({
  name: "test_greeter",
  setup(mod) {
    mod.hook("email-composing", (ev) => { if (ev.invite.note === "greeted") ev.next.push("Ann will greet you in a video call on Monday."); });
  },
});

describe("invites_email (module, real SMTP server)", function () {
  this.timeout(30_000);
  let smtp: TestSmtp;
  let t: TestHost;
  let invites: InvitesApi;
  let email: InvitesEmailApi;
  let base: string;
  const call = async (key: string, method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}${path}`, {
      method, headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "Content-Type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const makeKey = async (...args: string[]) => (await t.runCtl(["mod_invites_api", "create", "localhost", ...args])).stdout.trim();
  const mailTo = (to: string) => smtp.waitFor((m) => m.to.includes(to), `a message to ${to}`);

  before(async () => {
    smtp = await startSmtp({ tls: true, auth: { user: "relay", password: "relay-secret" }, rejectRecipients: ["nobody@example.org"] });
    t = await startTestHost({
      modules: [greeter],
      enabled: ["invites", "invites_page", "invites_api", "invites_register", "invites_email", "test_greeter"],
      store: "sqlite", http: true,
      options: { ...smtp.options, ...HIGH_LIMITS, site_name: "Example Chat", email_reply_to: "admins@example.org" },
    });
    invites = t.api<InvitesApi>("invites");
    email = t.api<InvitesEmailApi>("invites_email");
    base = `${t.baseUrl}invites_api/v1`;
  });
  after(async () => {
    await t?.stop();
    await smtp?.destroy();
  });

  it("sends an invite made with invitectl --email over STARTTLS with the relay's credentials, naming the inviter and the service; its link opens the invite", async () => {
    const made = await t.runCtl(["invite", "create_contact", "ann@localhost", "--allow-registration", "--email", "bea@example.org"]);
    expect(made.code, made.stderr).to.equal(0);
    expect(made.stdout).to.include("email delivery: queued (to bea@example.org)");
    expect(smtp.received.filter((m) => m.to.includes("bea@example.org"))).to.have.length(0); // never inside the request
    expect(await email.runQueue()).to.deep.include({ sent: 1 });
    const m = await mailTo("bea@example.org");
    expect(m.parsed.subject).to.equal("ann invites you to Example Chat");
    expect(m.parsed.text).to.include("ann has invited you to chat on Example Chat.").and.include("ann will then be in your contacts");
    expect(m.parsed.html).to.be.a("string").and.include("Open the invite");
    expect(m.parsed.replyTo?.text).to.equal("admins@example.org");
    expect(m.parsed.headers.get("auto-submitted")).to.equal("auto-generated");
    const link = linkIn(m)!;
    expect(String(m.parsed.html)).to.include(link);
    const page = await fetch(link);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include("ann");
    const id = (await invites.list({ host: "localhost", limit: 1 })).invites[0]!.id;
    const shown = await t.runCtl(["invite", "show", "localhost", id]);
    expect(shown.stdout).to.match(/email delivery: sent \(to bea@example\.org at \d{4}-/);
    const listed = await t.runCtl(["invite", "list", "localhost"]);
    expect(listed.stdout).to.match(new RegExp(`${id}.*email=sent`));
  });

  it("writes in French for an invite whose language is fr, and adds what another module says happens next (greeted invites' hook)", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", email: "cleo@example.org", note: "greeted", extra: { lang: "fr" } });
    await email.runQueue();
    const m = await mailTo("cleo@example.org");
    expect(m.parsed.subject).to.equal("Votre invitation sur Example Chat");
    expect(m.parsed.text).to.include("Vous êtes invité·e à discuter sur Example Chat.").and.include("Ann will greet you in a video call on Monday.");
    expect(m.parsed.headers.get("content-language")).to.equal("fr");
    expect(linkIn(m)).to.equal(c.link);
  });

  it("escapes the inviter's name in the HTML part", async () => {
    await invites.createContact({ host: "localhost", source: "test", inviter: "dan@localhost", allowRegistration: true, email: "eve@example.org", extra: { inviter_name: "<b>Dan</b>" } });
    await email.runQueue();
    const m = await mailTo("eve@example.org");
    expect(String(m.parsed.html)).to.include("&lt;b&gt;Dan&lt;/b&gt;").and.not.include("<b>Dan</b>");
    expect(m.parsed.text).to.include("<b>Dan</b> has invited you");
  });

  it("answers 201 during an SMTP outage; the message waits in the queue, says why, and goes out once SMTP is back", async () => {
    const key = await makeKey("portal", "--scope", "create,read", "--email");
    await smtp.stop();
    try {
      const r = await call(key, "POST", "/invites", { email: "fay@example.org" });
      expect(r.status).to.equal(201);
      const id = String((r.body["invite"] as Json)["id"]);
      expect((r.body["invite"] as Json)["email_delivery"]).to.include({ state: "queued", attempts: 0 });
      expect(await email.runQueue()).to.deep.include({ retried: 1, sent: 0 });
      const read = await call(key, "GET", `/invites/${id}`);
      const d = (read.body["invite"] as Json)["email_delivery"] as Json;
      expect(d).to.include({ state: "queued", attempts: 1 });
      expect(String(d["last_error"])).to.match(/ECONNREFUSED/);
      // Not due yet: a pass before the retry delay sends nothing, even with SMTP back.
      await smtp.start();
      expect(await email.runQueue()).to.deep.equal({ sent: 0, retried: 0, failed: 0 });
      t.clock.advance(61_000);
      expect(await email.runQueue()).to.deep.include({ sent: 1 });
      await mailTo("fay@example.org");
      const after = await call(key, "GET", `/invites/${id}`);
      expect((after.body["invite"] as Json)["email_delivery"]).to.include({ state: "sent", attempts: 2, last_error: null });
    } finally {
      await smtp.start();
    }
  });

  it("marks a message the server refuses for good as failed with the server's reason, and resend starts a new round", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", email: "nobody@example.org" });
    expect(await email.runQueue()).to.deep.include({ failed: 1 });
    const shown = await t.runCtl(["invite", "show", "localhost", c.invite.id]);
    expect(shown.stdout).to.match(/email delivery: failed \(RCPT TO: 550 5\.1\.1 No such mailbox; to nobody@example\.org\)/);
    expect((await t.runCtl(["invite", "list", "localhost"])).stdout).to.match(new RegExp(`${c.invite.id}.*email=failed`));
    const again = await t.runCtl(["invite", "resend", "localhost", c.invite.id]);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.include("email: queued (to nobody@example.org)");
    expect((await email.deliveries([c.invite.id]))[0]).to.include({ state: "queued", attempts: 0, gen: 2 });
  });

  it("does not send the invite of a revoked invite, and says so", async () => {
    await smtp.stop();
    const c = await invites.createAccount({ host: "localhost", source: "test", email: "gus@example.org" });
    try {
      await email.runQueue();
    } finally {
      await smtp.start();
    }
    await invites.revoke(c.invite.id);
    t.clock.advance(61_000);
    await email.runQueue();
    expect((await email.deliveries([c.invite.id]))[0]).to.include({ state: "failed", lastError: "the invite was revoked before its email went out" });
    expect(smtp.received.some((m) => m.to.includes("gus@example.org"))).to.equal(false);
    const r = await t.runCtl(["invite", "resend", "localhost", c.invite.id]);
    expect(r.code).to.equal(1);
    expect(r.stderr).to.include("revoked: extend it first");
  });

  it("keeps no usable token in the store: the link is sealed with a key from the host's secret, which another instance must share", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", email: "hal@example.org" });
    const [d] = await email.deliveries([c.invite.id]);
    expect(d!.sealed).to.be.a("string").and.not.include(c.token);
    expect(JSON.stringify(d)).not.to.include(c.token);
    // An instance on the same database with another secret_key cannot open it, and says so.
    const other = await startTestHost({
      enabled: ["invites", "invites_page", "invites_api", "invites_register", "invites_email"], store: `sqlite://${join(t.dataDir, "invites.sqlite")}`,
      options: smtp.options, config: { secret_key: "another secret of at least thirty-two characters" },
    });
    other.clock.advance(t.clock.now() - other.clock.now()); // the same time as this host's (moved) clock
    try {
      const pass = await other.api<InvitesEmailApi>("invites_email").runQueue();
      expect(pass.sent).to.equal(0);
      const [after] = await other.api<InvitesEmailApi>("invites_email").deliveries([c.invite.id]);
      expect(after).to.include({ state: "queued", attempts: 1 });
      expect(after!.lastError).to.include("secret_key");
    } finally {
      await other.stop();
    }
    t.clock.advance(61_000);
    expect(await email.runQueue()).to.deep.include({ sent: 1 });
    await mailTo("hal@example.org");
  });

  it("refuses an address that is not one, and a key not allowed to email, naming what was wrong", async () => {
    const plain = await makeKey("plain");
    const mailer = await makeKey("mailer", "--email");
    const no = await call(plain, "POST", "/invites", { email: "ivy@example.org" });
    expect(no.status).to.equal(403);
    expect(String(no.body["message"])).to.include("--email");
    for (const bad of ["not an address", "ivy@exa\u0001mple.org", "@example.org", "ivy,eve@example.org", "\"ivy\"@example.org", "ivy@example.org>"]) {
      const r = await call(mailer, "POST", "/invites", { email: bad });
      expect(r.status, bad).to.equal(400);
      expect(JSON.stringify(r.body), bad).to.include("email");
    }
    const many = await call(mailer, "POST", "/invites", { email: ["a@example.org", "b@example.org"] });
    expect(many.status).to.equal(400);
  });

  describe("pre-activation", () => {
    it("emails the person and holds the username against every other invite (ctl, API) and registration", async () => {
      const made = await t.runCtl(["user", "preactivate", "localhost", "barney", "barney@example.org", "--lang", "en"]);
      expect(made.code, made.stderr).to.equal(0);
      expect(made.stdout).to.include("barney@localhost is held for barney@example.org");
      await email.runQueue();
      const m = await mailTo("barney@example.org");
      expect(m.parsed.subject).to.equal("Your account barney@localhost on Example Chat is ready");
      expect(m.parsed.text).to.include("choose a password: your account barney@localhost is created then");

      const ctl = await t.runCtl(["invite", "create_account", "barney@localhost"]);
      expect(ctl.code).to.equal(1);
      expect(ctl.stderr).to.include("set aside by the pre-activation");
      const admin = await makeKey("admin", "--scope", "all", "--types", "all");
      const api = await call(admin, "POST", "/invites", { username: "Barney" });
      expect(api.status).to.equal(409);
      expect(api.body["error"]).to.equal("invites_email.username_held");

      // Registration through any other invite (the flow every path uses) is vetoed.
      const open = await invites.createAccount({ host: "localhost", source: "test" });
      const register = t.api<InvitesRegisterApi>("invites_register");
      const veto = await refusal(register.begin({ token: open.token, username: "barney", password: "a long enough password", ip: undefined, source: "web" }));
      expect(veto.code).to.equal("invites_email.username_held");
      expect(veto.message).to.include("reserved for someone else");
      expect((await invites.validate(open.token)).ok).to.equal(true); // the use was given back

      // Its own link is allowed to take it.
      const token = new URL(linkIn(m)!).search.slice(1);
      const own = await register.begin({ token, username: "barney", password: "a long enough password", ip: undefined, source: "web" });
      await register.finish(own, false);
    });

    it("frees the username when the pre-activation is revoked, and holds it again when it is extended", async () => {
      const made = await t.runCtl(["--json", "user", "preactivate", "localhost", "wilma", "wilma@example.org"]);
      const id = String((JSON.parse(made.stdout) as Json)["id"]);
      expect(await email.heldBy("localhost", "wilma")).to.equal(id);
      await invites.revoke(id);
      expect(await email.heldBy("localhost", "wilma")).to.equal(undefined);
      await invites.extend(id, t.clock.now() + 86_400_000);
      expect(await email.heldBy("localhost", "wilma")).to.equal(id);
    });

    it("through the API needs a key made with --preactivate, and a username, an email and one use", async () => {
      const mailer = await makeKey("mailer2", "--email");
      const pre = await makeKey("hr", "--preactivate");
      const no = await call(mailer, "POST", "/invites", { username: "fred", email: "fred@example.org", preactivate: true });
      expect(no.status).to.equal(403);
      expect(String(no.body["message"])).to.include("--preactivate");
      const incomplete = await call(pre, "POST", "/invites", { username: "fred", preactivate: true });
      expect(incomplete.status).to.equal(400);
      expect(String(incomplete.body["message"])).to.include("preactivate needs");
      const ok = await call(pre, "POST", "/invites", { username: "fred", email: "fred@example.org", preactivate: true, lang: "fr" });
      expect(ok.status).to.equal(201);
      expect(ok.body["invite"]).to.include({ username: "fred", email: "fred@example.org", preactivated: true, lang: "fr" });
      expect(await email.heldBy("localhost", "fred")).to.equal(String((ok.body["invite"] as Json)["id"]));
      const twice = await call(pre, "POST", "/invites", { username: "fred", email: "other@example.org", preactivate: true });
      expect(twice.status).to.equal(409);
      await email.runQueue();
      expect((await mailTo("fred@example.org")).parsed.subject).to.equal("Votre compte fred@localhost sur Example Chat vous attend");
    });
  });

  // Last: it moves the clock by days.
  describe("expiry", () => {
    it("forgets a delivery record a week after its invite expired (hourly sweep)", async () => {
      const c = await invites.createAccount({ host: "localhost", source: "test", email: "kim@example.org", expiresAt: t.clock.now() + 3_600_000 });
      await email.runQueue();
      await mailTo("kim@example.org");
      t.clock.advance(2 * 86_400_000);
      await email.sweep();
      expect((await email.deliveries([c.invite.id]))[0]).to.include({ state: "sent" });
      t.clock.advance(8 * 86_400_000);
      await email.sweep();
      expect((await email.deliveries([c.invite.id]))[0]).to.equal(undefined);
    });
  });
});
