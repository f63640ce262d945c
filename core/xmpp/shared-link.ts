// The component link shared by the instances of one database (docs/storage.md, "Several
// instances"). The holder (leader.ts) runs the real link (link.ts) and publishes its state
// in core_link every second; the others stand by: their AdminPort hands each operation to
// the holder through the database (admin-relay.ts), and they take the link over when the
// holder dies (PostgreSQL: at once when its session ends; SQLite: when its lease is stale).
// A lone instance is simply the holder.
import { EventEmitter } from "node:events";
import type { Logger } from "pino";
import type { Kysely } from "kysely";
import { adminErrors, type AdminPort, type ContactSpec, type Profile, type RosterItem, type ServerCapabilities } from "../admin.js";
import type { Database } from "../db.js";
import type { CoreTables } from "../schema.js";
import { PgLeadership, SqliteLeadership, TICK_MS, LEASE_MS, type Leadership } from "./leader.js";
import { DONE_CHANNEL, REQUEST_CHANNEL, RelayClient, RelayServer, Sealer, type AdminOp } from "./admin-relay.js";

/** What the shared layer needs of the real link (core/xmpp/link.ts ComponentLink). */
export interface InnerLink extends EventEmitter {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly connected: boolean;
  readonly lastError: string | undefined;
  readonly admin: AdminPort;
  readonly privileges: Readonly<Record<string, string>>;
}

export interface SharedLinkOptions {
  jid: string;
  secret: string;
  database: Database;
  self: string;
  log: Logger;
  /** The link's own request timeout; a standby waits this plus a margin for the holder. */
  timeoutMs: number;
  create(): InnerLink;
}

interface Published { connected: boolean; holder: string | null; privileges: Record<string, string>; capabilities: ServerCapabilities; lastError: string | undefined; at: number }

/** What a standby knows of the server before the holder has published anything. */
const UNKNOWN: ServerCapabilities = { known: false, hosts: {} };

export class SharedLink extends EventEmitter {
  readonly admin: AdminPort;
  private inner: InnerLink | undefined;
  private readonly leadership: Leadership;
  private readonly relayClient: RelayClient;
  private readonly relayServer: RelayServer;
  private readonly db: Kysely<CoreTables>;
  private remote: Published = { connected: false, holder: null, privileges: {}, capabilities: UNKNOWN, lastError: undefined, at: 0 };
  private timer: NodeJS.Timeout | undefined;
  private switching: Promise<void> = Promise.resolve();
  private remoteWasConnected = false;

  constructor(private readonly o: SharedLinkOptions) {
    super();
    this.setMaxListeners(0);
    this.db = o.database.kysely as Kysely<CoreTables>;
    const onNotification = (channel: string) => {
      if (channel === REQUEST_CHANNEL) this.relayServer.wake();
      else if (channel === DONE_CHANNEL) this.relayClient.wake();
    };
    this.leadership = o.database.dialect === "postgres"
      ? new PgLeadership(o.database.pgConfig!, o.database.pool!, `xmpp-invites link ${o.jid}`, [REQUEST_CHANNEL, DONE_CHANNEL], onNotification, o.log)
      : new SqliteLeadership(this.db, o.jid, o.self, o.log);
    const relay = { db: this.db, sqlite: o.database.sqlite, sealer: new Sealer(o.secret), self: o.self, log: o.log, timeoutMs: o.timeoutMs + 2_000, notify: (c: string, p: string) => this.leadership.notify(c, p) };
    this.relayClient = new RelayClient(relay);
    this.relayServer = new RelayServer(relay, () => this.inner!.admin);
    this.leadership.on("acquired", () => this.switchTo(true));
    this.leadership.on("lost", () => this.switchTo(false));
    this.admin = this.facade();
  }

  /** "held": this instance runs the link; "standby": another does (or none yet). */
  get role(): "held" | "standby" { return this.inner ? "held" : "standby"; }
  get holder(): string | null { return this.inner ? this.o.self : this.remote.holder; }

  get connected(): boolean {
    if (this.inner) return this.inner.connected;
    return this.remote.connected && Date.now() - this.remote.at < LEASE_MS;
  }

  get lastError(): string | undefined {
    if (this.inner) return this.inner.lastError;
    if (!this.remote.holder || Date.now() - this.remote.at >= LEASE_MS) return "no instance holds the component link";
    return this.remote.lastError;
  }

  get privileges(): Readonly<Record<string, string>> {
    return this.inner ? this.inner.privileges : this.remote.privileges;
  }

