// Invites by email end to end, against each real server (Prosody 0.12, ejabberd 23.01) and a
// real SMTP server: the message is received over SMTP, its link is followed to the web
// registration form, and a real XMPP client logs in with the account it made. Also: an SMTP
// outage during creation, a pre-activated username, and the invite tree's limit, with
// invites made by a user's XMPP client through the ad-hoc command.
import { expect } from "chai";
import type { InvitesEmailApi } from "../../modules/invites_email/types.js";
import { NODES } from "../../modules/invites_adhoc/index.js";
import { startServer, SERVER_KINDS, SERVER_NAMES, type TestXmppServer } from "../harness/servers.js";
import { startSmtp, type ReceivedMail, type TestSmtp } from "../harness/smtp.js";
import { loginClient, type TestClient } from "../harness/xmpp-client.js";
import { openForm } from "../helpers/forms.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { waitFor } from "../helpers/wait.js";

const PASSWORD = "correct-horse-battery";
interface Json { [k: string]: unknown }

/** The link in the message's text, then the registration form the landing page leads to. */
async function registrationPath(m: ReceivedMail, baseUrl: string): Promise<string> {
  const link = /^(https?:\/\/\S+)$/m.exec(m.parsed.text ?? "")?.[1];
  if (!link) throw new Error(`no link in ${m.parsed.text}`);
  expect(String(m.parsed.html)).to.include(link);
  const landing = await fetch(link);
  expect(landing.status).to.equal(200);
  const href = /href="([^"]*register\?t=[^"]+)"/.exec(await landing.text())?.[1];
  if (!href) throw new Error("no registration link on the landing page");
  const url = new URL(href.replace(/&amp;/g, "&"), link);
  expect(url.origin).to.equal(new URL(baseUrl).origin);
  return url.pathname + url.search;
}

async function canLogIn(server: TestXmppServer, jid: string): Promise<boolean> {
  try { await (await loginClient({ port: server.c2sPort, jid, password: PASSWORD })).close(); return true; } catch { return false; }
}

/** The XMPP error a command was refused with. */
async function refused(p: Promise<unknown>): Promise<{ condition: string; text: string }> {
  try { await p; } catch (e) {
    const err = e as { name?: string; condition?: string; text?: string };
    if (err.name !== "StanzaError") throw e;
    return { condition: String(err.condition), text: String(err.text ?? "") };
  }
  throw new Error("expected an XMPP error");
}

