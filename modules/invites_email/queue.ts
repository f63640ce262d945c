// The outgoing mail queue, in the store, shared by every process on the same database.
//
// A delivery record (key: the invite id) says what state the message is in and when its next
// attempt is due. Records are listed in time buckets (one key per minute, holding invite ids),
// and a cursor names the oldest bucket that may still hold work, so a pass reads only the
// buckets from the cursor to now: never the whole store. A retry lists the record in the
// bucket of its next attempt; the record's own `bucket` field is the truth, and a listing in
// any other bucket is stale and skipped. A record is always listed in its bucket before the
// record names it, so a crash between the two writes loses nothing.
//
// Sending is claimed with an atomic update of the record (queued and due -> sending, with a
// lease), so two processes never send the same round twice; a process that dies while
// sending loses its lease and another one takes the message over. Delivery is therefore at
// least once: a crash after the SMTP server accepted a message but before "sent" was written
// sends it again.
import { randomBytes } from "node:crypto";
import type { Store } from "../../core/types.js";
import type { ExpiryIndex } from "./expiry.js";
import type { Delivery, QueuePass } from "./types.js";

export const BUCKET_MS = 60_000;
/** Buckets this recent stay open: another process's clock may be this far behind ours. */
export const GRACE_MS = 2 * 60_000;
/** How long a claim lasts: longer than any SMTP exchange (smtp.ts times out well before). */
export const LEASE_MS = 5 * 60_000;
/** Buckets one pass walks at most (a week of a server that was down takes a few passes). */
const MAX_BUCKETS = 4096;
const BATCH = 64;

export const bucketOf = (t: number) => Math.floor(t / BUCKET_MS);

export interface QueueStores {
  deliveries: Store<Delivery>;
  buckets: Store<string[]>;
  cursor: Store<number>;
}

export interface RetryPolicy {
  /** Delay before the first retry; it doubles with each attempt, up to maxDelayMs. */
  firstDelayMs: number;
  maxDelayMs: number;
  maxAttempts: number;
}

/** What a send attempt reports when it fails: permanent failures are not retried. */
export class SendFailure extends Error {
  constructor(message: string, readonly permanent: boolean) { super(message); }
}

export interface NewDelivery { inviteId: string; to: string; sealed: string }

/** How long a delivery record is kept after its invite expires (for `invite show` and a late resend). */
export const KEEP_AFTER_EXPIRY_MS = 8 * 86_400_000;

export class MailQueue {
  /** Identifies this process in leases. */
  readonly owner = randomBytes(6).toString("base64url");
  private running: Promise<QueuePass> | undefined;

  constructor(private readonly s: QueueStores, private readonly expiry: ExpiryIndex, private readonly retry: RetryPolicy, private readonly now: () => number) {}

  get(ids: string[]): Promise<(Delivery | undefined)[]> {
    return this.s.deliveries.getMany(ids);
  }

  /** The bucket to list something due at `due` in: never one the cursor has already passed. */
  private async target(due: number): Promise<number> {
    const b = bucketOf(due);
    const cursor = await this.s.cursor.update("cursor", (cur) => cur ?? b);
    return Math.max(b, cursor ?? b);
  }

  private async list(bucket: number, id: string): Promise<void> {
    await this.s.buckets.update(String(bucket), (cur) => (cur?.includes(id) ? cur : [...(cur ?? []), id]));
  }

  /** Queues a new message, due now; `inviteExpiresAt` decides how long the record is kept. */
  async enqueue(d: NewDelivery, inviteExpiresAt: number): Promise<Delivery> {
    const now = this.now();
    const bucket = await this.target(now);
    const keepUntil = inviteExpiresAt + KEEP_AFTER_EXPIRY_MS;
    await this.list(bucket, d.inviteId);
    await this.expiry.add(d.inviteId, keepUntil);
    const record: Delivery = {
      inviteId: d.inviteId, to: d.to, state: "queued", gen: 1, attempts: 0, due: now, bucket, lease: null,
      lastError: null, queuedAt: now, sentAt: null, keepUntil, sealed: d.sealed,
    };
    await this.s.deliveries.set(d.inviteId, record);
    return record;
  }

  /** A new round for an existing record (resend); throws what `check` throws to refuse. */
  async requeue(inviteId: string, check: (d: Delivery | undefined) => void, inviteExpiresAt: number): Promise<Delivery> {
    const now = this.now();
    check(await this.s.deliveries.get(inviteId));
    const bucket = await this.target(now);
    await this.list(bucket, inviteId);
    await this.keep(inviteId, inviteExpiresAt);
    let failure: unknown;
    const out = await this.s.deliveries.update(inviteId, (cur) => {
      try { check(cur); } catch (e) { failure = e; return cur; }
      return { ...cur!, state: "queued", gen: cur!.gen + 1, attempts: 0, due: now, bucket, lease: null, lastError: null };
    });
    if (failure !== undefined) throw failure;
    return out!;
  }

  /** The invite now expires at `inviteExpiresAt` (extended): keep its record that much longer. */
  async keep(inviteId: string, inviteExpiresAt: number): Promise<void> {
    const keepUntil = inviteExpiresAt + KEEP_AFTER_EXPIRY_MS;
    const cur = await this.s.deliveries.get(inviteId);
    if (!cur || cur.keepUntil >= keepUntil) return;
    await this.expiry.add(inviteId, keepUntil);
    await this.s.deliveries.update(inviteId, (d) => (d && d.keepUntil < keepUntil ? { ...d, keepUntil } : d));
  }

