// What only a running server does, against a real Prosody: an in-process host in "server"
// mode (as bin/xmpp-invites runs it), so crash recovery on each connection, the periodic
// sweep and releases left to recovery after an ambiguous failure are exercised here too, not
// only by the reliability suite's separate processes.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { InvitesApi } from "../../modules/invites/types.js";
import { startProsody, type TestProsody } from "../harness/prosody.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { openForm } from "../helpers/forms.js";
import { waitFor } from "../helpers/wait.js";

const PASSWORD = "correct-horse-battery";

describe("server-mode wiring with a real Prosody (recovery, sweep, deferred releases)", function () {
  this.timeout(90_000);
  let prosody: TestProsody;
  let dir: string;
  let t: TestHost;
  let invites: InvitesApi;
  const xmpp = () => ({ server: prosody.componentServer, jid: prosody.componentJid, secret: prosody.componentSecret });
  const start = async () => {
    t = await startTestHost({
      mode: "server", dataDir: dir, store: "sqlite", xmpp: xmpp(),
      // A short admin timeout, so that the frozen server's silence is a timeout within the test.
      config: { component: { jid: prosody.componentJid, secret: prosody.componentSecret, server: prosody.componentServer, timeout: 2 } },
      enabled: ["invites", "invites_page", "invites_register"],
      options: { invites_page_rate_limit: 0, register_rate_limit: 0, invite_sweep_interval: "1 second", invite_retention: "1 minute" },
    });
    invites = t.api<InvitesApi>("invites");
    await waitFor("the component link", () => !!t.host.link?.connected);
  };

  before(async () => {
    prosody = await startProsody();
    dir = mkdtempSync(join(tmpdir(), "xi-server-wiring-"));
    await start();
  });
  after(async () => {
    await t?.stop();
    await prosody?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("keeps a use reserved while the server cannot say whether the account was made, and settles it once it can", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const submit = await openForm(t.baseUrl, `/register?t=${c.token}`);
    // Prosody stops answering without closing anything: the add-user times out, so whether
    // the account was made is unknown (it may run once Prosody wakes up).
    prosody.freeze();
    try {
      const timedOut = await submit({ user: "gale", password: PASSWORD, token: c.token });
      expect(timedOut.status).to.equal(503);
      // A running server does not give the use back on its own: recovery will ask.
      expect((await invites.get(c.token))!.usesPending).to.equal(1);
      expect((await invites.validate(c.token)).ok).to.equal(false);
    } finally {
      prosody.thaw();
    }
    await waitFor("recovery to settle the use", async () => (await invites.get(c.token))!.usesPending === 0, 600);
    // Settled by the server's answer: spent if the late add-user made the account, else given back.
    const made = (await t.host.admin.accountExists("gale@localhost"));
    const after = (await invites.get(c.token))!;
    expect(after.usesCompleted).to.equal(made ? 1 : 0);
    if (!made) expect((await submit({ user: "gale", password: PASSWORD, token: c.token })).status).to.equal(200);
  });

  it("settles the reservations of a process that died, on its next connection: completed if the account exists, else released", async () => {
    await t.stop();
    // "Another process" over the same database reserves two uses and dies before finishing.
    const dead = await startTestHost({ dataDir: dir, store: "sqlite", enabled: ["invites"] });
    const deadInvites = dead.api<InvitesApi>("invites");
    const c = await deadInvites.createAccount({ host: "localhost", source: "test", usesAllowed: 2 });
    await deadInvites.reserve(c.token, "made");
    await deadInvites.reserve(c.token, "never");
    await dead.stop();
    await prosody.registerUser("made", PASSWORD); // its account was created before the crash
    await start();
    await waitFor("recovery to settle both", async () => (await invites.get(c.token))!.usesPending === 0);
    const settled = (await invites.get(c.token))!;
    expect(settled).to.include({ usesCompleted: 1, usesPending: 0 });
    expect((await invites.validate(c.token)).ok).to.equal(true);
  });

  it("sweeps old invites on its own, every invite_sweep_interval", async () => {
    const old = await invites.createAccount({ host: "localhost", source: "test" });
    await invites.revoke(old.invite.id, "test");
    const kept = await invites.createAccount({ host: "localhost", source: "test" });
    t.clock.advance(2 * 60_000); // past invite_retention for the revoked one
    await waitFor("the sweep", async () => (await invites.getById(old.invite.id)) === undefined, 100);
    expect(await invites.getById(kept.invite.id)).to.not.equal(undefined);
  });
});
