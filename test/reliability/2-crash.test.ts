// Case 2, crash: two server processes share one store (a SQLite file, or PostgreSQL) in
// front of a real XMPP server (Prosody, ejabberd); one of them, in turn, is killed with
// SIGKILL at a random moment while clients create invites (JSON API) and register with them
// (web form, and on Prosody apps in-app) through both, ten times, restarting it each time.
// The other keeps serving: every create it is sent during the kill gets 201. Afterwards
// nothing is lost and nothing is counted twice: every invite that got a 201 exists; for every
// invite, the accounts the XMPP server has among the usernames tried with it equal its
// completed uses, and no use is left pending (crash recovery settled them).
// Budget: 10 cycles of 1-4 s of load each (about 25 s of load in all, not 30 s per cycle),
// to keep the whole suite within its few minutes on two cores.
import { expect } from "chai";
import { readFileSync } from "node:fs";
import type { TestXmppServer } from "../harness/servers.js";
import { existing, loadSuite, report, runName, sleep, SUITE_RUNS, type ServerProcess } from "./server.js";
import { createInvite, inviteUses, newPassword, openForm, registerInAppAnswer } from "./web.js";

const CYCLES = 10;

interface Made { id: string; token: string; uses: number; users: string[] }

for (const { kind, store } of SUITE_RUNS) describe(`reliability 2: crash (${runName({ kind, store })}, two server processes)`, function () {
  let servers: ServerProcess[];
  let server: ServerProcess;
  let xmpp: TestXmppServer;
  let key: string;
  const password = newPassword();

  const suite = loadSuite({ kind, store, servers: 2 });
  before(() => { ({ servers, xmpp, key } = suite); });

  it(`loses nothing and counts nothing twice across ${CYCLES} SIGKILLs of one of two processes under load`, async function () {
    this.timeout(300_000);
    const made: Made[] = [];
    const answered = new Map<string, number>();
    let created201 = 0, attempts = 0, appAttempts = 0, loadMs = 0, survivorCreates = 0;
    const appAnswers: Record<string, number> = {};
    const killTimes: number[] = [];

    for (let cycle = 0; cycle < CYCLES; cycle++) {
      let stop = false;
      // The one killed this cycle, and the one that must keep serving.
      server = servers[cycle % 2]!;
      const survivor = servers[(cycle + 1) % 2]!;
      let killed = false;
      const creator = async (target: ServerProcess) => {
        while (!stop) {
          const uses = 1 + Math.floor(Math.random() * 3);
          const during = killed;
          try {
            const c = await createInvite(target.baseUrl, key, { uses });
            made.push({ ...c, uses, users: [] });
            created201++;
            if (target === survivor && during) survivorCreates++;
          } catch (e) {
            // The killed one died under us: expected. The survivor must not fail.
            if (target === survivor) throw e;
          }
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
            const submit = await openForm((Math.random() < 0.5 ? server : survivor).baseUrl, inv.token);
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
          const a = await registerInAppAnswer(xmpp.c2sPort, inv.token, user, password);
          appAnswers[a] = (appAnswers[a] ?? 0) + 1;
          if (a === "registered") answered.set(`${user}@localhost`, 200);
          // Spent, or the component is down (Prosody says so at once): both expected.
          expect(a, user).to.be.oneOf(["registered", "gone", "remote-server-timeout"]);
        }
      };
      const started = Date.now();
      // Only Prosody has the server module: apps register in-app there.
      const workers = [creator(server), creator(survivor), ...Array.from({ length: 6 }, registrar), ...(kind === "prosody" ? [app(), app()] : [])];
      const killAt = 1000 + Math.random() * 3000;
      await sleep(killAt);
      await server.kill();
      killed = true;
      // The survivor serves on while the other is dead (and, if it held the link, takes it over).
      await sleep(1000);
      stop = true;
      await Promise.all(workers);
      loadMs += Date.now() - started;
      killTimes.push(Math.round(killAt));
      await server.start();
    }

    server = servers[0]!;
    // Recovery settles what the killed processes left (every 10 s while the link is up); wait until no use is pending.
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

    const recovered = servers.flatMap((s) => readFileSync(s.logPath, "utf8").split("\n")).filter((l) => l.includes("recovered an interrupted registration"));
    const completedByRecovery = recovered.filter((l) => l.includes('"completed"')).length;
    expect(survivorCreates, "creates answered by the survivor while the other was dead").to.be.greaterThan(0);
    report(`crash (${runName({ kind, store })}, two processes, one killed in turn; the other answered ${survivorCreates} creates meanwhile, all 201): ${CYCLES} SIGKILLs at ${killTimes.map((t) => (t / 1000).toFixed(1)).join("/")} s into ${(loadMs / 1000).toFixed(0)} s of load; ${created201} invites got 201, all ${made.length} still exist; ${attempts} registrations tried${kind === "prosody" ? ` (${appAttempts} in-app: ${Object.entries(appAnswers).map(([k, n]) => `${n} ${k}`).join(", ")})` : ""}, ${told.length} told registered, ${accounts.size} accounts on the XMPP server = ${completed} completed uses, 0 pending; recovery settled ${recovered.length} interrupted registrations (${completedByRecovery} completed, ${recovered.length - completedByRecovery} released)`);
    expect(accounts.size).to.equal(completed);
    expect(made.length).to.equal(created201);
  });
});
