// Crash recovery of reservations (modules/invites/recovery.ts): a "process" (an instance
// id) reserves and dies (stops being listed alive); another over the same database asks the
// server whether each account exists and completes or releases the use. The server is a
// fake AdminPort here; the real-process version is test/reliability/2-crash.test.ts.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { Kysely } from "kysely";
import { adminErrors, type AdminPort } from "../../core/admin.js";
import { isModuleError } from "../../core/errors.js";
import { openStorage, type Storage } from "../../core/store.js";
import { createApi } from "../../modules/invites/api.js";
import { Recovery } from "../../modules/invites/recovery.js";
import { InviteRepo } from "../../modules/invites/repo.js";
import { codeHasher } from "../../modules/invites/tokens.js";
import { migrations, type InviteTables } from "../../modules/invites/schema.js";
import type { InvitesApi } from "../../modules/invites/types.js";
import { STORES, storeName, storeUri } from "../helpers/host.js";

const log = pino({ level: "silent" });
const settings = { hosts: ["example.org"], maxExpiryMs: 31_536_000_000, maxResetExpiryMs: 604_800_000, expiryMs: 86_400_000, resetExpiryMs: 86_400_000, retentionMs: 86_400_000, codeTtlMs: 600_000, codeLength: 8, maxUsernameLength: 64 };
/** The instances reporting in, as core_instances would list them. */
const alive = new Set<string>();
let ids = 0;

/** One "process": an instance id of its own over the shared database; alive until it "dies". */
function processOn(storage: Storage, now: () => number = Date.now, linkDown = () => false): { api: InvitesApi; open: Recovery & { listed(): Promise<string[]> }; die(): void } {
  const self = `p${++ids}`;
  alive.add(self);
  const repo = new InviteRepo(storage.database.kysely as Kysely<InviteTables>, codeHasher(Buffer.alloc(32, 1)));
  const recovery = new Recovery(repo, { self, alive: async () => new Set(alive) }, log, now);
  const api = createApi({ repo, settings, fire: async () => {}, log, owner: self, now, releaseUncertain: linkDown });
  // The invites holding open reservations (what recovery has left to do).
  const listed = async () => [...new Set((await repo.db.selectFrom("invite_reservations").select("invite_id").execute()).map((r) => r.invite_id))];
  return { api, open: Object.assign(recovery, { listed }), die: () => alive.delete(self) };
}

function fakeServer(accounts: string[]): AdminPort & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked, connected: true, privileges: {},
    accountExists: async (jid) => { asked.push(jid); return accounts.includes(jid); },
    createAccount: async () => {}, changePassword: async () => {}, deleteAccount: async () => {}, disableAccount: async () => {}, enableAccount: async () => {}, endSessions: async () => {},
    getRoster: async () => [], setRosterItem: async () => {},
    capabilities: { known: false, hosts: {} }, makeMutualContacts: async () => ({ via: "test" }), getProfile: async () => ({ via: "none" }),
  };
}

