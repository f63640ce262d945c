// Case 1, exactly once: many registrations at the same moment on one invite, through the
// real servers' web form, against the real Prosody. Two server processes share one store (a
// SQLite file, then PostgreSQL) and the registrations are split between them. Exactly as
// many accounts as the invite allows, every other attempt a clear refusal, and the accounts
// checked on Prosody itself.
// Registration rate limits are off in this server's config (register_rate_limit: 0,
// register_lookup_rate_limit: 0): 200 registrations from one address would hit them.
import { expect } from "chai";
import type { TestProsody } from "../harness/prosody.js";
import { loginClient, type TestClient } from "../harness/xmpp-client.js";
import type { TestHost } from "../helpers/host.js";
import { existing, remember, report, sharedStore, startProbe, startServer, startSuiteProsody, SUITE_STORES, type ServerProcess } from "./server.js";
import { byStatus, createInvite, inviteUses, newPassword, openForm, api, type Answer } from "./web.js";

const N = 200;

for (const store of SUITE_STORES) describe(`reliability 1: exactly once (${store === "sqlite" ? "SQLite" : "PostgreSQL"}, two server processes)`, function () {
  let prosody: TestProsody;
  let server: ServerProcess;
  let second: ServerProcess;
  let probe: TestHost;
  let key: string;
  let admin: TestClient;
  const password = newPassword();
  let quotaPassword = "";
  const figures: Record<string, string> = {};

  before(async function () {
    this.timeout(120_000);
    prosody = await startSuiteProsody();
    const adminPassword = newPassword();
    await prosody.registerUser("admin", adminPassword);
    await prosody.registerUser("quota", adminPassword);
    const options = {
      register_rate_limit: 0, register_lookup_rate_limit: 0,
      invites_api_rate_limit: "1/day", invites_api_rate_burst: 20,
      max_pending_invites_per_user: 5, max_invites_per_day: 0,
      ...(await sharedStore(store)),
    };
    server = await startServer(prosody, options);
    second = await startServer(prosody, options);
    key = await server.apiKey();
    probe = await startProbe(prosody);
    admin = await loginClient({ port: prosody.c2sPort, jid: "admin@localhost", password: adminPassword });
    quotaPassword = adminPassword;
  });

  after(async function () {
    this.timeout(60_000);
    await admin?.close();
    await probe?.stop();
    await second?.stop();
    await server?.stop();
    await prosody?.destroy();
    report(`exactly-once (${store}, ${N} registrations split across two processes): ${N} concurrent on a single-use invite → ${figures["single"]}; uses 20 (JSON API invite) → ${figures["api"]}; uses 20 (ad-hoc invite) → ${figures["adhoc"]}; API key burst 20 → ${figures["burst"]}; ad-hoc quota 5 → ${figures["quota"]}`);
  });

  /** Sends N registrations at once; checks the answers and the accounts on Prosody; returns the figure text. */
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
    const made = await existing(probe, users.map((u) => `${u}@localhost`));
    expect(made.size, "accounts on Prosody").to.equal(allowed);
    for (const [i, a] of answers.entries()) expect(made.has(`${users[i]}@localhost`), users[i]).to.equal(a.status === 200);
    // One of them logs in with the password it chose.
    const first = [...made][0]!;
    const c = await loginClient({ port: prosody.c2sPort, jid: first, password });
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
    const user = await loginClient({ port: prosody.c2sPort, jid: "quota@localhost", password: quotaPassword, resource: "q" });
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
