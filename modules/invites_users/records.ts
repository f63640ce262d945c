// Who deactivated which account, when, and how it was locked (table user_deactivations):
// reactivation reads it to undo what can be undone, and the ctl and API show it.
import type { Kysely, Migration } from "../../core/types.js";

export type Lock = "disabled" | "password";

export interface DeactivationRow {
  jid: string;
  host: string;
  deactivated_at: number;
  deactivated_by: string;
  /** "disabled": XEP-0133 disable-user; "password": an unusable random password. */
  lock: Lock;
  /** 1 when the account's sessions were ended. */
  sessions_ended: number;
  invites_revoked: number;
  keys_deleted: number;
  reactivated_at: number | null;
  reactivated_by: string | null;
}

export interface UserTables { user_deactivations: DeactivationRow }

export const migrations: Migration[] = [
  {
    name: "0001_create_user_deactivations",
    async up(db) {
      await db.schema.createTable("user_deactivations")
        .addColumn("jid", "text", (c) => c.primaryKey())
        .addColumn("host", "text", (c) => c.notNull())
        .addColumn("deactivated_at", "bigint", (c) => c.notNull())
        .addColumn("deactivated_by", "text", (c) => c.notNull())
        .addColumn("lock", "text", (c) => c.notNull())
        .addColumn("sessions_ended", "integer", (c) => c.notNull())
        .addColumn("invites_revoked", "integer", (c) => c.notNull())
        .addColumn("keys_deleted", "integer", (c) => c.notNull())
        .addColumn("reactivated_at", "bigint")
        .addColumn("reactivated_by", "text")
        .execute();
    },
  },
];

export class Deactivations {
  constructor(private readonly db: Kysely<UserTables>) {}

  async get(jid: string): Promise<DeactivationRow | undefined> {
    const row = await this.db.selectFrom("user_deactivations").selectAll().where("jid", "=", jid).executeTakeFirst();
    return row && { ...row, deactivated_at: Number(row.deactivated_at), reactivated_at: row.reactivated_at === null ? null : Number(row.reactivated_at) };
  }

  /** A new deactivation replaces an earlier one of the same account. */
  async put(row: DeactivationRow): Promise<void> {
    const { jid: _jid, ...rest } = row;
    await this.db.insertInto("user_deactivations").values(row).onConflict((oc) => oc.column("jid").doUpdateSet(rest)).execute();
  }

  async reactivated(jid: string, at: number, by: string): Promise<void> {
    await this.db.updateTable("user_deactivations").set({ reactivated_at: at, reactivated_by: by }).where("jid", "=", jid).execute();
  }
}
