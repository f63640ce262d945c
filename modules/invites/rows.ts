// Rows <-> invites: the one place that knows how an Invite is laid out in the tables.
import type { InviteRow, ReservationRow } from "./schema.js";
import type { Invite } from "./types.js";

const list = (text: string): string[] => {
  const v = JSON.parse(text) as unknown;
  return Array.isArray(v) ? v.map(String) : [];
};

export function toInvite(row: InviteRow, reservations: readonly Pick<ReservationRow, "id" | "username" | "reserved_at">[] = []): Invite {
  return {
    id: row.id,
    tokenHash: row.token_hash,
    type: row.type,
    host: row.host,
    username: row.username,
    email: row.email,
    inviter: row.inviter,
    source: row.source,
    roles: list(row.roles),
    groups: list(row.groups_json),
    note: row.note,
    usesAllowed: row.uses_allowed,
    usesPending: row.uses_pending,
    usesCompleted: row.uses_completed,
    reservations: Object.fromEntries(reservations.map((r) => [r.id, { username: r.username, at: r.reserved_at }])),
    createdAt: row.created_at,
    notBefore: row.not_before,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
    usedAt: row.used_at,
    shortCode: null,
    shortCodeHash: row.short_code_hash,
    shortCodeExpiresAt: row.short_code_expires_at,
    extra: JSON.parse(row.extra) as Record<string, unknown>,
  };
}

/** When an invite stops being usable for good: revoked, used up, else its expiry (sweep's index). */
export function deadAt(i: Pick<Invite, "revokedAt" | "usesAllowed" | "usesCompleted" | "usedAt" | "createdAt" | "expiresAt">): number {
  if (i.revokedAt !== null) return i.revokedAt;
  if (i.usesAllowed !== null && i.usesCompleted >= i.usesAllowed) return i.usedAt ?? i.createdAt;
  return i.expiresAt;
}

let counter = 0;
/** Listing order: creation time, then the order of creation within this process's millisecond. */
export function nextSeq(createdAt: number): number {
  counter = (counter + 1) % 1000;
  return createdAt * 1000 + counter;
}

export function toRow(i: Invite, seq = nextSeq(i.createdAt)): InviteRow {
  return {
    id: i.id,
    token_hash: i.tokenHash,
    type: i.type,
    host: i.host,
    username: i.username,
    email: i.email,
    inviter: i.inviter,
    source: i.source,
    roles: JSON.stringify(i.roles),
    groups_json: JSON.stringify(i.groups),
    note: i.note,
    uses_allowed: i.usesAllowed,
    uses_pending: i.usesPending,
    uses_completed: i.usesCompleted,
    created_at: i.createdAt,
    not_before: i.notBefore,
    expires_at: i.expiresAt,
    revoked_at: i.revokedAt,
    used_at: i.usedAt,
    short_code_hash: i.shortCodeHash,
    short_code_expires_at: i.shortCodeExpiresAt,
    extra: JSON.stringify(i.extra ?? {}),
    dead_at: deadAt(i),
    seq,
  };
}
