// Where invites live: the invites, invite_reservations and invite_codes tables (schema.ts),
// through the query builder core hands the module. Every read goes to the database (no
// cache), so a change made by invitectl or another instance is seen on the next request.
// Every change to the use counters is one conditional UPDATE inside one transaction: the
// database, not this process, decides that a single-use invite is reserved once.
import { sql, type Kysely, type Transaction } from "../../core/types.js";
import { errors } from "./errors.js";
import { newCode } from "./codes.js";
import { hashToken } from "./tokens.js";
import { toInvite, toRow } from "./rows.js";
import type { InviteRow, InviteTables, ReservationRow } from "./schema.js";
import type { Invite } from "./types.js";

type Db = Kysely<InviteTables> | Transaction<InviteTables>;

/** dead_at again from the row's own columns, after any change that may move it. */
const DEAD_AT = sql<number>`case
  when revoked_at is not null then revoked_at
  when uses_allowed is not null and uses_completed >= uses_allowed then coalesce(used_at, created_at)
  else expires_at end`;

export type OpenReservation = Pick<ReservationRow, "id" | "invite_id" | "username" | "reserved_at" | "owner">;

export class InviteRepo {
  /** `codeHash`: how a short code is stored and looked up (tokens.ts codeHasher). */
  constructor(readonly db: Kysely<InviteTables>, readonly codeHash: (code: string) => string) {}

  /** The invite of a row, with its reservations when it holds any (one more indexed read). */
  private async withReservations(db: Db, row: InviteRow | undefined): Promise<Invite | undefined> {
    if (!row) return undefined;
    if (row.uses_pending === 0) return toInvite(row);
    const res = await db.selectFrom("invite_reservations").select(["id", "username", "reserved_at"]).where("invite_id", "=", row.id).orderBy("reserved_at").execute();
    return toInvite(row, res);
  }

  async rowsToInvites(rows: InviteRow[]): Promise<Invite[]> {
    const busy = rows.filter((r) => r.uses_pending > 0).map((r) => r.id);
    const res = busy.length === 0 ? [] : await this.db.selectFrom("invite_reservations").select(["id", "invite_id", "username", "reserved_at"]).where("invite_id", "in", busy).orderBy("reserved_at").execute();
    return rows.map((row) => toInvite(row, res.filter((r) => r.invite_id === row.id)));
  }

  async byId(id: string, db: Db = this.db): Promise<Invite | undefined> {
    return this.withReservations(db, await db.selectFrom("invites").selectAll().where("id", "=", id).executeTakeFirst());
  }

  /**
   * By the token's hash, on the unique index: what a lookup's timing could reveal is about
   * the SHA-256 of the guess, never about a stored token. The row must carry the same hash.
   */
  async byToken(token: string): Promise<Invite | undefined> {
    const hash = hashToken(token);
    const row = await this.db.selectFrom("invites").selectAll().where("token_hash", "=", hash).executeTakeFirst();
    return row && row.token_hash === hash ? this.withReservations(this.db, row) : undefined;
  }

  /**
   * One INSERT; with a short code, in the same transaction, a code not held by another live
   * invite (a conflicting row is taken over only once expired), retried on collision.
   */
  async insert(invite: Invite, code?: { length: number; expiresAt: number; now: number }): Promise<string | undefined> {
    if (!code) {
      await this.db.insertInto("invites").values(toRow(invite)).execute();
      return undefined;
    }
    return this.db.transaction().execute(async (trx) => {
      await trx.insertInto("invites").values(toRow(invite)).execute();
      for (let attempt = 0; attempt < 20; attempt++) {
        const text = newCode(code.length);
        const hash = this.codeHash(text);
        const got = await trx.insertInto("invite_codes").values({ code_hash: hash, invite_id: invite.id, expires_at: code.expiresAt })
          .onConflict((oc) => oc.column("code_hash").doUpdateSet({ invite_id: invite.id, expires_at: code.expiresAt }).where("invite_codes.expires_at", "<=", code.now))
          .returning("invite_id").executeTakeFirst();
        if (got?.invite_id === invite.id) {
          await trx.updateTable("invites").set({ short_code_hash: hash, short_code_expires_at: code.expiresAt }).where("id", "=", invite.id).execute();
          return text;
        }
      }
      throw errors.code_space_full();
    });
  }

