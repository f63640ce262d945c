// The invite store's tables (applied by core at start-up, see core/migrate.ts):
//   invites               one row per invite; counters, times, and dead_at for sweep
//   invite_reservations   one row per reserved use not yet completed or released
//   invite_codes          short-code hashes, unique among live codes
// and the import of release 0.1's keyv rows (legacy.ts). docs/storage.md shows the SQL.
import { sql, type Migration } from "../../core/types.js";
import { importKeyvLayout } from "./legacy.js";
import type { InviteType } from "./types.js";

export interface InviteRow {
  id: string;
  token_hash: string;
  type: InviteType;
  host: string;
  username: string | null;
  email: string | null;
  inviter: string | null;
  source: string;
  /** JSON arrays. */
  roles: string;
  groups_json: string;
  note: string | null;
  uses_allowed: number | null;
  uses_pending: number;
  uses_completed: number;
  created_at: number;
  not_before: number | null;
  expires_at: number;
  revoked_at: number | null;
  used_at: number | null;
  short_code_hash: string | null;
  short_code_expires_at: number | null;
  /** JSON object. */
  extra: string;
  /** When it stopped being usable (revoked, used up, else expiry): sweep deletes by it. */
  dead_at: number;
  /** Creation order for listing: created_at × 1000 + a per-process counter (rows.ts). */
  seq: number;
}

export interface ReservationRow {
  id: string;
  invite_id: string;
  username: string;
  reserved_at: number;
  /** The instance whose registration holds it (core_instances.id); null once handed to recovery. */
  owner: string | null;
}

export interface CodeRow { code_hash: string; invite_id: string; expires_at: number }

export interface InviteTables {
  invites: InviteRow;
  invite_reservations: ReservationRow;
  invite_codes: CodeRow;
}

const TYPES: InviteType[] = ["account", "contact", "account_and_contact", "reset"];

export const migrations: Migration[] = [
  {
    name: "0001_create_invites",
    async up(db) {
      await db.schema.createTable("invites")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("token_hash", "text", (c) => c.notNull().unique())
        .addColumn("type", "text", (c) => c.notNull().check(sql`type in (${sql.join(TYPES.map((t) => sql.lit(t)))})`))
        .addColumn("host", "text", (c) => c.notNull())
        .addColumn("username", "text")
        .addColumn("email", "text")
        .addColumn("inviter", "text")
        .addColumn("source", "text", (c) => c.notNull())
        .addColumn("roles", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("groups_json", "text", (c) => c.notNull().defaultTo("[]"))
        .addColumn("note", "text")
        .addColumn("uses_allowed", "integer", (c) => c.check(sql`uses_allowed is null or uses_allowed >= 1`))
        .addColumn("uses_pending", "integer", (c) => c.notNull().defaultTo(0).check(sql`uses_pending >= 0`))
        .addColumn("uses_completed", "integer", (c) => c.notNull().defaultTo(0).check(sql`uses_completed >= 0`))
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("not_before", "bigint")
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .addColumn("revoked_at", "bigint")
        .addColumn("used_at", "bigint")
        .addColumn("short_code_hash", "text")
        .addColumn("short_code_expires_at", "bigint")
        .addColumn("extra", "text", (c) => c.notNull().defaultTo("{}"))
        .addColumn("dead_at", "bigint", (c) => c.notNull())
        .addColumn("seq", "bigint", (c) => c.notNull())
        .execute();
      // Listing newest first (keyset on seq, id), per host, per inviter or all; sweep.
      await db.schema.createIndex("invites_host_seq").on("invites").columns(["host", "seq", "id"]).execute();
      // Most invites have no inviter (API and ctl account invites): a partial index costs them no write.
      await db.schema.createIndex("invites_inviter_seq").on("invites").columns(["inviter", "seq", "id"]).where(sql.ref("inviter"), "is not", null).execute();
      await db.schema.createIndex("invites_seq").on("invites").columns(["seq", "id"]).execute();
      await db.schema.createIndex("invites_dead").on("invites").column("dead_at").execute();

      await db.schema.createTable("invite_reservations")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("invite_id", "text", (c) => c.notNull().references("invites.id").onDelete("cascade"))
        .addColumn("username", "text", (c) => c.notNull())
        .addColumn("reserved_at", "bigint", (c) => c.notNull())
        .addColumn("owner", "text")
        .execute();
      await db.schema.createIndex("invite_reservations_invite").on("invite_reservations").column("invite_id").execute();
      await db.schema.createIndex("invite_reservations_reserved").on("invite_reservations").column("reserved_at").execute();

      await db.schema.createTable("invite_codes")
        .addColumn("code_hash", "text", (c) => c.primaryKey())
        .addColumn("invite_id", "text", (c) => c.notNull().references("invites.id").onDelete("cascade"))
        .addColumn("expires_at", "bigint", (c) => c.notNull())
        .execute();
      await db.schema.createIndex("invite_codes_invite").on("invite_codes").column("invite_id").execute();
      await db.schema.createIndex("invite_codes_expires").on("invite_codes").column("expires_at").execute();
    },
  },
  {
    // Release 0.1 kept every invite as keyv rows (records, token index, index pages, heads,
    // buckets): moved into the tables above, in batches, and the old rows deleted.
    name: "0002_import_keyv_layout",
    up: (db) => importKeyvLayout(db),
  },
];