  async start(): Promise<void> {
    await this.leadership.start();
    await this.switching;
    await this.refresh();
    this.timer = setInterval(() => { void this.refresh(); }, TICK_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.leadership.stop();
    await this.switching;
  }

  private switchTo(held: boolean): void {
    this.switching = this.switching.then(async () => {
      if (held && !this.inner) {
        this.o.log.info({ jid: this.o.jid, instance: this.o.self }, "this instance holds the component link");
        const inner = this.o.create();
        inner.on("online", () => { void this.publish(); this.emit("online"); });
        inner.on("offline", () => { void this.publish(); this.emit("offline"); });
        this.inner = inner;
        this.relayServer.start();
        await inner.start();
      } else if (!held && this.inner) {
        const inner = this.inner;
        this.inner = undefined;
        await this.relayServer.stop();
        await inner.stop();
        this.o.log.warn({ jid: this.o.jid }, "this instance no longer holds the component link; standing by");
        this.emit("offline");
      }
    }).catch((err: unknown) => this.o.log.error({ err }, "component link: switching roles failed"));
  }

  /** The holder publishes its state; a standby reads the holder's. */
  private async refresh(): Promise<void> {
    try {
      if (this.inner) return await this.publish();
      const row = await this.db.selectFrom("core_link").selectAll().where("name", "=", this.o.jid).executeTakeFirst();
      const info = row?.info ? (JSON.parse(row.info) as { privileges?: Record<string, string>; capabilities?: ServerCapabilities; lastError?: string }) : {};
      this.remote = { connected: row?.connected === 1, holder: row?.holder ?? null, privileges: info.privileges ?? {}, capabilities: info.capabilities ?? UNKNOWN, lastError: info.lastError, at: row?.updated_at ?? 0 };
      // Standbys tell their modules too, so that work waiting for the server (crash recovery) runs.
      const now = this.connected;
      if (now && !this.remoteWasConnected) this.emit("online");
      this.remoteWasConnected = now;
    } catch (err) {
      this.o.log.debug({ err }, "component link: could not read or write the shared state");
    }
  }

  private async publish(): Promise<void> {
    const inner = this.inner;
    if (!inner) return;
    const now = Date.now();
    // What the holder learnt of the server, so that a standby's modules offer the same things.
    const info = JSON.stringify({ privileges: inner.privileges, capabilities: inner.admin.capabilities, ...(inner.lastError ? { lastError: inner.lastError } : {}) });
    const values = { name: this.o.jid, holder: this.o.self, expires_at: now + LEASE_MS, connected: inner.connected ? 1 : 0, updated_at: now, info };
    // On SQLite the lease row is the leadership: write it only while it is ours.
    if (this.o.database.dialect === "sqlite") {
      await this.db.updateTable("core_link").set({ connected: values.connected, updated_at: now, info }).where("name", "=", this.o.jid).where("holder", "=", this.o.self).execute();
    } else {
      await this.db.insertInto("core_link").values(values).onConflict((oc) => oc.column("name").doUpdateSet(values)).execute();
    }
  }

  private facade(): AdminPort {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the facade's getters close over the link
    const link = this;
    const call = <R>(op: AdminOp, args: unknown[]): Promise<R> => {
      const inner = link.inner;
      if (inner) return (inner.admin[op] as (...a: unknown[]) => Promise<R>)(...args);
      // As a link that is down: at once, rather than after waiting for a holder that is not there.
      if (!link.connected) return Promise.reject(adminErrors.not_connected());
      return link.relayClient.call(op, args) as Promise<R>;
    };
    return {
      get connected() { return link.connected; },
      get privileges() { return link.privileges; },
      get capabilities() { return link.inner ? link.inner.admin.capabilities : link.remote.capabilities; },
      createAccount: (jid: string, password: string) => call<void>("createAccount", [jid, password]),
      changePassword: (jid: string, password: string) => call<void>("changePassword", [jid, password]),
      deleteAccount: (jid: string) => call<void>("deleteAccount", [jid]),
      disableAccount: (jid: string) => call<void>("disableAccount", [jid]),
      enableAccount: (jid: string) => call<void>("enableAccount", [jid]),
      endSessions: (jid: string) => call<void>("endSessions", [jid]),
      accountExists: (jid: string) => call<boolean>("accountExists", [jid]),
      getRoster: (userJid: string) => call<RosterItem[]>("getRoster", [userJid]),
      setRosterItem: (userJid: string, item: RosterItem) => call<void>("setRosterItem", [userJid, item]),
      makeMutualContacts: (a: ContactSpec, b: ContactSpec) => call<{ via: string }>("makeMutualContacts", [a, b]),
      getProfile: (jid: string, opts: { maxAvatarBytes: number }) => call<Profile>("getProfile", [jid, opts]),
    };
  }
}
