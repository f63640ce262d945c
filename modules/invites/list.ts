// Listing newest first over the index pages, and sweeping old invites, both in bounded
// steps: a list call reads at most MAX_PAGES_PER_LIST pages and returns a cursor
// "<page>:<position>" to continue from; sweep walks the "all" index a few pages at a time.
import { errors } from "./errors.js";
import { PAGE_SIZE, indexName, pageOf } from "./pages.js";
import type { InviteRepo } from "./repo.js";
import { deadSince, inviteStatus } from "./validate.js";
import type { Invite, InviteStatus, InviteType, ListFilter, ListPage } from "./types.js";

export const MAX_PAGES_PER_LIST = 8;
export const DEFAULT_LIMIT = 50;
export const MAX_LIMIT = 500;
const SWEEP_BATCH_PAGES = 4;
const STATUSES: readonly InviteStatus[] = ["pending", "used", "expired", "revoked"];
const TYPES: readonly InviteType[] = ["account", "contact", "account_and_contact", "reset"];

interface Cursor { page: number; pos: number }

function parseCursor(text: string): Cursor {
  const m = /^(\d{1,9}):(\d{1,3})$/.exec(text);
  if (!m || Number(m[2]) >= PAGE_SIZE) throw errors.bad_request(`Bad cursor ${JSON.stringify(text)}: pass back the cursor a previous page returned`, { field: "cursor" });
  return { page: Number(m[1]), pos: Number(m[2]) };
}

/** Checks a filter given by a caller (HTTP query, ctl flags) and names the bad field. */
export function checkFilter(filter: ListFilter): Required<Pick<ListFilter, "limit">> & ListFilter {
  const limit = filter.limit ?? DEFAULT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw errors.bad_request(`limit must be a whole number from 1 to ${MAX_LIMIT}, got ${String(filter.limit)}`, { field: "limit" });
  if (filter.status !== undefined && !STATUSES.includes(filter.status)) throw errors.bad_request(`status must be one of ${STATUSES.join(", ")}, got ${JSON.stringify(filter.status)}`, { field: "status" });
  if (filter.type !== undefined && !TYPES.includes(filter.type)) throw errors.bad_request(`type must be one of ${TYPES.join(", ")}, got ${JSON.stringify(filter.type)}`, { field: "type" });
  return { ...filter, limit };
}

function matches(invite: Invite, f: ListFilter, now: number): boolean {
  if (f.host !== undefined && invite.host !== f.host.toLowerCase()) return false;
  if (f.inviter !== undefined && invite.inviter !== f.inviter.toLowerCase()) return false;
  if (f.type !== undefined && invite.type !== f.type) return false;
  if (f.status !== undefined && inviteStatus(invite, now) !== f.status) return false;
  return true;
}

export async function listInvites(repo: InviteRepo, input: ListFilter, now = Date.now()): Promise<ListPage> {
  const filter = checkFilter(input);
  // The narrowest index that covers the filter; the rest of the filter is applied per invite.
  const index = filter.inviter ? indexName("inviter", filter.inviter) : filter.host ? indexName("host", filter.host) : indexName("all");
  const head = await repo.index.head(index);
  if (head.next === 0) return { invites: [], cursor: undefined };
  let { page, pos } = filter.cursor ? parseCursor(filter.cursor) : { page: pageOf(head.next - 1), pos: PAGE_SIZE - 1 };
  const found: Invite[] = [];
  const sparse = filter.status !== undefined || filter.type !== undefined || (filter.inviter !== undefined && filter.host !== undefined);
  for (let read = 0; read < MAX_PAGES_PER_LIST && page >= head.tail; read++) {
    const ids = (await repo.index.readPage(index, page)) ?? [];
    const slots: { id: string; pos: number }[] = [];
    for (let i = Math.min(pos, ids.length - 1); i >= 0; i--) if (ids[i]) slots.push({ id: ids[i]!, pos: i });
    // Without per-invite filters every live id is a match: read no more than are needed.
    for (let from = 0; from < slots.length;) {
      const chunk = slots.slice(from, from + (sparse ? PAGE_SIZE : filter.limit - found.length));
      from += chunk.length;
      const invites = await repo.byIds(chunk.map((s) => s.id));
      for (let k = 0; k < chunk.length; k++) {
        const invite = invites[k];
        if (!invite || !matches(invite, filter, now)) continue;
        found.push(invite);
        if (found.length === filter.limit) {
          const at = chunk[k]!.pos;
          const cursor = at > 0 ? `${page}:${at - 1}` : page - 1 >= head.tail ? `${page - 1}:${PAGE_SIZE - 1}` : undefined;
          return { invites: found, cursor };
        }
      }
    }
    page--;
    pos = PAGE_SIZE - 1;
  }
  return { invites: found, cursor: page >= head.tail ? `${page}:${PAGE_SIZE - 1}` : undefined };
}

/** Deletes invites dead (expired, used up, revoked) for longer than `retentionMs`. */
export async function sweepInvites(repo: InviteRepo, retentionMs: number, now = Date.now()): Promise<number> {
  const index = indexName("all");
  const head = await repo.index.head(index);
  if (head.next === 0) return 0;
  const last = pageOf(head.next - 1);
  let removed = 0;
  for (let first = head.tail; first <= last; first += SWEEP_BATCH_PAGES) {
    const numbers: number[] = [];
    for (let p = first; p <= Math.min(last, first + SWEEP_BATCH_PAGES - 1); p++) numbers.push(p);
    const pages = await repo.index.readPages(index, numbers);
    const ids = pages.flatMap((p) => (p ?? []).filter((x): x is string => x !== null));
    const invites = await repo.byIds(ids);
    for (const invite of invites) {
      if (!invite) continue;
      const since = deadSince(invite, now);
      if (since !== undefined && since + retentionMs <= now && (await repo.remove(invite.id))) removed++;
    }
  }
  return removed;
}
