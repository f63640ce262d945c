// Web registration end to end: a real Prosody, the component connected to it, the form
// posted over HTTP, and real XMPP clients logging in with what the form created.
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import { startProsody, type TestProsody } from "../harness/prosody.js";
import { loginClient } from "../harness/xmpp-client.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { openForm } from "../helpers/forms.js";

const PASSWORD = "correct-horse-battery";

async function canLogIn(prosody: TestProsody, jid: string, password: string): Promise<boolean> {
  try {
    const c = await loginClient({ port: prosody.c2sPort, jid, password });
    await c.close();
    return true;
  } catch {
    return false;
  }
}

async function waitFor(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  if (!cond()) throw new Error(`timed out waiting for ${what}`);
}

describe("web registration with a real Prosody", function () {
  this.timeout(60_000);
  let prosody: TestProsody;
  let t: TestHost;
  let invites: InvitesApi;

  before(async () => {
    prosody = await startProsody();
    await prosody.registerUser("ann", PASSWORD);
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register"], store: "sqlite",
      xmpp: { server: prosody.componentServer, jid: prosody.componentJid, secret: prosody.componentSecret },
      options: { site_name: "Example Chat", invites_page_rate_limit: 0, register_rate_limit: 0 },
    });
    invites = t.api<InvitesApi>("invites");
    await waitFor("the component link", () => !!t.host.link?.connected);
    await waitFor("the XEP-0356 roster privilege", () => t.host.admin.privileges["roster"] === "both");
  });

  after(async () => {
    await t?.stop();
    await prosody?.destroy();
  });

  it("creates the account, and inviter and new user find each other in their rosters with subscription both", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user: "bea", password: PASSWORD, token: c.token });
    expect(res.status).to.equal(200);
    expect(res.body).to.include("bea@localhost").and.include("ann is already in your contacts.");

    const bea = await loginClient({ port: prosody.c2sPort, jid: "bea@localhost", password: PASSWORD });
    const ann = await loginClient({ port: prosody.c2sPort, jid: "ann@localhost", password: PASSWORD });
    try {
      expect(await bea.roster()).to.deep.include({ jid: "ann@localhost", name: "ann", subscription: "both", groups: [] });
      expect(await ann.roster()).to.deep.include({ jid: "bea@localhost", name: "bea", subscription: "both", groups: [] });
    } finally {
      await bea.close();
      await ann.close();
    }
    const again = await fetch(c.landingUrl!);
    expect(again.status).to.equal(410);
    expect(await again.text()).to.include("already been used");
  });

  it("refuses another username on a username-bound invite and creates nothing", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", username: "cleo" });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user: "mallory", password: PASSWORD, token: c.token });
    expect(res.status).to.equal(403);
    expect(res.body).to.include("only");
    expect(await t.host.admin.accountExists("mallory@localhost")).to.equal(false);
    expect((await invites.validate(c.token)).ok).to.equal(true);
  });

  it("refuses a username that already exists on the server", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user: "ann", password: "another password", token: c.token });
    expect(res.status).to.equal(409);
    expect(await canLogIn(prosody, "ann@localhost", PASSWORD)).to.equal(true);
  });

  it("changes the password with a reset invite: the old one no longer logs in, and no account is created", async () => {
    await prosody.registerUser("dora", "old-password-123");
    const c = await invites.createReset({ host: "localhost", source: "test", username: "dora" });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user: "eve", password: "new-password-456", token: c.token });
    expect(res.status).to.equal(200);
    expect(res.body).to.include("Password changed");
    expect(await canLogIn(prosody, "dora@localhost", "old-password-123")).to.equal(false);
    expect(await canLogIn(prosody, "dora@localhost", "new-password-456")).to.equal(true);
    expect(await t.host.admin.accountExists("eve@localhost")).to.equal(false);
  });

  it("answers 503 while Prosody is stopped, and the same invite works once it is back", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    await prosody.stop();
    try {
      await waitFor("the link to notice", () => !t.host.link?.connected);
      const down = await submit({ user: "finn", password: PASSWORD, token: c.token });
      expect(down.status).to.equal(503);
      expect(down.body).to.include("Please try again shortly").and.include("your invite can still be used");
      expect((await invites.validate(c.token)).ok).to.equal(true);
    } finally {
      await prosody.start();
    }
    await waitFor("the component to reconnect", () => !!t.host.link?.connected);
    const up = await submit({ user: "finn", password: PASSWORD, token: c.token });
    expect(up.status).to.equal(200);
    expect(await canLogIn(prosody, "finn@localhost", PASSWORD)).to.equal(true);
  });
});