  /**
   * Takes one use as pending if the invite is usable now and bound to no other username:
   * the conditions are the WHERE of one UPDATE, and the reservation row is written in the
   * same transaction. Undefined when the UPDATE matched nothing (the caller says why).
   */
  async reserve(id: string, username: string, r: { id: string; at: number; owner: string }): Promise<Invite | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const row = await trx.updateTable("invites").set((eb) => ({ uses_pending: eb("uses_pending", "+", 1) }))
        .where("id", "=", id)
        .where("revoked_at", "is", null)
        .where("expires_at", ">", r.at)
        .where((eb) => eb.or([eb("not_before", "is", null), eb("not_before", "<=", r.at)]))
        .where((eb) => eb.or([eb("uses_allowed", "is", null), eb(eb("uses_pending", "+", eb.ref("uses_completed")), "<", eb.ref("uses_allowed"))]))
        .where((eb) => eb.or([eb("username", "is", null), eb("username", "=", username)]))
        .returningAll().executeTakeFirst();
      if (!row) return undefined;
      await trx.insertInto("invite_reservations").values({ id: r.id, invite_id: id, username, reserved_at: r.at, owner: r.owner }).execute();
      return this.withReservations(trx, row);
    });
  }

  /**
   * Completes or releases a reservation: its row is deleted and the counters move in the
   * same transaction. Undefined (and nothing changed) when no such reservation is open.
   */
  async settle(inviteId: string, reservationId: string, outcome: "complete" | "release", at: number): Promise<{ invite: Invite; username: string } | undefined> {
    return this.db.transaction().execute(async (trx) => {
      const gone = await trx.deleteFrom("invite_reservations").where("id", "=", reservationId).where("invite_id", "=", inviteId).returning("username").executeTakeFirst();
      if (!gone) return undefined;
      const q = trx.updateTable("invites").where("id", "=", inviteId);
      await (outcome === "complete"
        ? q.set((eb) => ({ uses_pending: eb("uses_pending", "-", 1), uses_completed: eb("uses_completed", "+", 1), used_at: at }))
        : q.set((eb) => ({ uses_pending: eb("uses_pending", "-", 1) }))).execute();
      const row = await trx.updateTable("invites").set({ dead_at: DEAD_AT }).where("id", "=", inviteId).returningAll().executeTakeFirst();
      return { invite: (await this.withReservations(trx, row))!, username: gone.username };
    });
  }

  /**
   * Admin changes (revoke, update, extend): only these columns, so a concurrent reserve is
   * never overwritten. `onlyIfUnrevoked` keeps the first revocation time.
   */
  async changeFields(id: string, set: Partial<Pick<InviteRow, "uses_allowed" | "note" | "expires_at" | "revoked_at">>, onlyIfUnrevoked = false): Promise<Invite> {
    const row = await this.db.transaction().execute(async (trx) => {
      if (Object.keys(set).length > 0) {
        let q = trx.updateTable("invites").set(set).where("id", "=", id);
        if (onlyIfUnrevoked) q = q.where("revoked_at", "is", null);
        await q.execute();
      }
      return trx.updateTable("invites").set({ dead_at: DEAD_AT }).where("id", "=", id).returningAll().executeTakeFirst();
    });
    const invite = await this.withReservations(this.db, row);
    if (!invite) throw errors.not_found(undefined, { id });
    return invite;
  }

  async remove(id: string): Promise<boolean> {
    // Reservations and codes go with it (ON DELETE CASCADE).
    const r = await this.db.deleteFrom("invites").where("id", "=", id).executeTakeFirst();
    return r.numDeletedRows > 0n;
  }

  /** By the code's hash: the invite it leads to, while the code is live. */
  code(hash: string): Promise<{ invite_id: string; expires_at: number } | undefined> {
    return this.db.selectFrom("invite_codes").select(["invite_id", "expires_at"]).where("code_hash", "=", hash).executeTakeFirst();
  }

  /** Reservations that no live registration owns: handed over, of a dead instance, or older than `before`. */
  async orphanedReservations(alive: ReadonlySet<string>, before: number, after = "", limit = 200): Promise<OpenReservation[]> {
    return this.db.selectFrom("invite_reservations").select(["id", "invite_id", "username", "reserved_at", "owner"])
      .where("id", ">", after)
      .where((eb) => eb.or([eb("owner", "is", null), eb("reserved_at", "<", before), eb("owner", "not in", [...alive])]))
      .orderBy("id").limit(limit).execute();
  }

  /** Every open reservation of a host (invitectl invite reservations), oldest first. */
  async openReservations(host: string, limit: number): Promise<(OpenReservation & { host: string; type: string })[]> {
    return this.db.selectFrom("invite_reservations as r").innerJoin("invites as i", "i.id", "r.invite_id")
      .select(["r.id", "r.invite_id", "r.username", "r.reserved_at", "r.owner", "i.host", "i.type"])
      .where("i.host", "=", host).orderBy("r.reserved_at").limit(limit).execute();
  }

  async reservation(id: string): Promise<OpenReservation | undefined> {
    return this.db.selectFrom("invite_reservations").select(["id", "invite_id", "username", "reserved_at", "owner"]).where("id", "=", id).executeTakeFirst();
  }

  /** This process gives a reservation up: crash recovery settles it from now on. */
  async handOver(reservationId: string): Promise<void> {
    await this.db.updateTable("invite_reservations").set({ owner: null }).where("id", "=", reservationId).execute();
  }
}
