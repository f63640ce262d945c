// Web registration end to end, against each real server (Prosody 0.12, ejabberd 23.01): the
// component connected to it, the form posted over HTTP, and real XMPP clients logging in
// with what the form created.
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import { startServer, SERVER_KINDS, SERVER_NAMES, type TestXmppServer } from "../harness/servers.js";
import { loginClient } from "../harness/xmpp-client.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { openForm } from "../helpers/forms.js";
import { waitFor } from "../helpers/wait.js";

const PASSWORD = "correct-horse-battery";

async function canLogIn(server: TestXmppServer, jid: string, password: string): Promise<boolean> {
  try {
    const c = await loginClient({ port: server.c2sPort, jid, password });
    await c.close();
    return true;
  } catch {
    return false;
  }
}

for (const kind of SERVER_KINDS) {
describe(`web registration with a real ${SERVER_NAMES[kind]}`, function () {
  this.timeout(60_000);
  let server: TestXmppServer;
  let t: TestHost;
  let invites: InvitesApi;

  before(async () => {
    server = await startServer(kind);
    await server.registerUser("ann", PASSWORD);
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register"], store: "sqlite",
      xmpp: { server: server.componentServer, jid: server.componentJid, secret: server.componentSecret },
      config: server.productConfig,
      options: { site_name: "Example Chat", invites_page_rate_limit: 0, register_rate_limit: 0 },
    });
    invites = t.api<InvitesApi>("invites");
    await waitFor("the server's capabilities", () => t.host.admin.capabilities.known);
  });

  after(async () => {
    await t?.stop();
    await server?.destroy();
  });

  it("promises on the landing page that the inviter will be a contact: this server has a working contact backend", async () => {
    expect(t.host.admin.capabilities.hosts["localhost"]?.contacts.ok).to.equal(true);
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true });
    expect(await (await fetch(c.landingUrl!)).text()).to.include("ann will be in your contacts as soon as your account is ready.");
  });

  it("creates the account, and inviter and new user find each other in their rosters with subscription both", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user: "bea", password: PASSWORD, token: c.token });
    expect(res.status).to.equal(200);
    expect(res.body).to.include("bea@localhost").and.include("ann is already in your contacts.");

    const bea = await loginClient({ port: server.c2sPort, jid: "bea@localhost", password: PASSWORD });
    const ann = await loginClient({ port: server.c2sPort, jid: "ann@localhost", password: PASSWORD });
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
    expect((await server.existing(["mallory@localhost"])).size).to.equal(0);
    expect((await invites.validate(c.token)).ok).to.equal(true);
    const right = await submit({ user: "cleo", password: PASSWORD, token: c.token });
    expect(right.status).to.equal(200);
    expect(await canLogIn(server, "cleo@localhost", PASSWORD)).to.equal(true);
  });

  it("lets a reusable invite create as many accounts as it allows, then says it has been used", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", usesAllowed: 2 });
    for (const user of ["rea", "reb"]) {
      const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
      expect((await submit({ user, password: PASSWORD, token: c.token })).status, user).to.equal(200);
    }
    expect([...(await server.existing(["rea@localhost", "reb@localhost"]))].sort()).to.deep.equal(["rea@localhost", "reb@localhost"]);
    const third = await fetch(new URL(`/register?t=${c.token}`, t.baseUrl));
    expect(third.status).to.equal(410);
    expect(await third.text()).to.include("already been used");
  });

  it("refuses a username that already exists on the server (the server's own answer to add-user decides), and the invite stays usable", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user: "ann", password: "another password", token: c.token });
    expect(res.status).to.equal(409);
    expect(res.body).to.include("already taken");
    expect(await canLogIn(server, "ann@localhost", PASSWORD)).to.equal(true);
    expect((await invites.validate(c.token)).ok).to.equal(true);
  });

  it("changes the password with a reset invite: the old one no longer logs in, and no account is created", async () => {
    await server.registerUser("dora", "old-password-123");
    const c = await invites.createReset({ host: "localhost", source: "test", username: "dora" });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user: "eve", password: "new-password-456", token: c.token });
    expect(res.status).to.equal(200);
    expect(res.body).to.include("Password changed");
    expect(await canLogIn(server, "dora@localhost", "old-password-123")).to.equal(false);
    expect(await canLogIn(server, "dora@localhost", "new-password-456")).to.equal(true);
    expect((await server.existing(["eve@localhost"])).size).to.equal(0);
  });

  it("answers a reset for an account that does not exist with a clear 404, creates nothing, and gives the use back", async () => {
    const c = await invites.createReset({ host: "localhost", source: "test", username: "nobody" });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user: "nobody", password: "new-password-456", token: c.token });
    expect(res.status).to.equal(404);
    expect(res.body).to.include("The account nobody@localhost does not exist");
    expect((await server.existing(["nobody@localhost"])).size).to.equal(0);
    expect((await invites.validate(c.token)).ok).to.equal(true);
  });

  it("answers 503 while the server is stopped, and the same invite works once it is back", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    await server.stop();
    try {
      await waitFor("the link to notice", () => !t.host.link?.connected);
      const down = await submit({ user: "finn", password: PASSWORD, token: c.token });
      expect(down.status).to.equal(503);
      expect(down.body).to.include("Please try again shortly").and.include("your invite can still be used");
      expect((await invites.validate(c.token)).ok).to.equal(true);
    } finally {
      await server.start();
    }
    await waitFor("the component to reconnect", () => !!t.host.link?.connected);
    const up = await submit({ user: "finn", password: PASSWORD, token: c.token });
    expect(up.status).to.equal(200);
    expect(await canLogIn(server, "finn@localhost", PASSWORD)).to.equal(true);
  });
});

