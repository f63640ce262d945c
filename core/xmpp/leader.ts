// Which instance holds the component link. A component JID accepts one connection (Prosody
// refuses a second with <conflict/>), so among the instances sharing a database one holds
// it and the others stand by (docs/storage.md, "Several instances").
//
// PostgreSQL: a session-level advisory lock on a dedicated connection. The server releases it
// the moment that connection ends, a process killed with SIGKILL included, and a standby
// that tries every second takes it over. The same connection LISTENs for the admin relay.
// SQLite (processes on one machine): a lease row in core_link, renewed every second and
// taken over once it is LEASE_MS old.
import { EventEmitter } from "node:events";
import pg from "pg";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { CoreTables } from "../schema.js";

export const TICK_MS = 1_000;
export const LEASE_MS = 3_000;

export interface Leadership extends EventEmitter {
  /** Tries once (so a lone instance holds the link at once), then every TICK_MS. */
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly held: boolean;
  /** PostgreSQL: NOTIFY on `channel` (no-op on SQLite, whose waiters poll). */
  notify(channel: string, payload: string): Promise<void>;
}

abstract class Base extends EventEmitter implements Leadership {
  protected isHeld = false;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private ticking: Promise<void> | undefined;
  constructor(protected readonly log: Logger) { super(); }
  get held(): boolean { return this.isHeld; }

  async start(): Promise<void> {
    this.stopped = false;
    await this.runTick();
    this.timer = setInterval(() => { void this.runTick(); }, TICK_MS);
    this.timer.unref();
  }

  private runTick(): Promise<void> {
    this.ticking ??= this.tick().catch((err: unknown) => {
      this.log.debug({ err }, "link leadership: check failed");
      this.set(false);
    }).finally(() => { this.ticking = undefined; });
    return this.ticking;
  }

  protected set(held: boolean): void {
    if (this.stopped && held) return;
    if (held === this.isHeld) return;
    this.isHeld = held;
    this.emit(held ? "acquired" : "lost");
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.timer);
    await this.ticking;
    await this.release().catch(() => {});
    this.set(false);
  }

  protected abstract tick(): Promise<void>;
  protected abstract release(): Promise<void>;
  abstract notify(channel: string, payload: string): Promise<void>;
}

export class PgLeadership extends Base {
  private client: pg.Client | undefined;
  constructor(
    private readonly config: pg.ClientConfig,
    private readonly pool: pg.Pool,
    private readonly lockName: string,
    private readonly channels: string[],
    private readonly onNotification: (channel: string, payload: string) => void,
    log: Logger,
  ) { super(log); }

  protected async tick(): Promise<void> {
    if (!this.client) {
      const c = new pg.Client({ ...this.config, application_name: "xmpp-invites link" });
      const gone = () => {
        if (this.client !== c) return;
        this.client = undefined;
        // The lock went with the session: whoever holds the link must let go at once.
        this.set(false);
      };
      c.on("error", (err) => { this.log.warn({ err: err.message }, "link leadership: the database connection failed"); gone(); });
      c.on("end", gone);
      c.on("notification", (n) => this.onNotification(n.channel, n.payload ?? ""));
      await c.connect();
      for (const ch of this.channels) await c.query(`LISTEN ${ch}`);
      this.client = c;
    }
    if (this.isHeld) return;
    const r = await this.client.query<{ ok: boolean }>("SELECT pg_try_advisory_lock(hashtextextended($1, 0)) AS ok", [this.lockName]);
    this.set(r.rows[0]?.ok === true);
  }

  protected async release(): Promise<void> {
    const c = this.client;
    this.client = undefined;
    if (!c) return;
    // Ending the session releases the lock.
    await c.end();
  }

  async notify(channel: string, payload: string): Promise<void> {
    await this.pool.query("SELECT pg_notify($1, $2)", [channel, payload]);
  }
}

export class SqliteLeadership extends Base {
  constructor(private readonly db: Kysely<CoreTables>, private readonly name: string, private readonly self: string, log: Logger) { super(log); }

  protected async tick(): Promise<void> {
    const now = Date.now();
    // Take the lease if it is free or stale, renew it if it is ours; never take a live one.
    await this.db.insertInto("core_link").values({ name: this.name, holder: this.self, expires_at: now + LEASE_MS, connected: 0, updated_at: now, info: null })
      .onConflict((oc) => oc.column("name")
        .doUpdateSet((eb) => ({ holder: eb.ref("excluded.holder"), expires_at: eb.ref("excluded.expires_at") }))
        .where((eb) => eb.or([eb("core_link.holder", "=", this.self), eb("core_link.expires_at", "<", now)])))
      .execute();
    const row = await this.db.selectFrom("core_link").select("holder").where("name", "=", this.name).executeTakeFirst();
    this.set(row?.holder === this.self);
  }

  protected async release(): Promise<void> {
    if (!this.isHeld) return;
    await this.db.updateTable("core_link").set({ expires_at: 0, connected: 0 }).where("name", "=", this.name).where("holder", "=", this.self).execute();
  }

  async notify(): Promise<void> {}
}
