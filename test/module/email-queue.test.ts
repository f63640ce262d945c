// The mail queue over the real store (SQLite and PostgreSQL through core's storage, two
// connections to one database standing for two server processes): each message goes out once, a dead sender's
// message is taken over, retries back off, a restart loses nothing, and a pass reads only
// the buckets from its cursor to now. The sending itself is a function here; the SMTP side
// is tested in invites-email.test.ts and the integration tests.
import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage, type Storage } from "../../core/store.js";
import type { Store } from "../../core/types.js";
import { ExpiryIndex } from "../../modules/invites_email/expiry.js";
import { LEASE_MS, MailQueue, SendFailure, type RetryPolicy } from "../../modules/invites_email/queue.js";
import type { Delivery } from "../../modules/invites_email/types.js";
import { storeName, storeUri } from "../helpers/host.js";

const RETRY: RetryPolicy = { firstDelayMs: 60_000, maxDelayMs: 4 * 60_000, maxAttempts: 5 };
const WEEK = 7 * 86_400_000;

for (const kind of ["sqlite", "postgres"] as const) describe(`invites_email queue (${storeName(kind)}, two connections as two processes)`, function () {
  this.timeout(30_000);
  let uri: string;
  let dir: string;
  let storages: Storage[];
  let at: number;
  const now = () => at;
  let bucketReads: number;

  const counting = (s: Store<string[]>): Store<string[]> => ({ ...s, getMany: (keys) => { bucketReads += keys.length; return s.getMany(keys); } });
  async function queueOn(policy = RETRY): Promise<MailQueue> {
    const storage = await openStorage(uri, dir);
    storages.push(storage);
    const expiry = new ExpiryIndex(storage.open("invites_email.delivery_expiry"), storage.open("invites_email.delivery_expiry_cursor"), now);
    return new MailQueue({
      deliveries: storage.open<Delivery>("invites_email.delivery"),
      buckets: counting(storage.open<string[]>("invites_email.queue")),
      cursor: storage.open<number>("invites_email.queue_cursor"),
    }, expiry, policy, now);
  }
  const enqueue = (q: MailQueue, id: string) => q.enqueue({ inviteId: id, to: `${id}@example.org`, sealed: "x" }, at + WEEK);

  beforeEach(async () => {
    uri = await storeUri(kind);
    dir = mkdtempSync(join(tmpdir(), "xi-queue-"));
    storages = [];
    at = Date.UTC(2030, 0, 1, 12, 0, 30);
    bucketReads = 0;
  });
  afterEach(async () => {
    for (const s of storages) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sends each message exactly once when two processes pass over the queue at the same time", async () => {
    const [a, b] = [await queueOn(), await queueOn()];
    const ids = Array.from({ length: 40 }, (_, i) => `inv${i}`);
    for (const [i, id] of ids.entries()) await enqueue(i % 2 ? a : b, id);
    const sent: string[] = [];
    const send = async (d: Delivery) => { await new Promise((r) => setImmediate(r)); sent.push(d.inviteId); };
    const [pa, pb] = await Promise.all([a.run(send), b.run(send)]);
    expect(pa.sent + pb.sent).to.equal(40);
    expect([...sent].sort()).to.deep.equal([...ids].sort());
    expect((await a.get(ids)).every((d) => d?.state === "sent")).to.equal(true);
    // Another pass by either sends nothing again.
    expect(await b.run(send)).to.deep.equal({ sent: 0, retried: 0, failed: 0 });
    expect(sent).to.have.length(40);
  });

  it("lets another process take over a message whose sender died while sending, once its lease is over", async () => {
    const [a, b] = [await queueOn(), await queueOn()];
    await enqueue(a, "dead");
    let claimed!: () => void;
    const started = new Promise<void>((r) => { claimed = r; });
    void a.run(() => { claimed(); return new Promise<void>(() => {}); }); // never finishes: the process "died"
    await started;
    const sent: string[] = [];
    const send = async (d: Delivery) => { sent.push(d.inviteId); };
    expect(await b.run(send)).to.deep.include({ sent: 0 });
    at += LEASE_MS + 1;
    expect(await b.run(send)).to.deep.include({ sent: 1 });
    expect(sent).to.deep.equal(["dead"]);
  });

  it("retries with a doubling delay up to the longest one, and gives up after the last attempt, saying why", async () => {
    const q = await queueOn();
    await enqueue(q, "flaky");
    const fail = async () => { throw new SendFailure("ESOCKET: connect ECONNREFUSED", false); };
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 4; attempt++) {
      const before = at;
      expect(await q.run(fail)).to.deep.include({ retried: 1 });
      const [d] = await q.get(["flaky"]);
      expect(d).to.include({ state: "queued", attempts: attempt, lastError: "ESOCKET: connect ECONNREFUSED" });
      delays.push(d!.due - before);
      // Not before it is due.
      at = d!.due - 1;
      expect(await q.run(fail)).to.deep.include({ retried: 0 });
      at = d!.due;
    }
    expect(delays).to.deep.equal([60_000, 120_000, 240_000, 240_000]);
    expect(await q.run(fail)).to.deep.include({ failed: 1 });
    expect((await q.get(["flaky"]))[0]).to.include({ state: "failed", attempts: 5, lastError: "gave up after 5 attempts: ESOCKET: connect ECONNREFUSED" });
  });

  it("does not retry what the server refused for good", async () => {
    const q = await queueOn();
    await enqueue(q, "bounce");
    expect(await q.run(async () => { throw new SendFailure("RCPT TO: 550 No such mailbox", true); })).to.deep.include({ failed: 1 });
    expect((await q.get(["bounce"]))[0]).to.include({ state: "failed", attempts: 1, lastError: "RCPT TO: 550 No such mailbox" });
  });

  it("loses nothing across a restart: a new process on the same database sends what the old one queued", async () => {
    const old = await queueOn();
    await enqueue(old, "kept");
    await old.run(async () => { throw new SendFailure("ECONNREFUSED", false); });
    await storages.pop()!.close();
    at += 10 * 60_000;
    const fresh = await queueOn();
    const sent: string[] = [];
    expect(await fresh.run(async (d) => { sent.push(d.inviteId); })).to.deep.include({ sent: 1 });
    expect(sent).to.deep.equal(["kept"]);
  });

  it("never lets an attempt of an older round overwrite a resend", async () => {
    const q = await queueOn();
    await enqueue(q, "twice");
    let finish!: () => void;
    let claimed!: () => void;
    const started = new Promise<void>((r) => { claimed = r; });
    const first = q.run(() => { claimed(); return new Promise<void>((r) => { finish = r; }); });
    await started;
    // Resend while the first round is in flight: refused as "sending" by the module; forced here.
    at += LEASE_MS + 1;
    await q.requeue("twice", () => {}, at + WEEK);
    finish();
    await first;
    expect((await q.get(["twice"]))[0]).to.include({ state: "queued", gen: 2 });
    const sent: number[] = [];
    await q.run(async (d) => { sent.push(d.gen); });
    expect(sent).to.deep.equal([2]);
  });

  it("reads only the buckets from its cursor to now: an idle day later, a pass reads a handful", async () => {
    const q = await queueOn();
    for (let i = 0; i < 5; i++) await enqueue(q, `m${i}`);
    await q.run(async () => {});
    at += 86_400_000;
    await q.run(async () => {}); // walks the idle day once and moves the cursor
    bucketReads = 0;
    at += 60_000;
    await q.run(async () => {});
    expect(bucketReads).to.be.at.most(5);
  });
});
