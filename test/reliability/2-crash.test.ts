// Case 2, crash: the real server is killed with SIGKILL at random moments while clients
// create invites (JSON API) and register with them (web form), ten times, restarting it
// each time, against each real XMPP server (Prosody, ejabberd). Afterwards nothing is lost
// and nothing is counted twice: every invite that got a 201 exists; for every invite, the
// accounts the XMPP server has among the usernames tried with it equal its completed uses,
// and no use is left pending (crash recovery settled them).
// Budget: 10 cycles of 1-4 s of load each (about 25 s of load in all, not 30 s per cycle),
// to keep the whole suite within its few minutes on two cores.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import { SERVER_KINDS, SERVER_NAMES, type TestXmppServer } from "../harness/servers.js";
import { existing, loadSuite, report, sleep, type ServerProcess } from "./server.js";
import { createInvite, inviteUses, newPassword, openForm, registerInAppAnswer } from "./web.js";

const CYCLES = 10;

interface Made { id: string; token: string; uses: number; users: string[] }

for (const kind of SERVER_KINDS) {
describe(`reliability 2: crash (${SERVER_NAMES[kind]})`, function () {
  let server: ServerProcess;
  let xmpp: TestXmppServer;
  let key: string;
  let c2sPort: number;
  const password = newPassword();

  const suite = loadSuite(kind);
  before(() => { ({ server, xmpp, key } = suite); c2sPort = suite.xmpp.c2sPort; });

  it(`loses nothing and counts nothing twice across ${CYCLES} SIGKILLs under load`, async function () {
    this.timeout(300_000);
    const made: Made[] = [];
    const answered = new Map<string, number>();
    let created201 = 0, attempts = 0, appAttempts = 0, loadMs = 0;
    const appAnswers: Record<string, number> = {};
    const killTimes: number[] = [];

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      let stop = false;
      const creator = async () => {
        while (!stop) {
          const uses = 1 + Math.floor(Math.random() * 3);
          try {
            const c = await createInvite(server.baseUrl, key, { uses });
            made.push({ ...c, uses, users: [] });
            created201++;
          } catch { /* the server died under us: expected */ }
          await sleep(40);
        }
      };
      const registrar = async () => {
        while (!stop) {
          // Mostly recent invites, so that many are still usable.
          const pool = made.slice(-20);
          const inv = pool[Math.floor(Math.random() * pool.length)];
          if (!inv) { await sleep(20); continue; }
          const idx = made.indexOf(inv);
          const user = `c${idx}u${inv.users.length}`;
          inv.users.push(user);
          attempts++;
          try {
            const submit = await openForm(server.baseUrl, inv.token);
            const a = await submit(user, password);
            answered.set(`${user}@localhost`, a.status);
            expect(a.status, a.body.slice(0, 200)).to.be.oneOf([200, 409, 410, 503]);
          } catch (e) {
            if ((e as Error).name === "AssertionError") throw e;
            /* refused before the form (used up) or the server died: both expected */
          }
        }
      };
      // Apps registering in-app through Prosody's mod_xmpp_invites, with the same invites.
      const app = async () => {
        while (!stop) {
          const pool = made.slice(-20);
          const inv = pool[Math.floor(Math.random() * pool.length)];
          if (!inv) { await sleep(20); continue; }
          const user = `c${made.indexOf(inv)}u${inv.users.length}`;
          inv.users.push(user);
          attempts++;
          appAttempts++;
          const a = await registerInAppAnswer(c2sPort, inv.token, user, password);
          appAnswers[a] = (appAnswers[a] ?? 0) + 1;
          if (a === "registered") answered.set(`${user}@localhost`, 200);
          // Spent, or the component is down (Prosody says so at once): both expected.
          expect(a, user).to.be.oneOf(["registered", "gone", "remote-server-timeout"]);
        }
      };
      const started = Date.now();
      // Only Prosody has the server module: apps register in-app there.
      const workers = [creator(), creator(), ...Array.from({ length: 6 }, registrar), ...(kind === "prosody" ? [app(), app()] : [])];
      const killAt = 1000 + Math.random() * 3000;
      await sleep(killAt);
      await server.kill();
      stop = true;
      await Promise.all(workers);
      loadMs += Date.now() - started;
      killTimes.push(Math.round(killAt));
      await server.start();
    }

    // Recovery runs when the restarted server's link comes online; wait until no use is pending.
    const deadline = Date.now() + 30_000;
    let pending = Infinity;
    while (pending > 0 && Date.now() < deadline) {
      pending = 0;
      for (const inv of made) pending += (await inviteUses(server.baseUrl, key, inv.id)).pending;
      if (pending > 0) await sleep(500);
    }
    expect(pending, "uses still pending after recovery").to.equal(0);

    // Every 201 invite exists, and its completed uses are exactly its accounts on the XMPP server.
    const tried = made.flatMap((m) => m.users.map((u) => `${u}@localhost`));
    const accounts = await existing(xmpp, tried);
    let completed = 0;
    for (const inv of made) {
      const uses = await inviteUses(server.baseUrl, key, inv.id);
      const mine = inv.users.filter((u) => accounts.has(`${u}@localhost`)).length;
      expect(uses.completed, `invite ${inv.id}: completed uses vs accounts ${inv.users.join(",")}`).to.equal(mine);
      expect(uses.completed).to.be.at.most(inv.uses);
      completed += uses.completed;
    }
    // Whoever was told "registered" has the account.
    const told = [...answered].filter(([, s]) => s === 200).map(([j]) => j);
    for (const j of told) expect(accounts.has(j), j).to.equal(true);

    const recovered = readFileSync(server.logPath, "utf8").split("\n").filter((l) => l.includes("recovered an interrupted registration"));
    const completedByRecovery = recovered.filter((l) => l.includes('"completed"')).length;
    report(`crash (${SERVER_NAMES[kind]}): ${CYCLES} SIGKILLs at ${killTimes.map((t) => (t / 1000).toFixed(1)).join("/")} s into ${(loadMs / 1000).toFixed(0)} s of load; ${created201} invites got 201, all ${made.length} still exist; ${attempts} registrations tried${kind === "prosody" ? ` (${appAttempts} in-app: ${Object.entries(appAnswers).map(([k, n]) => `${n} ${k}`).join(", ")})` : ""}, ${told.length} told registered, ${accounts.size} accounts on the XMPP server = ${completed} completed uses, 0 pending; recovery settled ${recovered.length} interrupted registrations (${completedByRecovery} completed, ${recovered.length - completedByRecovery} released)`);
    expect(accounts.size).to.equal(completed);
    expect(made.length).to.equal(created201);
  });
});
}
