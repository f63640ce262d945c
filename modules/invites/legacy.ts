// Release 0.1 kept invites as keyv rows in the `keyv` table: `keyv:invites.invite:<id>`
// (the record, with its reservations and index slots), `invite_token`, `invite_code`, and
// the index pages, heads and open-reservation buckets that the tables' indexes replace.
// This import (migration 0002) moves records and codes into the tables in batches, then
// deletes those rows. Reservations keep their username and time; they belong to no live
// instance, so crash recovery settles them at the first connection, and until then each
// holds its use (release 0.1 let one older than 15 minutes stop holding it).
import type { Kysely } from "../../core/types.js";
import { toRow } from "./rows.js";
import type { InviteTables } from "./schema.js";
import type { Invite } from "./types.js";

const BATCH = 500;
const NAMESPACES = ["invite", "invite_token", "invite_code", "invite_index", "invite_index_head", "invite_open"];
const range = (ns: string) => [`keyv:invites.${ns}:`, `keyv:invites.${ns};`] as const; // ";" follows ":"

interface KeyvTable { keyv: { key: string; value: string | null } }

/** From the catalog, not by trying: on PostgreSQL a failed statement would abort the migration's transaction. */
async function hasKeyvTable(db: Kysely<unknown>): Promise<boolean> {
  return (await db.introspection.getTables()).some((t) => t.name === "keyv");
}

/** Keyv rows of one namespace, `BATCH` at a time in key order (keyv's own expiry ignored: codes carry theirs). */
async function* rows<T>(db: Kysely<KeyvTable>, ns: string): AsyncGenerator<{ key: string; value: T }[]> {
  const [from, to] = range(ns);
  for (let after: string = from; ;) {
    const page = await db.selectFrom("keyv").select(["key", "value"]).where("key", ">", after).where("key", "<", to).orderBy("key").limit(BATCH).execute();
    if (page.length === 0) return;
    after = page[page.length - 1]!.key;
    const out: { key: string; value: T }[] = [];
    for (const r of page) {
      const data = JSON.parse(r.value ?? "null") as { value?: T } | null;
      if (data?.value === undefined) continue;
      out.push({ key: r.key.slice(from.length), value: data.value });
    }
    yield out;
    if (page.length < BATCH) return;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration sees the database as it is, not as the module types it today
export async function importKeyvLayout(anyDb: Kysely<any>): Promise<void> {
  if (!(await hasKeyvTable(anyDb))) return;
  const db = anyDb as Kysely<InviteTables & KeyvTable>;
  for await (const batch of rows<Invite & { slots?: Record<string, number> }>(db, "invite")) {
    if (batch.length === 0) continue;
    const invites = batch.map(({ value }) => {
      const { slots, ...old } = value;
      const reservations = Object.entries(old.reservations ?? {});
      // The slot in the "all" index kept the order of creation within a millisecond.
      const seq = old.createdAt * 1000 + ((slots?.["all"] ?? 0) % 1000);
      return { invite: { ...old, shortCode: null, usesPending: reservations.length, extra: old.extra ?? {} } as Invite, reservations, seq };
    });
    await db.insertInto("invites").values(invites.map((i) => toRow(i.invite, i.seq))).onConflict((oc) => oc.column("id").doNothing()).execute();
    const res = invites.flatMap(({ invite, reservations }) => reservations.map(([id, r]) => ({ id, invite_id: invite.id, username: r.username, reserved_at: r.at, owner: null })));
    if (res.length) await db.insertInto("invite_reservations").values(res).onConflict((oc) => oc.column("id").doNothing()).execute();
  }
  // Expired codes too: they are kept as they were, and sweep deletes them.
  for await (const batch of rows<{ id: string; expiresAt: number }>(db, "invite_code")) {
    for (const { key, value } of batch) {
      // Only codes whose invite still exists and still names this code.
      const owner = await db.selectFrom("invites").select("id").where("id", "=", value.id).where("short_code_hash", "=", key).executeTakeFirst();
      if (owner) await db.insertInto("invite_codes").values({ code_hash: key, invite_id: value.id, expires_at: value.expiresAt }).onConflict((oc) => oc.column("code_hash").doNothing()).execute();
    }
  }
  for (const ns of NAMESPACES) {
    const [from, to] = range(ns);
    await db.deleteFrom("keyv").where("key", ">=", from).where("key", "<", to).execute();
  }
}
