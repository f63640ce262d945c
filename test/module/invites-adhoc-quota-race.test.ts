// Regression: the pending-invite quota held under concurrency. Concurrent contact-invite
// requests from one user used to all count the same pending invites before any was
// created, so 40 at once gave 40 invites with max_pending_invites_per_user 5.
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import { NODES } from "../../modules/invites_adhoc/index.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { refusal, runner } from "../helpers/adhoc.js";

describe("invites_adhoc: quotas under concurrent requests", () => {
  let t: TestHost;
  afterEach(async () => { await t?.stop(); });

  for (const store of ["memory://", "sqlite"]) {
    it(`gives exactly max_pending_invites_per_user of 40 concurrent contact invites (${store === "sqlite" ? "SQLite" : "memory"})`, async () => {
      t = await startTestHost({ enabled: ["invites", "invites_adhoc"], store, options: { max_pending_invites_per_user: 5, max_invites_per_day: 0 } });
      const r = runner(t);
      const results = await Promise.allSettled(Array.from({ length: 40 }, () => r.run(NODES.invite, "romeo@localhost")));
      const done = results.filter((x) => x.status === "fulfilled");
      expect(done).to.have.length(5);
      for (const x of results) if (x.status === "rejected") expect((await refusal(Promise.reject(x.reason))).condition).to.equal("policy-violation");
      const listed = await t.api<InvitesApi>("invites").list({ inviter: "romeo@localhost" });
      expect(listed.invites).to.have.length(5);
    });
  }

  it("gives exactly max_invites_per_day of 40 concurrent contact invites", async () => {
    t = await startTestHost({ enabled: ["invites", "invites_adhoc"], options: { max_pending_invites_per_user: 0, max_invites_per_day: 7 } });
    const r = runner(t);
    const results = await Promise.allSettled(Array.from({ length: 40 }, () => r.run(NODES.invite, "romeo@localhost")));
    expect(results.filter((x) => x.status === "fulfilled")).to.have.length(7);
  });
});
