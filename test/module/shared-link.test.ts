// The shared component link (core/xmpp/shared-link.ts) over a real database, with a
// stand-in for the XMPP connection: leadership, the admin relay (results, typed errors,
// sealed arguments) and the hand-over when the holder stops.
import { expect } from "chai";
import { EventEmitter } from "node:events";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import { adminErrors, type AdminPort } from "../../core/admin.js";
import { isModuleError } from "../../core/errors.js";
import { openStorage, type Storage } from "../../core/store.js";
import { SharedLink, type InnerLink } from "../../core/xmpp/shared-link.js";
import { Sealer } from "../../core/xmpp/admin-relay.js";
import { storeName, storeUri } from "../helpers/host.js";

const log = pino({ level: "silent" });

/** A connection that is always up; its admin port records calls and answers from `accounts`. */
function innerLink(name: string, accounts: Set<string>, calls: string[]): InnerLink {
  const link = new EventEmitter() as InnerLink & EventEmitter;
  const admin: AdminPort = {
    connected: true, privileges: { roster: "both" },
    createAccount: async (jid, password) => {
      calls.push(`${name} createAccount ${jid} ${password}`);
      if (accounts.has(jid)) throw adminErrors.username_taken();
      accounts.add(jid);
    },
    changePassword: async () => {}, deleteAccount: async () => {}, disableAccount: async () => {}, enableAccount: async () => {}, endSessions: async () => {},
    accountExists: async (jid) => { calls.push(`${name} accountExists ${jid}`); return accounts.has(jid); },
    getRoster: async () => [{ jid: "a@localhost", subscription: "both", groups: [] }], setRosterItem: async () => {},
    capabilities: { known: true, hosts: {} },
    makeMutualContacts: async () => ({ via: "test" }), getProfile: async () => ({ via: "none" }),
  };
  Object.assign(link, { connected: true, lastError: undefined, privileges: admin.privileges, admin, start: async () => { setImmediate(() => link.emit("online")); }, stop: async () => {} });
  return link;
}

const until = async (what: string, ok: () => boolean) => {
  for (let i = 0; i < 200 && !ok(); i++) await new Promise((r) => setTimeout(r, 50));
  expect(ok(), what).to.equal(true);
};

for (const kind of ["sqlite", "postgres"] as const) describe(`shared component link (${storeName(kind)})`, function () {
  this.timeout(30_000);
  let dir: string;
  let a: Storage, b: Storage;
  const accounts = new Set<string>();
  const calls: string[] = [];
  let la: SharedLink, lb: SharedLink;
  const make = (storage: Storage, self: string) => new SharedLink({
    jid: "invites.localhost", secret: "s3cret", database: storage.database, self, log, timeoutMs: 2_000, create: () => innerLink(self, accounts, calls),
  });

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "xi-shared-link-"));
    const uri = await storeUri(kind);
    a = await openStorage(uri, dir);
    b = await openStorage(uri, dir);
    la = make(a, "A");
    lb = make(b, "B");
    await la.start();
    await lb.start();
  });
  after(async () => {
    await lb.stop(); await la.stop();
    await a.close(); await b.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("the first instance holds the link, the second stands by and sees it connected", async () => {
    expect([la.role, lb.role]).to.deep.equal(["held", "standby"]);
    await until("standby sees the holder connected", () => lb.connected);
    expect(lb.privileges).to.deep.equal({ roster: "both" });
  });

  it("runs a standby's admin operations on the holder, with their results and typed errors", async () => {
    await lb.admin.createAccount("romeo@localhost", "pw-romeo");
    expect(calls).to.include("A createAccount romeo@localhost pw-romeo");
    expect(await lb.admin.accountExists("romeo@localhost")).to.equal(true);
    expect(await lb.admin.accountExists("nobody@localhost")).to.equal(false);
    expect(await lb.admin.getRoster("romeo@localhost")).to.deep.equal([{ jid: "a@localhost", subscription: "both", groups: [] }]);
    let err: unknown;
    try { await lb.admin.createAccount("romeo@localhost", "pw-again"); } catch (e) { err = e; }
    expect(isModuleError(err, "admin.username_taken"), String(err)).to.equal(true);
    expect((err as { status: number }).status).to.equal(409);
  });

  it("never leaves a password readable in the database", async () => {
    const sealer = new Sealer("s3cret");
    const sealed = sealer.seal(["juliet@localhost", "pw-juliet"]);
    expect(sealed).to.not.include("pw-juliet");
    expect(sealer.open(sealed)).to.deep.equal(["juliet@localhost", "pw-juliet"]);
    await lb.admin.createAccount("juliet@localhost", "pw-juliet");
    const rows = await a.database.kysely.selectFrom("core_admin_requests").selectAll().execute();
    expect(rows, "answered requests are deleted").to.deep.equal([]);
    if (kind === "sqlite") for (const f of ["invites.sqlite", "invites.sqlite-wal"]) expect(readFileSync(join(dir, f)).includes(Buffer.from("pw-juliet")), f).to.equal(false);
  });

  it("hands the link to the standby when the holder stops", async () => {
    await la.stop();
    await until("the standby takes the link", () => lb.role === "held");
    expect(lb.connected).to.equal(true);
    await lb.admin.createAccount("tybalt@localhost", "pw-t");
    expect(calls).to.include("B createAccount tybalt@localhost pw-t");
  });

  it("answers at once that the server is unreachable when no instance holds a connected link", async () => {
    await lb.stop();
    const c = make(b, "C");
    // C does not start: it reads no holder, so it must not wait for one.
    const started = Date.now();
    let err: unknown;
    try { await c.admin.accountExists("romeo@localhost"); } catch (e) { err = e; }
    expect(isModuleError(err, "admin.not_connected"), String(err)).to.equal(true);
    expect(Date.now() - started).to.be.below(1_000);
  });
});
