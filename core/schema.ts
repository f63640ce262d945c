// Core's own tables: the keyv table behind mod.openStore, the instances sharing the
// database, the component link's lease and state, admin requests handed to the instance
// holding the link, and shared rate limits. See docs/storage.md.
import { sql, type RawBuilder } from "kysely";
import type { Migration } from "./types.js";

export interface CoreTables {
  keyv: { key: string; value: string | null };
  core_instances: { id: string; started_at: number; seen_at: number; pid: number; hostname: string };
  /** One row per component JID: who holds its link (the SQLite lease), and what the holder reports (JSON info). */
  core_link: { name: string; holder: string | null; expires_at: number; connected: number; updated_at: number; info: string | null };
  core_admin_requests: { id: string; op: string; payload: string; state: string; created_at: number; claimed_by: string | null; result: string | null; done_at: number | null };
  core_rate_limits: { key: string; points: number; expire: number | null };
}

export const coreMigrations: Migration[] = [
  {
    // The layout @keyv/sqlite and @keyv/postgres use (and release 0.1 wrote), so existing
    // files keep their rows. TEXT keys on PostgreSQL: a namespaced JID may exceed 255 bytes.
    name: "0001_keyv",
    async up(db, dialect) {
      await db.schema.createTable("keyv").ifNotExists()
        .addColumn("key", dialect === "postgres" ? "text" : "varchar(255)", (c) => c.primaryKey())
        .addColumn("value", "text").execute();
    },
  },
  {
    name: "0002_instances",
    async up(db) {
      await db.schema.createTable("core_instances")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("started_at", "bigint", (c) => c.notNull())
        .addColumn("seen_at", "bigint", (c) => c.notNull())
        .addColumn("pid", "integer", (c) => c.notNull())
        .addColumn("hostname", "text", (c) => c.notNull()).execute();
      await db.schema.createTable("core_link")
        .addColumn("name", "text", (c) => c.primaryKey())
        .addColumn("holder", "text")
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("connected", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("updated_at", "bigint", (c) => c.notNull())
        .addColumn("info", "text").execute();
      await db.schema.createTable("core_admin_requests")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("op", "text", (c) => c.notNull())
        .addColumn("payload", "text", (c) => c.notNull())
        .addColumn("state", "text", (c) => c.notNull().check(sqlIn("state", ["pending", "running", "done"])))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("claimed_by", "text")
        .addColumn("result", "text")
        .addColumn("done_at", "bigint").execute();
      await db.schema.createIndex("core_admin_requests_state").on("core_admin_requests").columns(["state", "created_at"]).execute();
    },
  },
  {
    // rate-limiter-flexible's RateLimiterPostgres layout (used only with PostgreSQL).
    name: "0003_rate_limits",
    async up(db) {
      await db.schema.createTable("core_rate_limits")
        .addColumn("key", "varchar(255)", (c) => c.primaryKey())
        .addColumn("points", "integer", (c) => c.notNull().defaultTo(0))
        .addColumn("expire", "bigint").execute();
      await db.schema.createIndex("core_rate_limits_expire").on("core_rate_limits").column("expire").execute();
    },
  },
];

function sqlIn(column: string, values: string[]): RawBuilder<unknown> {
  return sql`${sql.ref(column)} in (${sql.join(values.map((v) => sql.lit(v)))})`;
}