describe(`web registration with a real ${SERVER_NAMES[kind]} that cannot make contacts`, function () {
  this.timeout(60_000);
  let server: TestXmppServer;
  let t: TestHost;
  let invites: InvitesApi;

  before(async () => {
    // Prosody without the XEP-0356 privilege; ejabberd 23.01 without its HTTP API (its own
    // privileged roster set fails).
    server = await startServer(kind, kind === "prosody" ? { privilege: false } : { contactsApi: false });
    await server.registerUser("ann", PASSWORD);
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register"], store: "sqlite",
      xmpp: { server: server.componentServer, jid: server.componentJid, secret: server.componentSecret },
      config: server.productConfig,
      options: { site_name: "Example Chat", invites_page_rate_limit: 0, register_rate_limit: 0 },
    });
    invites = t.api<InvitesApi>("invites");
    await waitFor("the server's capabilities", () => t.host.admin.capabilities.known);
  });

  after(async () => {
    await t?.stop();
    await server?.destroy();
  });

  it("promises no contact on the landing page, creates the account, and the success page says plainly that the inviter could not be added and how to add them", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true });
    const landing = await (await fetch(c.landingUrl!)).text();
    expect(landing).to.include("add ann to your contacts in your app: their address is ann@localhost");
    expect(landing).to.not.include("will be in your contacts");
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user: "gus", password: PASSWORD, token: c.token });
    expect(res.status).to.equal(200);
    expect(res.body).to.include("gus@localhost")
      .and.include("We could not add ann to your contacts. To add them yourself, open your app, choose to add a contact and enter ann@localhost.");
    expect(res.body).to.not.include("is already in your contacts");
    const gus = await loginClient({ port: server.c2sPort, jid: "gus@localhost", password: PASSWORD });
    try {
      expect((await gus.roster()).map((i) => i.jid)).to.not.include("ann@localhost");
    } finally {
      await gus.close();
    }
    // The log says why.
    const warned = t.logs.map((l) => JSON.parse(l) as { msg: string; why?: string }).find((l) => l.msg.includes("could not be made mutual contacts"));
    expect(warned?.why).to.match(kind === "prosody" ? /XEP-0356 roster privilege/ : /ejabberd 23\.01 fails privileged roster sets/);
  });
});
}
