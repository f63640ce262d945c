// Listing newest first and sweeping old invites, on the tables' indexes. A list call reads
// one window of at most SCAN_WINDOW rows in (seq, id) order on the narrowest index
// (inviter, host, or all) starting after the cursor; filters the index cannot answer (type,
// status, host when listing by inviter) are applied to that window, and the cursor names
// where the next call starts. Sweep deletes on the dead_at index, in batches.
import type { Kysely } from "../../core/types.js";
import { errors } from "./errors.js";
import type { InviteRepo } from "./repo.js";
import type { InviteRow, InviteTables } from "./schema.js";
import { inviteStatus } from "./validate.js";
import type { Invite, InviteStatus, InviteType, ListFilter, ListPage } from "./types.js";

export const SCAN_WINDOW = 2_048;
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
const SWEEP_BATCH = 500;
const STATUSES: readonly InviteStatus[] = ["pending", "used", "expired", "revoked"];
const TYPES: readonly InviteType[] = ["account", "contact", "account_and_contact", "reset"];

interface Cursor { seq: number; id: string }

/** Cursors are "<seq>.<id>" of the last row a page covered. */
function parseCursor(text: string): Cursor {
  const m = /^(\d{1,16})\.([A-Za-z0-9_-]{1,64})$/.exec(text);
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw errors.bad_request(`Bad cursor ${JSON.stringify(text)}: pass back the cursor a previous page returned`, { field: "cursor" });
  return { seq: Number(m[1]), id: m[2]! };
}
const cursorOf = (r: { seq: number; id: string }) => `${r.seq}.${r.id}`;

/** Checks a filter given by a caller (HTTP query, ctl flags) and names the bad field. */
export function checkFilter(filter: ListFilter): Required<Pick<ListFilter, "limit">> & ListFilter {
  const limit = filter.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw errors.bad_request(`limit must be a whole number from 1 to ${MAX_LIMIT}, got ${String(filter.limit)}`, { field: "limit" });
  if (filter.status !== undefined && !STATUSES.includes(filter.status)) throw errors.bad_request(`status must be one of ${STATUSES.join(", ")}, got ${JSON.stringify(filter.status)}`, { field: "status" });
  if (filter.type !== undefined && !TYPES.includes(filter.type)) throw errors.bad_request(`type must be one of ${TYPES.join(", ")}, got ${JSON.stringify(filter.type)}`, { field: "type" });
  if (filter.cursor !== undefined) parseCursor(filter.cursor);
  return { ...filter, limit };
}

type Brief = Pick<InviteRow, "id" | "seq" | "host" | "type" | "revoked_at" | "uses_allowed" | "uses_completed" | "expires_at">;
const BRIEF = ["id", "seq", "host", "type", "revoked_at", "uses_allowed", "uses_completed", "expires_at"] as const;

/** The filters the index cannot answer, on the few columns they need. */
function matches(r: Brief, f: ListFilter, now: number): boolean {
  if (f.host !== undefined && r.host !== f.host.toLowerCase()) return false;
  if (f.type !== undefined && r.type !== f.type) return false;
  if (f.status !== undefined && inviteStatus({ revokedAt: r.revoked_at, usesAllowed: r.uses_allowed, usesCompleted: r.uses_completed, expiresAt: r.expires_at } as Invite, now) !== f.status) return false;
  return true;
}

export async function listInvites(repo: InviteRepo, input: ListFilter, now = Date.now()): Promise<ListPage> {
  const filter = checkFilter(input);
  // Without per-invite filters every row is a match: read no more than the page.
  const sparse = filter.status !== undefined || filter.type !== undefined || (filter.inviter !== undefined && filter.host !== undefined);
  // One row more than a page: whether anything follows the page is then known.
  const window = sparse ? SCAN_WINDOW : filter.limit + 1;
  let q = repo.db.selectFrom("invites").select(BRIEF);
  if (filter.inviter !== undefined) q = q.where("inviter", "=", filter.inviter.toLowerCase());
  else if (filter.host !== undefined) q = q.where("host", "=", filter.host.toLowerCase());
  if (filter.cursor !== undefined) {
    const c = parseCursor(filter.cursor);
    q = q.where((eb) => eb.or([eb("seq", "<", c.seq), eb.and([eb("seq", "=", c.seq), eb("id", "<", c.id)])]));
  }
  // The window on the few columns the filters need; then the whole rows of the matches only.
  const rows = await q.orderBy("seq", "desc").orderBy("id", "desc").limit(window).execute();
  const picked: Brief[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < rows.length; i++) {
    if (!matches(rows[i]!, filter, now)) continue;
    picked.push(rows[i]!);
    if (picked.length === filter.limit) {
      cursor = i < rows.length - 1 || rows.length === window ? cursorOf(rows[i]!) : undefined;
      break;
    }
  }
  // The window ended before the page filled: the next call starts after the window.
  const last = rows[rows.length - 1];
  if (picked.length < filter.limit && rows.length === window && last) cursor = cursorOf(last);
  const full = picked.length === 0 ? [] : await repo.db.selectFrom("invites").selectAll().where("id", "in", picked.map((r) => r.id)).execute();
  const byId = new Map(full.map((r) => [r.id, r]));
  const invites = await repo.rowsToInvites(picked.map((r) => byId.get(r.id)).filter((r): r is InviteRow => r !== undefined));
  return { invites, cursor };
}

/** What the sweep says of an invite it removed that had expired (not used up, not revoked): the metrics' labels. */
export type SweptExpired = (invite: Pick<Invite, "host" | "type" | "source">) => void;

/**
 * Deletes invites dead (expired, used up, revoked) for longer than `retentionMs`, and expired
 * short codes. Only the process whose delete removed a row reports it: counted once.
 */
export async function sweepInvites(db: Kysely<InviteTables>, retentionMs: number, now = Date.now(), expired?: SweptExpired): Promise<number> {
  const cutoff = now - retentionMs;
  let removed = 0;
  for (;;) {
    // An invite with an open reservation stays: crash recovery may still complete it.
    const ids = (await db.selectFrom("invites").select("id").where("dead_at", "<=", cutoff).where("uses_pending", "=", 0).orderBy("dead_at").limit(SWEEP_BATCH).execute()).map((r) => r.id);
    if (ids.length === 0) break;
    const gone = await db.deleteFrom("invites").where("id", "in", ids).where("dead_at", "<=", cutoff).where("uses_pending", "=", 0)
      .returning(["host", "type", "source", "revoked_at", "uses_allowed", "uses_completed"]).execute();
    removed += gone.length;
    // Dead, neither revoked nor used up: it expired.
    for (const g of gone) if (g.revoked_at === null && (g.uses_allowed === null || g.uses_completed < g.uses_allowed)) expired?.(g);
    if (ids.length < SWEEP_BATCH) break;
  }
  await db.deleteFrom("invite_codes").where("expires_at", "<=", now).execute();
  return removed;
}
