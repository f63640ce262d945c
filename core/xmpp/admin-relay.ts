// Admin operations handed through the database to the instance holding the component link.
// A standby writes a request row (its arguments sealed with AES-256-GCM under a key derived
// from the component secret, which every instance of this component has: passwords never
// sit readable in the table), the holder claims it with a conditional UPDATE, runs it on
// its link and writes the sealed result; the standby reads and deletes the row. PostgreSQL
// wakes each side with NOTIFY; on SQLite both poll PRAGMA data_version, which changes when
// another connection commits (microseconds when nothing did).
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from "node:crypto";
import type { Kysely } from "kysely";
import type BetterSqlite3 from "better-sqlite3";
import type { Logger } from "pino";
import { adminErrors, type AdminPort } from "../admin.js";
import { coreErrors, ModuleError, isModuleError } from "../errors.js";
import type { CoreTables } from "../schema.js";

export const REQUEST_CHANNEL = "xmpp_invites_admin_request";
export const DONE_CHANNEL = "xmpp_invites_admin_done";

export type AdminOp = "createAccount" | "changePassword" | "deleteAccount" | "disableAccount" | "enableAccount" | "endSessions" | "accountExists" | "getRoster" | "setRosterItem" | "makeMutualContacts" | "getProfile";
export const ADMIN_OPS: readonly AdminOp[] = ["createAccount", "changePassword", "deleteAccount", "disableAccount", "enableAccount", "endSessions", "accountExists", "getRoster", "setRosterItem", "makeMutualContacts", "getProfile"];

type Outcome = { ok: true; value: unknown } | { ok: false; error: { code: string; status: number; type: string; condition: string; message: string; detail?: Record<string, unknown> } };

// Buffers (an avatar's bytes, getProfile) cross as base64, not as JSON's array of numbers.
const BYTES = "$bytes";
function replacer(this: unknown, key: string, value: unknown): unknown {
  const raw = (this as Record<string, unknown>)[key];
  return Buffer.isBuffer(raw) ? { [BYTES]: raw.toString("base64") } : value;
}
function reviver(_key: string, value: unknown): unknown {
  if (value !== null && typeof value === "object" && typeof (value as Record<string, unknown>)[BYTES] === "string" && Object.keys(value).length === 1) {
    return Buffer.from((value as Record<string, string>)[BYTES]!, "base64");
  }
  return value;
}

export class Sealer {
  private readonly key: Buffer;
  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync("sha256", secret, "xmpp-invites", "admin relay", 32));
  }
  seal(value: unknown): string {
    const iv = randomBytes(12);
    const c = createCipheriv("aes-256-gcm", this.key, iv);
    const data = Buffer.concat([c.update(JSON.stringify(value, replacer), "utf8"), c.final()]);
    return Buffer.concat([iv, c.getAuthTag(), data]).toString("base64");
  }
  open<T>(text: string): T {
    const raw = Buffer.from(text, "base64");
    const d = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, 12));
    d.setAuthTag(raw.subarray(12, 28));
    return JSON.parse(Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString("utf8"), reviver) as T;
  }
}

function toOutcome(e: unknown): Outcome {
  if (isModuleError(e)) return { ok: false, error: { code: e.code, status: e.status, type: e.type, condition: e.condition, message: e.message, ...(e.detail ? { detail: e.detail } : {}) } };
  return { ok: false, error: { code: "core.internal", status: 500, type: "cancel", condition: "internal-server-error", message: "Internal error" } };
}

function fromOutcome(o: Outcome): unknown {
  if (o.ok) return o.value;
  const e = o.error;
  throw new ModuleError(e.code, { status: e.status, type: e.type as ModuleError["type"], condition: e.condition as ModuleError["condition"], message: e.message }, e.message, e.detail);
}

export interface RelayOptions {
  db: Kysely<CoreTables>;
  /** SQLite only: to notice other connections' commits. */
  sqlite: BetterSqlite3.Database | undefined;
  sealer: Sealer;
  self: string;
  log: Logger;
  /** How long a standby waits for the holder's answer (the link's own timeout, plus a margin). */
  timeoutMs: number;
  notify(channel: string, payload: string): Promise<void>;
}

/**
 * Wakes whoever waits when something may have changed: a NOTIFY, or (SQLite) a commit of
 * another connection, seen as a change of PRAGMA data_version. A wake with nobody waiting
 * is kept for the next wait, and the last version seen is never forgotten, so a change
 * between a caller's query and its wait is not missed.
 */
class Waker {
  private readonly waiters = new Set<() => void>();
  private version: number | undefined;
  private timer: NodeJS.Timeout | undefined;
  private pending = false;
  constructor(private readonly sqlite: BetterSqlite3.Database | undefined, private readonly pollMs: number) {}

  wake(): void {
    if (this.waiters.size === 0) { this.pending = true; return; }
    for (const w of [...this.waiters]) w();
  }