for (const kind of SERVER_KINDS) {
describe(`invites by email with a real ${SERVER_NAMES[kind]} and a real SMTP server`, function () {
  this.timeout(60_000);
  let server: TestXmppServer;
  let smtp: TestSmtp;
  let t: TestHost;
  let email: InvitesEmailApi;
  let key: string;
  const api = async (body: unknown) => {
    const res = await fetch(`${t.baseUrl}invites_api/v1/invites`, { method: "POST", headers: { Authorization: `Bearer ${key}`, "Content-Type": "application/json" }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Json };
  };
  const mailTo = (to: string) => smtp.waitFor((m) => m.to.includes(to), `a message to ${to}`);
  const registerFrom = async (m: ReceivedMail, user: string) => {
    const submit = await openForm(t.baseUrl, await registrationPath(m, t.baseUrl));
    return submit({ user, password: PASSWORD });
  };

  before(async () => {
    server = await startServer(kind);
    await server.registerUser("ann", PASSWORD);
    smtp = await startSmtp({ tls: true });
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_api", "invites_adhoc", "invites_email", "invites_tree"],
      store: "sqlite", mode: "server",
      xmpp: { server: server.componentServer, jid: server.componentJid, secret: server.componentSecret },
      config: server.productConfig,
      options: {
        ...smtp.options, site_name: "Example Chat", invites_page_rate_limit: 0, register_rate_limit: 0, register_lookup_rate_limit: 0,
        account_invite_users: ["localhost"], invite_tree_limit: 1, max_invites_per_day: 0,
      },
    });
    email = t.api<InvitesEmailApi>("invites_email");
    await waitFor("the server's capabilities", () => t.host.admin.capabilities.known);
    key = (await t.runCtl(["mod_invites_api", "create", "localhost", "signup portal", "--scope", "create,read", "--email"])).stdout.trim();
  });
  after(async () => {
    await t?.stop();
    await smtp?.destroy();
    await server?.destroy();
  });

  it("sends an invite made through the JSON API to its address; its link registers an account that logs in", async () => {
    const r = await api({ email: "bea@example.org" });
    expect(r.status).to.equal(201);
    const m = await mailTo("bea@example.org"); // sent by the server's own queue pass, after the 201
    expect(m.parsed.subject).to.equal("Your invitation to Example Chat");
    const res = await registerFrom(m, "bea");
    expect(res.status, res.body).to.equal(200);
    expect(res.body).to.include("bea@localhost");
    expect(await canLogIn(server, "bea@localhost")).to.equal(true);
  });

  it("answers 201 while SMTP is down, keeps the message, and sends it once SMTP is back; its link still registers", async () => {
    await smtp.stop();
    let id: string;
    try {
      const r = await api({ email: "cleo@example.org", lang: "fr" });
      expect(r.status).to.equal(201);
      id = String((r.body["invite"] as Json)["id"]);
      await waitFor("the first attempt", async () => ((await email.deliveries([id]))[0]?.attempts ?? 0) >= 1);
      const [d] = await email.deliveries([id]);
      expect(d).to.include({ state: "queued" });
      expect(d!.lastError).to.match(/ECONNREFUSED/);
    } finally {
      await smtp.start();
    }
    t.clock.advance(61_000);
    await email.runQueue();
    const m = await mailTo("cleo@example.org");
    expect(m.parsed.subject).to.equal("Votre invitation sur Example Chat");
    expect((await email.deliveries([id]))[0]).to.include({ state: "sent" });
    expect((await registerFrom(m, "cleo")).status).to.equal(200);
    expect(await canLogIn(server, "cleo@localhost")).to.equal(true);
  });

  it("holds a pre-activated username: registering it through another invite is refused and creates nothing; its person takes it", async () => {
    const made = await t.runCtl(["user", "preactivate", "localhost", "barney", "barney@example.org"]);
    expect(made.code, made.stderr).to.equal(0);
    const other = await t.runCtl(["invite", "create_account", "localhost"]);
    const submit = await openForm(t.baseUrl, `/register?t=${new URL(other.stdout.trim()).search.slice(1)}`);
    const taken = await submit({ user: "barney", password: PASSWORD });
    expect(taken.status).to.equal(409);
    expect(taken.body).to.include("reserved for someone else");
    expect((await server.existing(["barney@localhost"])).size).to.equal(0);

    const m = await mailTo("barney@example.org");
    expect(m.parsed.subject).to.equal("Your account barney@localhost on Example Chat is ready");
    const res = await registerFrom(m, "barney");
    expect(res.status, res.body).to.equal(200);
    expect(await canLogIn(server, "barney@localhost")).to.equal(true);
    expect(await email.heldBy("localhost", "barney")).to.equal(undefined);
  });

  it("counts the accounts a user's invites create, and refuses invites past invite_tree_limit to the user and to whom they invited", async () => {
    const ann: TestClient = await loginClient({ port: server.c2sPort, jid: "ann@localhost", password: PASSWORD });
    try {
      // ann's XMPP client makes an invite with the ad-hoc command and has it emailed.
      const cmd = await ann.adhoc(server.componentJid, NODES.createAccount, { email: "dora@example.org" });
      expect(cmd.attrs.status).to.equal("completed");
      const res = await registerFrom(await mailTo("dora@example.org"), "dora");
      expect(res.status, res.body).to.equal(200);
      expect(await canLogIn(server, "dora@localhost")).to.equal(true);
      const tree = await t.runCtl(["user", "tree", "ann@localhost"]);
      expect(tree.stdout).to.match(/^ann@localhost\n {2}dora@localhost /);

      const full = await refused(ann.adhoc(server.componentJid, NODES.createAccount, {}));
      expect(full.condition).to.equal("policy-violation");
      expect(full.text).to.include("invite_tree_limit = 1");
      const dora = await loginClient({ port: server.c2sPort, jid: "dora@localhost", password: PASSWORD });
      try {
        expect((await refused(dora.adhoc(server.componentJid, NODES.createAccount, {}))).text).to.include("invite_tree_limit");
      } finally {
        await dora.close();
      }
    } finally {
      await ann.close();
    }
  });
});
}
