// Case 3, server outage: the XMPP server (Prosody, ejabberd; on SQLite, and Prosody on
// PostgreSQL) is stopped for 10 s in the middle of load. The invites API does not need it and keeps creating; registration needs
// it, so it answers 503 and spends nothing; the component is back soon after the server returns.
import { expect } from "chai";
import { SERVER_NAMES, type TestXmppServer } from "../harness/servers.js";
import { existing, loadSuite, report, runName, sleep, SUITE_RUNS, type ServerProcess } from "./server.js";
import { byStatus, createInvite, inviteUses, newPassword, openForm, api } from "./web.js";

const OUTAGE_MS = 10_000;

interface Made { id: string; token: string; users: string[] }
interface Shot { at: number; status: number; user?: string }

for (const { kind, store } of SUITE_RUNS) describe(`reliability 3: XMPP server outage (${runName({ kind, store })})`, function () {
  let xmpp: TestXmppServer;
  let server: ServerProcess;
  let key: string;
  const password = newPassword();

  const suite = loadSuite({ kind, store });
  before(() => { ({ xmpp, server, key } = suite); });

  it("keeps the API creating, answers registration 503 without spending, and reconnects within 5 s", async function () {
    this.timeout(120_000);
    const made: Made[] = [];
    const creates: Shot[] = [];
    const registrations: Shot[] = [];
    let stop = false;
    const creator = async () => {
      while (!stop) {
        const r = await api(server.baseUrl, key, "POST", "/v1/invites", {});
        creates.push({ at: Date.now(), status: r.status });
        if (r.status === 201) made.push({ id: (r.json["invite"] as { id: string }).id, token: r.json["token"] as string, users: [] });
        await sleep(50);
      }
    };
    const registrar = async () => {
      while (!stop) {
        const inv = made.find((m) => m.users.length === 0) ?? made[made.length - 1];
        if (!inv) { await sleep(20); continue; }
        const user = `o${made.indexOf(inv)}u${inv.users.length}`;
        inv.users.push(user);
        const submit = await openForm(server.baseUrl, inv.token).catch(() => undefined);
        if (!submit) continue; // used up already
        const a = await submit(user, password);
        registrations.push({ at: Date.now(), status: a.status, user });
        if (a.status === 503) expect(a.body).to.match(/try again/i);
      }
    };
    for (let i = 0; i < 5; i++) await createInvite(server.baseUrl, key).then((c) => made.push({ ...c, users: [] }));
    const workers = [creator(), creator(), registrar(), registrar(), registrar()];

    await sleep(2000);
    await xmpp.stop();
    const down = Date.now();
    await sleep(OUTAGE_MS);
    const up = Date.now();
    await xmpp.start();
    const back = Date.now();
    let reconnectMs = -1;
    while (Date.now() - back < 15_000) {
      const h = (await (await fetch(new URL("health", server.baseUrl))).json()) as { component: { state: string } };
      if (h.component.state === "connected") { reconnectMs = Date.now() - back; break; }
      await sleep(50);
    }
    await sleep(2000); // load goes on after the return
    stop = true;
    await Promise.all(workers);

    // The component was back within 5 s of the server's return.
    expect(reconnectMs, "component reconnection (ms)").to.be.within(0, 5000);
    // The API kept creating through the outage.
    const during = (s: Shot) => s.at > down + 500 && s.at < up;
    const createsDuring = creates.filter(during);
    expect(createsDuring.length).to.be.greaterThan(20);
    expect(byStatus(createsDuring)).to.deep.equal({ 201: createsDuring.length });
    expect(byStatus(creates.filter((s) => !during(s)))).to.have.keys(["201"]);
    // Registration answered 503 during the outage, and worked before and after it.
    const regDuring = registrations.filter(during);
    expect(regDuring.length).to.be.greaterThan(20);
    expect(byStatus(regDuring)).to.deep.equal({ 503: regDuring.length });
    expect(registrations.filter((s) => s.at < down && s.status === 200).length, "registered before").to.be.greaterThan(0);
    expect(registrations.filter((s) => s.at > back + reconnectMs && s.status === 200).length, "registered after").to.be.greaterThan(0);

    // Nothing was spent without an account: completed uses equal accounts, nothing pending.
    const accounts = await existing(xmpp, made.flatMap((m) => m.users.map((u) => `${u}@localhost`)));
    let completed = 0;
    for (const inv of made) {
      const uses = await inviteUses(server.baseUrl, key, inv.id);
      expect(uses.pending, inv.id).to.equal(0);
      expect(uses.completed, inv.id).to.equal(inv.users.filter((u) => accounts.has(`${u}@localhost`)).length);
      completed += uses.completed;
    }
    for (const s of regDuring) expect(accounts.has(`${s.user}@localhost`), s.user).to.equal(false);

    report(`outage (${runName({ kind, store })}): ${SERVER_NAMES[kind]} down ${OUTAGE_MS / 1000} s; API ${createsDuring.length} creates during it, all 201; registration ${regDuring.length} answers during it, all 503, 0 uses spent; ${accounts.size} accounts = ${completed} completed uses overall; component back ${(reconnectMs / 1000).toFixed(1)} s after the server`);
  });
});