  /** Called by the expiry sweep: deletes the record if it is kept no longer. */
  async expire(inviteId: string, now: number): Promise<void> {
    const cur = await this.s.deliveries.get(inviteId);
    if (cur && cur.keepUntil <= now && cur.state !== "sending") await this.s.deliveries.delete(inviteId);
  }

  /** Forgets the sealed link (the invite can no longer be used); the state stays. */
  async dropLink(inviteId: string): Promise<void> {
    await this.s.deliveries.update(inviteId, (cur) => (cur && cur.sealed !== null ? { ...cur, sealed: null } : cur));
  }

  /** One pass: sends what is due. Passes of this process run one at a time. */
  run(send: (d: Delivery) => Promise<void>): Promise<QueuePass> {
    const next = (this.running ?? Promise.resolve(undefined)).catch(() => undefined).then(() => this.pass(send));
    this.running = next;
    void next.finally(() => { if (this.running === next) this.running = undefined; }).catch(() => undefined);
    return next;
  }

  private async pass(send: (d: Delivery) => Promise<void>): Promise<QueuePass> {
    const result: QueuePass = { sent: 0, retried: 0, failed: 0 };
    const start = await this.s.cursor.get("cursor");
    if (start === undefined) return result; // nothing was ever queued
    const last = bucketOf(this.now());
    const end = Math.min(last, start + MAX_BUCKETS - 1);
    let firstOpen: number | undefined;
    const done: number[] = [];
    for (let from = start; from <= end; from += BATCH) {
      const numbers = Array.from({ length: Math.min(BATCH, end - from + 1) }, (_, i) => from + i);
      const lists = await this.s.buckets.getMany(numbers.map(String));
      for (const [i, bucket] of numbers.entries()) {
        const ids = lists[i] ?? [];
        const recent = (bucket + 1) * BUCKET_MS + GRACE_MS > this.now();
        let open = recent;
        const records = ids.length ? await this.s.deliveries.getMany(ids) : [];
        for (const [j, id] of ids.entries()) {
          if ((await this.visit(id, records[j], bucket, recent, send, result)) === "open") open = true;
        }
        if (open) firstOpen ??= bucket;
        else if (firstOpen === undefined && ids.length) done.push(bucket);
      }
    }
    const cursor = firstOpen ?? end + 1;
    await this.s.cursor.update("cursor", (cur) => (cur === undefined || cur < cursor ? cursor : cur));
    for (const b of done) await this.s.buckets.delete(String(b));
    return result;
  }

  /** One listed id: "done" when this bucket no longer needs to hold it. */
  private async visit(id: string, seen: Delivery | undefined, bucket: number, recent: boolean, send: (d: Delivery) => Promise<void>, result: QueuePass): Promise<"done" | "open"> {
    // Listed but not written yet (enqueue lists first), or deleted: wait while the bucket is recent.
    if (!seen) return recent ? "open" : "done";
    if (seen.bucket !== bucket || seen.state === "sent" || seen.state === "failed") return "done";
    const now = this.now();
    if (seen.state === "queued" && seen.due > now) return "open";
    if (seen.state === "sending" && seen.lease && seen.lease.until > now) return "open";

    const claim = randomBytes(6).toString("base64url");
    const mine = (d: Delivery | undefined) => d?.state === "sending" && d.lease?.claim === claim && d.gen === seen.gen;
    const claimed = await this.s.deliveries.update(id, (cur) => {
      if (!cur || cur.gen !== seen.gen || cur.bucket !== bucket) return cur;
      const free = (cur.state === "queued" && cur.due <= now) || (cur.state === "sending" && (!cur.lease || cur.lease.until <= now));
      return free ? { ...cur, state: "sending", lease: { owner: this.owner, claim, until: now + LEASE_MS } } : cur;
    });
    if (!mine(claimed)) return "open"; // another process has it; the next pass sees how it ended

    let failure: SendFailure | undefined;
    try {
      await send(claimed!);
    } catch (e) {
      failure = e instanceof SendFailure ? e : new SendFailure((e as Error).message, false);
    }
    const at = this.now();
    const attempts = claimed!.attempts + 1;
    if (!failure) {
      await this.s.deliveries.update(id, (cur) => (mine(cur) ? { ...cur!, state: "sent", attempts, lease: null, lastError: null, sentAt: at } : cur));
      result.sent++;
      return "done";
    }
    if (failure.permanent || attempts >= this.retry.maxAttempts) {
      const why = failure.permanent ? failure.message : `gave up after ${attempts} attempts: ${failure.message}`;
      await this.s.deliveries.update(id, (cur) => (mine(cur) ? { ...cur!, state: "failed", attempts, lease: null, lastError: why } : cur));
      result.failed++;
      return "done";
    }
    const due = at + Math.min(this.retry.maxDelayMs, this.retry.firstDelayMs * 2 ** (attempts - 1));
    const later = await this.target(due);
    await this.list(later, id);
    await this.s.deliveries.update(id, (cur) => (mine(cur) ? { ...cur!, state: "queued", attempts, due, bucket: later, lease: null, lastError: failure.message } : cur));
    result.retried++;
    return "done";
  }
}
