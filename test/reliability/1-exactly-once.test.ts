// Case 1, exactly once: many registrations at the same moment on one invite, through the
// real servers' web form (and, on Prosody, apps registering in-app), against each real XMPP
// server (Prosody, ejabberd). Two server processes share one store (a SQLite file, or
// PostgreSQL) and the registrations are split between them. Exactly as many accounts as the
// invite allows, every other attempt a clear refusal, and the accounts checked on the XMPP
// server itself.
// Registration rate limits are off in this server's config (register_rate_limit: 0,
// register_lookup_rate_limit: 0): 200 registrations from one address would hit them.
import { expect } from "chai";
import type { TestXmppServer } from "../harness/servers.js";
import { loginClient, type TestClient } from "../harness/xmpp-client.js";
import { existing, remember, report, runName, sharedStore, startServer, startSuiteServer, SUITE_RUNS, type ServerProcess } from "./server.js";
import { byStatus, createInvite, inAppReady, inviteUses, newPassword, openForm, api, registerInAppAnswer, type Answer } from "./web.js";

const N = 200;

for (const { kind, store } of SUITE_RUNS) describe(`reliability 1: exactly once (${runName({ kind, store })}, two server processes)`, function () {
  let xmpp: TestXmppServer;
  let server: ServerProcess;
  let second: ServerProcess;
  let key: string;
  let admin: TestClient;
  const password = newPassword();
  let quotaPassword = "";
  const figures: Record<string, string> = {};

  before(async function () {
    this.timeout(120_000);
    xmpp = await startSuiteServer(kind);
    const adminPassword = newPassword();
    await xmpp.registerUser("admin", adminPassword);
    await xmpp.registerUser("quota", adminPassword);
    const options = {
      register_rate_limit: 0, register_lookup_rate_limit: 0, inapp_rate_limit: 0,
      invites_api_rate_limit: "1/day", invites_api_rate_burst: 20,
      max_pending_invites_per_user: 5, max_invites_per_day: 0,
      ...(await sharedStore(store)),
    };
    server = await startServer(xmpp, options);
    second = await startServer(xmpp, options);
    key = await server.apiKey();
    admin = await loginClient({ port: xmpp.c2sPort, jid: "admin@localhost", password: adminPassword });
    quotaPassword = adminPassword;
    // Only Prosody has the server module (docs/server-setup.md): in-app registration runs there.
    if (kind === "prosody") await inAppReady(server);
  });

  after(async function () {
    this.timeout(60_000);
    await admin?.close();
    await second?.stop();
    await server?.stop();
    await xmpp?.destroy();
    report(`exactly-once (${runName({ kind, store })}, ${N} registrations split across two processes): ${N} concurrent on a single-use invite → ${figures["single"]};${kind === "prosody" ? ` in-app, ${N} apps at once on a single-use invite → ${figures["inapp"]};` : ""} uses 20 (JSON API invite) → ${figures["api"]}; uses 20 (ad-hoc invite) → ${figures["adhoc"]}; API key burst 20 → ${figures["burst"]}; ad-hoc quota 5 → ${figures["quota"]}`);
  });

  /** Sends N registrations at once; checks the answers and the accounts on the XMPP server; returns the figure text. */
  async function race(token: string, prefix: string, allowed: number): Promise<string> {
    const users = Array.from({ length: N }, (_, i) => `${store}${prefix}${i}`);
    // Half through each process, every form loaded first and all sent at the same moment:
    // the database, not one process, must say who gets the use.
    const forms = await Promise.all(users.map((_, i) => openForm((i % 2 ? second : server).baseUrl, token)));
    const answers: Answer[] = await Promise.all(forms.map((submit, i) => submit(users[i]!, password)));
    const ok = answers.filter((a) => a.status === 200);
    const refused = answers.filter((a) => a.status !== 200);
    for (const a of refused) {
      expect([409, 410], a.body.slice(0, 300)).to.include(a.status);
      // A clear refusal: the page names the reason.
      expect(a.body).to.match(/already been used|already taken/);
    }
    expect(ok, JSON.stringify(byStatus(answers))).to.have.length(allowed);
    const made = await existing(xmpp, users.map((u) => `${u}@localhost`));
    expect(made.size, "accounts on the XMPP server").to.equal(allowed);
    for (const [i, a] of answers.entries()) expect(made.has(`${users[i]}@localhost`), users[i]).to.equal(a.status === 200);
    // One of them logs in with the password it chose.
    const first = [...made][0]!;
    const c = await loginClient({ port: xmpp.c2sPort, jid: first, password });
    await c.close();
    return `${made.size} account${made.size === 1 ? "" : "s"}, ${refused.length} refused (${Object.entries(byStatus(refused)).map(([s, n]) => `${n}×${s}`).join(", ")})`;
  }

  it(`single-use invite made by the real invitectl: ${N} concurrent registrations give exactly 1 account`, async function () {
    this.timeout(120_000);
    const r = await server.ctl(["invite", "create_account", "localhost"]);
    expect(r.code, r.stderr).to.equal(0);
    const link = r.stdout.split("\n").find((l) => l.startsWith("http"))!;
    const token = remember(link.slice(link.indexOf("?") + 1));
    figures["single"] = await race(token, "single", 1);
  });

  if (kind === "prosody") it(`single-use invite, in-app: ${N} apps register at the same moment through Prosody's mod_xmpp_invites, exactly 1 account`, async function () {
    this.timeout(120_000);
    const r = await server.ctl(["invite", "create_account", "localhost"]);
    expect(r.code, r.stderr).to.equal(0);
    const link = r.stdout.split("\n").find((l) => l.startsWith("http"))!;
    const token = remember(link.slice(link.indexOf("?") + 1));
    const users = Array.from({ length: N }, (_, i) => `${store}app${i}`);
    const answers = await Promise.all(users.map((u) => registerInAppAnswer(xmpp.c2sPort, token, u, password)));
    const counts: Record<string, number> = {};
    for (const a of answers) counts[a] = (counts[a] ?? 0) + 1;
    // Every other app is told the invite is spent (at <preauth/> or at registration).
    expect(counts, JSON.stringify(counts)).to.deep.equal({ registered: 1, gone: N - 1 });
    const made = await existing(xmpp, users.map((u) => `${u}@localhost`));
    expect(made.size, "accounts on Prosody").to.equal(1);
    const winner = users[answers.indexOf("registered")]!;
    expect(made.has(`${winner}@localhost`)).to.equal(true);
    const c = await loginClient({ port: xmpp.c2sPort, jid: `${winner}@localhost`, password });
    await c.close();
    figures["inapp"] = `1 account, ${N - 1} refused (gone)`;
  });

  it(`invite with uses 20 made through the JSON API: ${N} concurrent registrations give exactly 20 accounts`, async function () {
    this.timeout(120_000);
    const c = await createInvite(server.baseUrl, key, { uses: 20 });
    figures["api"] = await race(c.token, "api", 20);
    expect(await inviteUses(server.baseUrl, key, c.id)).to.deep.equal({ pending: 0, completed: 20, allowed: 20 });
  });

  it(`invite with uses 20 made through the ad-hoc command: ${N} concurrent registrations give exactly 20 accounts`, async function () {
    this.timeout(120_000);
    const cmd = await admin.adhoc("invites.localhost", "urn:xmpp:invite#create-account", { uses: "20" });
    expect(cmd.attrs.status).to.equal("completed");
    const uri = cmd.getChild("x", "jabber:x:data")!.getChildren("field").find((f) => f.attrs.var === "uri")!.getChildText("value")!;
    const token = remember(/preauth=([^;&]+)/.exec(uri)![1]!);
    figures["adhoc"] = await race(token, "adhoc", 20);
  });

  it(`an API key with a burst of 20 and no refill creates exactly 20 of ${N} concurrent invites`, async function () {
    this.timeout(60_000);
    // The key made above has spent some of its 20 already: a fresh one.
    const fresh = await server.apiKey("burst");
    const answers = await Promise.all(Array.from({ length: N }, () => api(server.baseUrl, fresh, "POST", "/v1/invites", {})));
    for (const a of answers) if (a.status === 201) remember(a.json["token"] as string);
    const counts = byStatus(answers);
    expect(counts).to.deep.equal({ 201: 20, 429: N - 20 });
    expect(answers.find((a) => a.status === 429)!.json["message"]).to.be.a("string").and.not.equal("");
    figures["burst"] = `20 created, ${N - 20}×429`;
  });

  it("a user with max_pending_invites_per_user 5 gets exactly 5 of 40 concurrent contact invites", async function () {
    this.timeout(60_000);
    const user = await loginClient({ port: xmpp.c2sPort, jid: "quota@localhost", password: quotaPassword, resource: "q" });
    try {
      const results = await Promise.allSettled(Array.from({ length: 40 }, () => user.adhoc("invites.localhost", "urn:xmpp:invite#invite")));
      const done = results.filter((r) => r.status === "fulfilled" && r.value.attrs.status === "completed" && r.value.getChild("x", "jabber:x:data"));
      const refusals = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
      for (const r of refusals) {
        const e = r.reason as { condition?: string; text?: string; message: string };
        expect(e.condition, e.message).to.equal("policy-violation");
      }
      expect(done.length, `completed: ${done.length}, refused: ${refusals.length}`).to.equal(5);
      expect(refusals).to.have.length(35);
      const listed = await api(server.baseUrl, key, "GET", "/v1/invites?limit=500");
      const mine = (listed.json["invites"] as { inviter: string | null }[]).filter((i) => i.inviter === "quota@localhost");
      expect(mine).to.have.length(5);
      figures["quota"] = `${done.length} created, ${refusals.length} refused (policy-violation)`;
    } finally {
      await user.close();
    }
  });
});
