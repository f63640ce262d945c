// Whether an invite can be used now, and its status for listings. Pure functions of the
// record and the clock, so every surface agrees.
import type { Invite, InviteStatus, Validation } from "./types.js";

/**
 * A reservation its registration neither completed nor released within this time is
 * abandoned: crash recovery settles it even if its instance is alive. It holds its slot
 * until then, however old: only the XMPP server's answer may give the use back.
 */
export const RESERVATION_TTL_MS = 15 * 60_000;

/** Completed and pending uses together reach the limit. */
export function isUsedUp(invite: Invite, _now?: number): boolean {
  return invite.usesAllowed !== null && invite.usesCompleted + invite.usesPending >= invite.usesAllowed;
}

/** Order of reasons: an admin's revoke first, then spent, then time. */
export function validateInvite(invite: Invite | undefined, now = Date.now()): Validation {
  if (!invite) return { ok: false, reason: "invalid" };
  if (invite.revokedAt !== null) return { ok: false, reason: "revoked", invite };
  if (isUsedUp(invite, now)) return { ok: false, reason: "used_up", invite };
  if (now >= invite.expiresAt) return { ok: false, reason: "expired", invite };
  if (invite.notBefore !== null && now < invite.notBefore) return { ok: false, reason: "not_yet_valid", invite };
  return { ok: true, invite };
}

/** "used" counts completed uses only: a pending reservation may still be released. */
export function inviteStatus(invite: Invite, now = Date.now()): InviteStatus {
  if (invite.revokedAt !== null) return "revoked";
  if (invite.usesAllowed !== null && invite.usesCompleted >= invite.usesAllowed) return "used";
  if (now >= invite.expiresAt) return "expired";
  return "pending";
}

/** When an invite stopped being live (for sweep), or undefined while it is live. */
export function deadSince(invite: Invite, now = Date.now()): number | undefined {
  switch (inviteStatus(invite, now)) {
    case "revoked": return invite.revokedAt!;
    case "used": return invite.usedAt ?? invite.createdAt;
    case "expired": return invite.expiresAt;
    case "pending": return undefined;
  }
}
