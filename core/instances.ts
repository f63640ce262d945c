// The server processes sharing one database. Each running server writes its row in
// core_instances every second; an instance not seen for STALE_MS is dead (killed, or cut
// off from the database). Crash recovery uses this to tell a reservation that a live
// registration still owns from one a dead process left behind.
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Instances } from "./types.js";
import type { CoreTables } from "./schema.js";

export const HEARTBEAT_MS = 1_000;
export const STALE_MS = 5_000;

export class InstanceRegistry implements Instances {
  readonly self = `${hostname().slice(0, 40)}:${process.pid}:${randomBytes(4).toString("hex")}`;
  private timer: NodeJS.Timeout | undefined;
  private readonly startedAt = Date.now();

  constructor(private readonly db: Kysely<CoreTables>, private readonly log: Logger, private readonly now: () => number = Date.now) {}

  /** Starts reporting in (server mode only: a ctl run owns no reservation). */
  async start(): Promise<void> {
    await this.beat();
    this.timer = setInterval(() => {
      this.beat().catch((err: unknown) => this.log.warn({ err }, "could not report this instance as alive to the store"));
    }, HEARTBEAT_MS);
    this.timer.unref();
  }

  private async beat(): Promise<void> {
    const at = this.now();
    await this.db.insertInto("core_instances")
      .values({ id: this.self, started_at: this.startedAt, seen_at: at, pid: process.pid, hostname: hostname().slice(0, 200) })
      .onConflict((oc) => oc.column("id").doUpdateSet({ seen_at: at }))
      .execute();
    // Rows of instances gone for a day are of no use to anyone.
    await this.db.deleteFrom("core_instances").where("seen_at", "<", at - 86_400_000).execute();
  }

  async alive(): Promise<Set<string>> {
    const rows = await this.db.selectFrom("core_instances").select("id").where("seen_at", ">", this.now() - STALE_MS).execute();
    return new Set([...rows.map((r) => r.id), this.self]);
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    if (!this.timer) return;
    this.timer = undefined;
    // Gone at once rather than in STALE_MS: its reservations are settled, or recoverable now.
    await this.db.deleteFrom("core_instances").where("id", "=", this.self).execute().catch(() => {});
  }
}