for (const store of STORES) describe(`invites: crash recovery of reservations (${storeName(store)})`, () => {
  let dir: string;
  let storage: Storage;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "xi-recovery-"));
    storage = await openStorage(await storeUri(store), dir, [{ owner: "invites", migrations }]);
  });
  afterEach(async () => {
    await storage.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("completes the use when the account exists and releases it when not, after a restart", async () => {
    const dead = processOn(storage);
    const a = await dead.api.createAccount({ host: "example.org", source: "test", usesAllowed: 2 });
    const b = await dead.api.createAccount({ host: "example.org", source: "test" });
    await dead.api.reserve(a.token, "alice"); // account made, then the crash
    await dead.api.reserve(a.token, "carol"); // crash before the account
    await dead.api.reserve(b.token, "bob"); // crash before the account
    expect((await dead.open.listed()).sort()).to.deep.equal([a.invite.id, b.invite.id].sort());
    dead.die();

    const next = processOn(storage);
    const server = fakeServer(["alice@example.org"]);
    const result = await next.open.recover(server, next.api);
    expect(result).to.deep.equal({ checked: 3, completed: 1, released: 2, failed: 0 });
    expect(server.asked.sort()).to.deep.equal(["alice@example.org", "bob@example.org", "carol@example.org"]);
    const ia = (await next.api.getById(a.invite.id))!;
    expect([ia.usesCompleted, ia.usesPending, Object.keys(ia.reservations).length]).to.deep.equal([1, 0, 0]);
    const ib = (await next.api.getById(b.invite.id))!;
    expect([ib.usesCompleted, ib.usesPending]).to.deep.equal([0, 0]);
    expect(await next.open.listed()).to.deep.equal([]);
    // The released single-use invite is usable again.
    expect((await next.api.validate(b.token)).ok).to.equal(true);
  });

  it("leaves alone the reservations of registrations still running in this process", async () => {
    const p = processOn(storage);
    const c = await p.api.createAccount({ host: "example.org", source: "test" });
    const live = await p.api.reserve(c.token, "dora");
    const server = fakeServer([]);
    expect(await p.open.recover(server, p.api)).to.deep.equal({ checked: 0, completed: 0, released: 0, failed: 0 });
    expect(server.asked).to.deep.equal([]);
    expect(await p.open.listed()).to.deep.equal([c.invite.id]);
    await p.api.complete(live);
    expect(await p.open.listed()).to.deep.equal([]);
  });

  it("leaves alone the reservations of a registration running in another live instance", async () => {
    const other = processOn(storage);
    const c = await other.api.createAccount({ host: "example.org", source: "test" });
    await other.api.reserve(c.token, "olga");
    const holder = processOn(storage);
    const server = fakeServer([]);
    expect((await holder.open.recover(server, holder.api)).checked).to.equal(0);
    expect(server.asked).to.deep.equal([]);
    other.die();
    expect((await holder.open.recover(server, holder.api)).released).to.equal(1);
  });

  it("keeps the slot of a reservation past its time to live until recovery settles it: a single-use invite admits no second account", async () => {
    let clock = Date.now();
    const p = processOn(storage, () => clock);
    const c = await p.api.createAccount({ host: "example.org", source: "test" });
    await p.api.reserve(c.token, "abel");
    clock += 16 * 60_000;
    expect(await p.api.validate(c.token)).to.deep.include({ ok: false, reason: "used_up" });
    let refused: unknown;
    try { await p.api.reserve(c.token, "cain"); } catch (e) { refused = e; }
    expect(isModuleError(refused, "invites.used_up"), String(refused)).to.equal(true);
  });

  it("keeps the slot when the server cannot tell whether the account exists (admin.unsupported), and lists the use as pending", async () => {
    const dead = processOn(storage);
    const c = await dead.api.createAccount({ host: "example.org", source: "test" });
    await dead.api.reserve(c.token, "noah");
    dead.die();
    const next = processOn(storage);
    const blind = { ...fakeServer([]), accountExists: async () => { throw adminErrors.unsupported(); } };
    expect(await next.open.recover(blind, next.api)).to.deep.equal({ checked: 1, completed: 0, released: 0, failed: 1 });
    const after = (await next.api.getById(c.invite.id))!;
    expect([after.usesPending, after.usesCompleted, next.api.status(after)]).to.deep.equal([1, 0, "pending"]);
    expect(await next.api.validate(c.token)).to.deep.include({ ok: false, reason: "used_up" });
  });

  it("settles a reservation of this process abandoned past its time to live", async () => {
    let clock = Date.now();
    const p = processOn(storage, () => clock);
    const c = await p.api.createAccount({ host: "example.org", source: "test" });
    await p.api.reserve(c.token, "erin");
    clock += 16 * 60_000;
    expect((await p.open.recover(fakeServer(["erin@example.org"]), p.api)).completed).to.equal(1);
    expect((await p.api.getById(c.invite.id))!.usesCompleted).to.equal(1);
  });

  it("keeps the index empty after normal registrations and refused reserves", async () => {
    const p = processOn(storage);
    const c = await p.api.createAccount({ host: "example.org", source: "test" });
    const results = await Promise.allSettled(Array.from({ length: 20 }, (_, i) => p.api.reserve(c.token, `u${i}`)));
    const won = results.filter((r) => r.status === "fulfilled");
    expect(won).to.have.length(1);
    await p.api.release((won[0] as PromiseFulfilledResult<Awaited<ReturnType<InvitesApi["reserve"]>>>).value);
    expect(await p.open.listed()).to.deep.equal([]);
  });

  it("decides nothing without the server's answer, and a later run settles", async () => {
    const dead = processOn(storage);
    const c = await dead.api.createAccount({ host: "example.org", source: "test" });
    const d = await dead.api.createAccount({ host: "example.org", source: "test" });
    await dead.api.reserve(c.token, "fred");
    await dead.api.reserve(d.token, "gail");
    dead.die();
    const next = processOn(storage);
    // The link went away: the run stops at the first reservation.
    const down = { ...fakeServer([]), accountExists: async () => { throw adminErrors.not_connected(); } };
    let thrown: unknown;
    try { await next.open.recover(down, next.api); } catch (e) { thrown = e; }
    expect(isModuleError(thrown, "admin.not_connected")).to.equal(true);
    // Another failure (the server refused the check): counted, and the run goes on.
    const refusing = { ...fakeServer([]), accountExists: async () => { throw adminErrors.refused(); } };
    expect(await next.open.recover(refusing, next.api)).to.deep.equal({ checked: 2, completed: 0, released: 0, failed: 2 });
    expect((await next.api.getById(c.invite.id))!.usesPending).to.equal(1);
    expect((await next.open.listed()).length).to.equal(2);
    expect((await next.open.recover(fakeServer([]), next.api)).released).to.equal(2);
    expect(await next.open.listed()).to.deep.equal([]);
  });

  it("leaves a release made while the link is down to recovery, which completes it if the account was made", async () => {
    let down = true;
    const p = processOn(storage, Date.now, () => down);
    const c = await p.api.createAccount({ host: "example.org", source: "test" });
    const d = await p.api.createAccount({ host: "example.org", source: "test" });
    // The server went away during add-user: the flow releases, not knowing the outcome.
    await p.api.release(await p.api.reserve(c.token, "hana"));
    await p.api.release(await p.api.reserve(d.token, "ivan"));
    expect((await p.api.getById(c.invite.id))!.usesPending).to.equal(1);
    down = false;
    const result = await p.open.recover(fakeServer(["hana@example.org"]), p.api);
    expect(result).to.include({ completed: 1, released: 1 });
    expect((await p.api.getById(c.invite.id))!.usesCompleted).to.equal(1);
    expect((await p.api.validate(d.token)).ok).to.equal(true);
  });

  it("leaves a release after an ambiguous failure (the server timed out) to recovery, which completes it if the account was made", async () => {
    const p = processOn(storage);
    const c = await p.api.createAccount({ host: "example.org", source: "test" });
    const d = await p.api.createAccount({ host: "example.org", source: "test" });
    await p.api.release(await p.api.reserve(c.token, "kate"), adminErrors.timeout());
    await p.api.release(await p.api.reserve(d.token, "lear"), adminErrors.username_taken());
    expect((await p.api.getById(c.invite.id))!.usesPending, "kept for recovery").to.equal(1);
    expect((await p.api.getById(d.invite.id))!.usesPending, "a refusal is certain: given back").to.equal(0);
    expect(await p.open.recover(fakeServer(["kate@example.org"]), p.api)).to.include({ checked: 1, completed: 1 });
  });

  it("releases an interrupted password reset (its account exists anyway)", async () => {
    const dead = processOn(storage);
    const c = await dead.api.createReset({ host: "example.org", source: "test", username: "jack" });
    await dead.api.reserve(c.token, "jack");
    dead.die();
    const next = processOn(storage);
    const server = fakeServer(["jack@example.org"]);
    expect(await next.open.recover(server, next.api)).to.include({ completed: 0, released: 1 });
    expect(server.asked).to.deep.equal([]);
    expect((await next.api.validate(c.token)).ok).to.equal(true);
  });
});
