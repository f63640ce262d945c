// Atomic reserve under concurrency, and ctl changes seen by a running server (no cache).
import { expect } from "chai";
import { isModuleError } from "../../core/errors.js";
import { STORES, startTestHost, storeName, type TestHost } from "../helpers/host.js";
import invites from "../../modules/invites/index.js";
import type { InvitesApi, Reservation } from "../../modules/invites/types.js";

async function race(api: InvitesApi, token: string, n: number): Promise<{ won: Reservation[]; reasons: Record<string, number> }> {
  const results = await Promise.allSettled(Array.from({ length: n }, (_, i) => api.reserve(token, `user${i}`)));
  const won: Reservation[] = [];
  const reasons: Record<string, number> = {};
  for (const r of results) {
    if (r.status === "fulfilled") won.push(r.value);
    else {
      expect(isModuleError(r.reason), String(r.reason)).to.equal(true);
      const code = (r.reason as { code: string }).code;
      reasons[code] = (reasons[code] ?? 0) + 1;
    }
  }
  return { won, reasons };
}

for (const store of STORES) {
  describe(`invites: concurrent reserve (${storeName(store)})`, () => {
    let t: TestHost;
    let api: InvitesApi;
    beforeEach(async () => {
      t = await startTestHost({ modules: [invites], hosts: ["example.org"], store });
      api = t.api<InvitesApi>("invites");
    });
    afterEach(async () => { await t.stop(); });

    it("gives exactly one of 200 concurrent reserves of a single-use invite", async () => {
      const c = await api.createAccount({ host: "example.org", source: "ctl" });
      const { won, reasons } = await race(api, c.token, 200);
      expect(won).to.have.length(1);
      expect(reasons).to.deep.equal({ "invites.used_up": 199 });
      expect((await api.getById(c.invite.id))!.usesPending).to.equal(1);
    });

    it("gives exactly 20 of 200 concurrent reserves when uses_allowed is 20, and counts them on complete", async () => {
      const c = await api.createAccount({ host: "example.org", source: "ctl", usesAllowed: 20 });
      const { won, reasons } = await race(api, c.token, 200);
      expect(won).to.have.length(20);
      expect(reasons).to.deep.equal({ "invites.used_up": 180 });
      await Promise.all(won.map((r) => api.complete(r)));
      const after = (await api.getById(c.invite.id))!;
      expect(after).to.include({ usesPending: 0, usesCompleted: 20 });
      expect(api.status(after)).to.equal("used");
    });

    it("hands a released use to exactly one of the next concurrent reserves", async () => {
      const c = await api.createAccount({ host: "example.org", source: "ctl" });
      const first = await api.reserve(c.token, "first");
      await api.release(first);
      const { won } = await race(api, c.token, 50);
      expect(won).to.have.length(1);
    });
  });
}

describe("invites: a change made by invitectl is seen by the running server", () => {
  it("revoke and extend through a second host on the same SQLite file take effect at once", async () => {
    const server = await startTestHost({ modules: [invites], hosts: ["example.org"], store: "sqlite" });
    const ctl = await startTestHost({ modules: [invites], hosts: ["example.org"], store: "sqlite://invites.sqlite", dataDir: server.dataDir });
    try {
      const api = server.api<InvitesApi>("invites");
      const c = await api.createAccount({ host: "example.org", source: "ctl" });
      expect((await api.validate(c.token)).ok).to.equal(true);
      const revoke = await ctl.runCtl(["invite", "revoke", "example.org", c.invite.id]);
      expect(revoke.code, revoke.stderr).to.equal(0);
      expect(await api.validate(c.token)).to.deep.include({ ok: false, reason: "revoked" });
      expect((await ctl.runCtl(["invite", "extend", "example.org", c.token, "2w"])).code).to.equal(0);
      expect((await api.validate(c.token)).ok).to.equal(true);
    } finally {
      await ctl.stop();
      await server.stop();
    }
  });
});
