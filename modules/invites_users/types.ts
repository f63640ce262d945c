// The public shape of invites_users (what mod.depends("invites_users") returns).
export type { Deactivated, Reactivated } from "./deactivate.js";
import type { Deactivated, Reactivated } from "./deactivate.js";

export interface InvitesUsersApi {
  /** Locks the account, revokes its pending invites, deletes its API keys and records `by`. */
  deactivate(jid: string, by: string): Promise<Deactivated>;
  reactivate(jid: string, by: string): Promise<Reactivated>;
  /** The accounts `jid` brought in through invites, recursively (`jid` excluded). */
  branch(jid: string): Promise<string[]>;
}
