// Listing and sweeping on the tables' indexes, on every store: keyset pagination newest
// first, bounded windows for filters the index cannot answer, and the indexed sweep.
import { expect } from "chai";
import type { Kysely } from "kysely";
import { STORES, startTestHost, storeName, type TestHost } from "../helpers/host.js";
import invites from "../../modules/invites/index.js";
import { SCAN_WINDOW } from "../../modules/invites/list.js";
import type { InviteTables } from "../../modules/invites/schema.js";
import type { Invite, InvitesApi, ListFilter } from "../../modules/invites/types.js";

const DAY = 86_400_000;

for (const store of STORES) describe(`invites: listing and sweep (${storeName(store)})`, () => {
  let t: TestHost;
  let api: InvitesApi;
  beforeEach(async () => {
    t = await startTestHost({ modules: [invites], hosts: ["a.example", "b.example"], store });
    api = t.api<InvitesApi>("invites");
  });
  afterEach(async () => { await t.stop(); });

  async function all(filter: ListFilter): Promise<{ invites: Invite[]; calls: number }> {
    const out: Invite[] = [];
    let cursor: string | undefined;
    let calls = 0;
    do {
      const page = await api.list({ ...filter, ...(cursor === undefined ? {} : { cursor }) });
      calls++;
      out.push(...page.invites);
      cursor = page.cursor;
    } while (cursor !== undefined);
    return { invites: out, calls };
  }

  it("lists newest first and continues with the cursor, each invite once, in creation order", async () => {
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) ids.push((await api.createAccount({ host: "a.example", source: "test" })).invite.id);
    const first = await api.list({ limit: 10 });
    expect(first.invites.map((i) => i.id)).to.deep.equal(ids.slice(-10).reverse());
    const { invites: listed } = await all({ limit: 25 });
    expect(listed.map((i) => i.id)).to.deep.equal([...ids].reverse());
    // The last page says there is nothing more.
    expect((await api.list({ limit: 120 })).cursor).to.equal(undefined);
  });

  it("filters by host and by inviter on their indexes", async () => {
    for (let i = 0; i < 20; i++) await api.createAccount({ host: i % 2 ? "b.example" : "a.example", source: "test" });
    for (let i = 0; i < 3; i++) await api.createContact({ host: "b.example", source: "test", inviter: "juliet@b.example" });
    const b = await api.list({ host: "b.example", limit: 50 });
    expect(b.invites).to.have.length(13);
    expect(b.invites.every((i) => i.host === "b.example")).to.equal(true);
    expect(b.cursor).to.equal(undefined);
    const byInviter = await api.list({ inviter: "Juliet@b.example", limit: 50 });
    expect(byInviter.invites.map((i) => i.type)).to.deep.equal(["contact", "contact", "contact"]);
  });

  it(`reads at most ${SCAN_WINDOW} rows per call for a filter the index cannot answer, and a cursor finds the rest`, async () => {
    const total = SCAN_WINDOW + 300;
    const db = t.host.storage.database.kysely as Kysely<InviteTables>;
    // Rows written straight to the table (as the bulk loader does): what is measured is listing.
    const base = (await api.createAccount({ host: "a.example", source: "test" })).invite;
    await api.revoke(base.id);
    const row = await db.selectFrom("invites").selectAll().where("id", "=", base.id).executeTakeFirstOrThrow();
    for (let from = 0; from < total; from += 500) {
      await db.insertInto("invites").values(Array.from({ length: Math.min(500, total - from) }, (_, k) => ({
        ...row, id: `x${String(from + k).padStart(11, "0")}`, token_hash: `h${from + k}`, revoked_at: null, dead_at: row.expires_at, seq: row.seq + 1 + from + k,
      }))).execute();
    }
    const first = await api.list({ status: "revoked", limit: 5 });
    expect(first.invites, "the one revoked invite is older than the first window").to.have.length(0);
    expect(first.cursor).to.be.a("string");
    const { invites: found, calls } = await all({ status: "revoked", limit: 5 });
    expect(found.map((i) => i.id)).to.deep.equal([base.id]);
    expect(calls).to.equal(Math.ceil((total + 1) / SCAN_WINDOW));
  });

  it("skips deleted invites and refuses a malformed cursor, naming it", async () => {
    const made = [];
    for (let i = 0; i < 5; i++) made.push((await api.createAccount({ host: "a.example", source: "test" })).invite.id);
    await api.delete(made[3]!);
    expect((await api.list({})).invites.map((i) => i.id)).to.deep.equal([made[4], made[2], made[1], made[0]]);
    for (const cursor of ["nope", "1:2", "99999999999999999999.x", "1.a b"]) {
      let err: unknown;
      try { await api.list({ cursor }); } catch (e) { err = e; }
      expect((err as { code?: string }).code, cursor).to.equal("invites.bad_request");
      expect((err as Error).message).to.include("cursor");
    }
  });

  it("sweeps on the dead_at index: only invites dead for longer than the retention, never one with an open reservation", async () => {
    const now = Date.now();
    const live = await api.createAccount({ host: "a.example", source: "test" });
    const revoked = await api.createAccount({ host: "a.example", source: "test" });
    await api.revoke(revoked.invite.id);
    const held = await api.createAccount({ host: "a.example", source: "test", usesAllowed: 2, expiresAt: now + DAY });
    await api.reserve(held.token, "someone");
    expect(await api.sweep(now + 6 * DAY)).to.equal(0);
    expect(await api.sweep(now + 9 * DAY)).to.equal(1); // the revoked one; `held` expired but holds a reservation
    expect(await api.getById(revoked.invite.id)).to.equal(undefined);
    expect(await api.getById(held.invite.id)).to.not.equal(undefined);
    expect(await api.getById(live.invite.id)).to.not.equal(undefined);
    expect(await api.sweep(now + 20 * DAY)).to.equal(1); // `live` expired a week after creation
  });
});
