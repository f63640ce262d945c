// Crash recovery of reservations (modules/invites/recovery.ts): a "process" reserves and
// dies; a second one over the same SQLite file asks the server whether each account exists
// and completes or releases the use. The server is a fake AdminPort here; the real-process
// version is test/reliability/2-crash.test.ts.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { adminErrors, type AdminPort } from "../../core/admin.js";
import { isModuleError } from "../../core/errors.js";
import { openStorage, type Storage } from "../../core/store.js";
import { createApi } from "../../modules/invites/api.js";
import { OpenReservations } from "../../modules/invites/recovery.js";
import { InviteRepo, openStores } from "../../modules/invites/repo.js";
import type { InvitesApi } from "../../modules/invites/types.js";

const log = pino({ level: "silent" });
const settings = { hosts: ["example.org"], maxExpiryMs: 31_536_000_000, maxResetExpiryMs: 604_800_000, expiryMs: 86_400_000, resetExpiryMs: 86_400_000, retentionMs: 86_400_000, codeTtlMs: 600_000, codeLength: 8, maxUsernameLength: 64 };

/** One "process": its own OpenReservations (its in-flight set) over the shared storage. */
function processOn(storage: Storage, now: () => number = Date.now, linkDown = () => false): { api: InvitesApi; open: OpenReservations } {
  const repo = new InviteRepo(openStores({ openStore: (n) => storage.open(`invites.${n}`) }));
  const open = new OpenReservations(storage.open<string[]>("invites.invite_open"), repo, log, now);
  return { api: createApi({ repo, settings, fire: async () => {}, log, open, now, releaseUncertain: linkDown }), open };
}

function fakeServer(accounts: string[]): AdminPort & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked, connected: true, privileges: {},
    accountExists: async (jid) => { asked.push(jid); return accounts.includes(jid); },
    createAccount: async () => {}, changePassword: async () => {}, deleteAccount: async () => {},
    getRoster: async () => [], setRosterItem: async () => {},
    capabilities: { known: false, hosts: {} }, makeMutualContacts: async () => ({ via: "test" }),
  };
}

describe("invites: crash recovery of reservations", () => {
  let dir: string;
  let storage: Storage;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), "xi-recovery-"));
    storage = await openStorage("sqlite://invites.sqlite", dir);
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

  it("releases an interrupted password reset (its account exists anyway)", async () => {
    const dead = processOn(storage);
    const c = await dead.api.createReset({ host: "example.org", source: "test", username: "jack" });
    await dead.api.reserve(c.token, "jack");
    const next = processOn(storage);
    const server = fakeServer(["jack@example.org"]);
    expect(await next.open.recover(server, next.api)).to.include({ completed: 0, released: 1 });
    expect(server.asked).to.deep.equal([]);
    expect((await next.api.validate(c.token)).ok).to.equal(true);
  });
});
