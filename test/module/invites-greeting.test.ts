// invites_greeting in-process (memory store, no XMPP server): who may create a greeted invite,
// that no other way to register can use one, and what the ctl and the JSON API show.
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import type { InvitesRegisterApi } from "../../modules/invites_register/types.js";
import { startTestHost, type TestHost } from "../helpers/host.js";

describe("invites_greeting (module)", () => {
  let t: TestHost;
  let invites: InvitesApi;
  let register: InvitesRegisterApi;

  before(async () => {
    t = await startTestHost({ enabled: ["invites", "invites_page", "invites_register", "invites_greeting"], http: true });
    invites = t.api<InvitesApi>("invites");
    register = t.api<InvitesRegisterApi>("invites_register");
  });
  after(() => t.stop());

  it("gives a greeted invite a greeter token and the claim page as its link", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", greeted: true });
    expect(c.greeterToken).to.match(/^[A-Za-z0-9_-]{24}$/).and.not.equal(c.token);
    expect(c.link).to.equal(`${t.baseUrl}invites_greeting/claim?${c.token}`);
  });

  it("refuses greeted invites that are not account invites for one person", async () => {
    try { await invites.createAccount({ host: "localhost", source: "test", greeted: true, usesAllowed: 2 }); expect.fail("made"); } catch (e) { expect((e as Error).message).to.include("exactly one use"); }
    try { await invites.createReset({ host: "localhost", source: "test", username: "bob", greeted: true }); expect.fail("made"); } catch (e) { expect((e as Error).message).to.include("Only account invites can be greeted"); }
  });

  it("lets no other registration path use a greeted invite: the flow refuses other sources, the module vetoes what it did not confirm", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", greeted: true });
    for (const source of ["web", "in-app"]) {
      try { await register.begin({ token: c.token, username: "eve", password: "long-enough-pw", ip: undefined, source }); expect.fail("began"); } catch (e) { expect((e as { code: string }).code).to.equal("invites_register.greeted_only"); }
    }
    try { await register.begin({ token: c.token, username: "eve", password: "long-enough-pw", ip: undefined, source: "greeted" }); expect.fail("began"); } catch (e) { expect((e as { code: string }).code).to.equal("invites_greeting.not_confirmed"); }
    // Nothing stayed reserved.
    expect((await invites.getById(c.invite.id))!.usesPending).to.equal(0);
  });

  it("shows the state in invite list and show", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", greeted: true, extra: { greeter_name: "Ann" } });
    const list = await t.runCtl(["invite", "list", "localhost"]);
    expect(list.stdout).to.match(new RegExp(`^${c.invite.id} .*greeting=waiting-for-claimer$`, "m"));
    const show = await t.runCtl(["invite", "show", "localhost", c.invite.id]);
    expect(show.stdout).to.match(/^greeting: +waiting for claimer$/m).and.match(/^greeter: +Ann$/m).and.match(/^failed: +0 of 3 attempts$/m);
    const json = JSON.parse((await t.runCtl(["--json", "invite", "show", "localhost", c.invite.id])).stdout) as { greeted: boolean; greeting: { state: string } };
    expect(json).to.deep.include({ greeted: true });
    expect(json.greeting.state).to.equal("waiting for claimer");
  });

  it("prints Parsec's two lines from invitectl, and refuses --greeter without --greeted", async () => {
    const made = await t.runCtl(["invite", "create_account", "localhost", "--greeted"]);
    // Parsec's two lines first; then what other modules say of the new invite (its greeting's state).
    expect(made.stdout).to.match(/^Invitation token: [A-Za-z0-9_-]{24}\nInvitation URL: http:\/\/127\.0\.0\.1:\d+\/invites_greeting\/claim\?[A-Za-z0-9_-]{24}\ngreeting: waiting for claimer\n$/);
    const bad = await t.runCtl(["invite", "create_account", "localhost", "--greeter", "Ann"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("--greeter goes with --greeted");
  });

  it("binds a greeted invite to a username or an email as any other", async () => {
    const made = await t.runCtl(["--json", "invite", "create_account", "bob@localhost", "--greeted", "--email", "bob@example.net"]);
    const c = JSON.parse(made.stdout) as { link: string; username: string; email: string; greeter_token: string };
    expect(c).to.deep.include({ username: "bob", email: "bob@example.net" });
    expect(c.greeter_token).to.be.a("string");
    const json = (await (await fetch(c.link, { headers: { accept: "application/json" } })).json()) as { bound_username: string };
    expect(json.bound_username).to.equal("bob");
  });

  it("answers a claimer's terminal with the invitation as JSON at the claim URL, and a browser with the page", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", greeted: true, extra: { greeter_name: "Ann" } });
    const json = await fetch(c.link, { headers: { accept: "application/json" } });
    expect(await json.json()).to.deep.include({ greeter: "Ann", host: "localhost", bound_username: null, api: `${t.baseUrl}invites_greeting/api` });
    const page = await fetch(c.link);
    expect(page.status).to.equal(200);
    expect(page.headers.get("content-security-policy")).to.include("script-src 'self'");
    expect(await page.text()).to.include("Ann invites you to create an account on localhost.");
  });
});

describe("greeted invites without invites_greeting (module)", () => {
  it("are refused, and nothing is left in the store", async () => {
    const t = await startTestHost({ enabled: ["invites", "invites_page", "invites_register"] });
    try {
      const r = await t.runCtl(["invite", "create_account", "localhost", "--greeted"]);
      expect(r.code).to.equal(2);
      expect(r.stderr).to.include("Greeted invites need the invites_greeting module");
      expect((await t.api<InvitesApi>("invites").list({ host: "localhost" })).invites).to.deep.equal([]);
    } finally {
      await t.stop();
    }
  });
});