  /** Resolves on the next wake (at once if one came since the last wait), or after `ms` at most. */
  next(ms: number): Promise<void> {
    if (this.pending) { this.pending = false; return Promise.resolve(); }
    return new Promise((resolve) => {
      const done = () => { clearTimeout(t); this.waiters.delete(done); this.idle(); resolve(); };
      const t = setTimeout(done, ms);
      this.waiters.add(done);
      this.busy();
    });
  }

  private poll(): void {
    if (!this.sqlite?.open) return;
    const v = this.sqlite.pragma("data_version", { simple: true }) as number;
    if (this.version !== undefined && v !== this.version) this.wake();
    this.version = v;
  }

  private busy(): void {
    if (this.timer || !this.sqlite) return;
    this.poll();
    this.timer = setInterval(() => this.poll(), this.pollMs);
    this.timer.unref();
  }

  private idle(): void {
    if (this.waiters.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

/** The standby's side: an AdminPort whose operations the holder runs. */
export class RelayClient {
  private readonly waker: Waker;
  constructor(private readonly o: RelayOptions) {
    this.waker = new Waker(o.sqlite, 5);
  }

  /** Called on NOTIFY of DONE_CHANNEL. */
  wake(): void { this.waker.wake(); }

  async call(op: AdminOp, args: unknown[]): Promise<unknown> {
    const id = randomBytes(12).toString("base64url");
    const { db } = this.o;
    await db.insertInto("core_admin_requests").values({ id, op, payload: this.o.sealer.seal(args), state: "pending", created_at: Date.now(), claimed_by: null, result: null, done_at: null }).execute();
    await this.o.notify(REQUEST_CHANNEL, id).catch(() => {});
    const deadline = Date.now() + this.o.timeoutMs;
    for (;;) {
      const row = await db.selectFrom("core_admin_requests").select(["state", "result"]).where("id", "=", id).executeTakeFirst();
      if (row?.state === "done" && row.result !== null) {
        await db.deleteFrom("core_admin_requests").where("id", "=", id).execute();
        return fromOutcome(this.o.sealer.open<Outcome>(row.result));
      }
      if (Date.now() >= deadline) break;
      await this.waker.next(Math.min(250, Math.max(1, deadline - Date.now())));
    }
    // Not taken at all: certainly not done. Taken but unanswered: like any request that timed out.
    const untaken = await db.deleteFrom("core_admin_requests").where("id", "=", id).where("state", "=", "pending").executeTakeFirst();
    if (untaken.numDeletedRows > 0n) throw adminErrors.not_connected("No instance holding the XMPP link took the request; try again shortly");
    await db.deleteFrom("core_admin_requests").where("id", "=", id).execute();
    throw adminErrors.timeout();
  }
}

/** The holder's side: claims pending requests and runs them on its own link. */
export class RelayServer {
  private readonly waker: Waker;
  private running = false;
  private loop: Promise<void> | undefined;
  constructor(private readonly o: RelayOptions, private readonly admin: () => AdminPort) {
    this.waker = new Waker(o.sqlite, 5);
  }

  /** Called on NOTIFY of REQUEST_CHANNEL. */
  wake(): void { this.waker.wake(); }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.serve();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.waker.wake();
    await this.loop;
  }

  private async serve(): Promise<void> {
    const { db } = this.o;
    while (this.running) {
      try {
        const now = Date.now();
        // Requests older than a standby waits are abandoned: its caller has given up.
        await db.deleteFrom("core_admin_requests").where("created_at", "<", now - 2 * this.o.timeoutMs - 60_000).execute();
        const claimed = await db.updateTable("core_admin_requests").set({ state: "running", claimed_by: this.o.self })
          .where("id", "in", (eb) => eb.selectFrom("core_admin_requests").select("id").where("state", "=", "pending").orderBy("created_at").limit(50))
          .where("state", "=", "pending")
          .returning(["id", "op", "payload", "created_at"]).execute();
        await Promise.all(claimed.map((r) => this.run(r)));
        if (claimed.length > 0) continue;
      } catch (err) {
        this.o.log.warn({ err }, "admin relay: could not read the requests of other instances");
      }
      await this.waker.next(250);
    }
  }

  private async run(r: { id: string; op: string; payload: string; created_at: number }): Promise<void> {
    let outcome: Outcome;
    try {
      if (!(ADMIN_OPS as readonly string[]).includes(r.op)) throw coreErrors.bad_request(`unknown admin operation ${r.op}`);
      const args = this.o.sealer.open<unknown[]>(r.payload);
      const port = this.admin() as unknown as Record<AdminOp, (...a: unknown[]) => Promise<unknown>>;
      outcome = { ok: true, value: (await port[r.op as AdminOp](...args)) ?? null };
    } catch (e) {
      outcome = toOutcome(e);
    }
    try {
      await this.o.db.updateTable("core_admin_requests").set({ state: "done", result: this.o.sealer.seal(outcome), done_at: Date.now() }).where("id", "=", r.id).execute();
      await this.o.notify(DONE_CHANNEL, r.id).catch(() => {});
    } catch (err) {
      this.o.log.warn({ err, op: r.op }, "admin relay: could not write an answer");
    }
  }
}
