// Two server processes on one store (a SQLite file, then PostgreSQL) against a real
// Prosody (the store and the link's sharing do not depend on which XMPP server it is): one holds the component link, the other stands by and hands its admin
// operations to the holder through the database; when the holder is killed, the other
// takes the link over within 5 s and goes on registering.
import { expect } from "chai";
import type { TestProsody } from "../harness/prosody.js";
import type { TestXmppServer } from "../harness/servers.js";
import { existing, sharedStore, sleep, startServer, startSuiteProsody, type ServerProcess } from "../reliability/server.js";
import { createInvite, newPassword, openForm } from "../reliability/web.js";

for (const kind of ["sqlite", "postgres"] as const) describe(`several instances on one ${kind === "sqlite" ? "SQLite file" : "PostgreSQL"} (real Prosody, real processes)`, function () {
  this.timeout(120_000);
  let prosody: TestProsody & TestXmppServer;
  let a: ServerProcess;
  let b: ServerProcess;
  let key: string;
  const password = newPassword();

  before(async function () {
    this.timeout(120_000);
    prosody = await startSuiteProsody();
    const store = await sharedStore(kind);
    a = await startServer(prosody, store);
    b = await startServer(prosody, store);
    key = await a.apiKey();
  });
  after(async function () {
    this.timeout(60_000);
    await b?.stop();
    await a?.stop();
    await prosody?.destroy();
  });

  async function register(server: ServerProcess, user: string): Promise<number> {
    const { token } = await createInvite(server.baseUrl, key);
    const submit = await openForm(server.baseUrl, token);
    return (await submit(user, password)).status;
  }

  it("one instance holds the link, the other stands by, both healthy", async () => {
    const [ha, hb] = [await a.health(), await b.health()];
    expect([ha?.component.link, hb?.component.link].sort()).to.deep.equal(["held", "standby"]);
    expect([ha?.component.state, hb?.component.state]).to.deep.equal(["connected", "connected"]);
  });

  it("registers through the standby: its add-user runs on the holder's link", async () => {
    const standby = (await a.health())?.component.link === "standby" ? a : b;
    expect(await register(standby, `${kind}standby`)).to.equal(200);
    expect((await existing(prosody, [`${kind}standby@localhost`])).size).to.equal(1);
  });

  it("when the holder is killed, the other takes the link over within 5 s and registers", async () => {
    const holder = (await a.health())?.component.link === "held" ? a : b;
    const other = holder === a ? b : a;
    await holder.kill();
    const killed = Date.now();
    let tookMs = -1;
    while (Date.now() - killed < 10_000) {
      const h = await other.health();
      if (h?.component.link === "held" && h.component.state === "connected") { tookMs = Date.now() - killed; break; }
      await sleep(50);
    }
    expect(tookMs, "takeover (ms)").to.be.within(0, 5_000);
    expect(await register(other, `${kind}after`)).to.equal(200);
    expect((await existing(prosody, [`${kind}after@localhost`])).size).to.equal(1);
    process.stdout.write(`      takeover after SIGKILL of the holder: ${(tookMs / 1000).toFixed(1)} s\n`);
  });
});
