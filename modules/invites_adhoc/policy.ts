// Who may do what, and the per-user quota (admins exempt), as ejabberd's max_invites.
import type { AdhocRequest, AdhocResponse, Limiter, Store } from "../../core/types.js";
import type { Invite, InvitesApi } from "../invites/types.js";
import { errors } from "./errors.js";

export interface PolicyOptions {
  hosts: readonly string[];
  allowUserInvites: boolean;
  /** Bare JIDs or host names whose users may run create-account besides admins. */
  accountInviteUsers: readonly string[];
  maxPending: number;
  maxPerDay: number;
  /** Counts revoke/extend lookups a user missed (per bare JID, a minute each window). */
  misses?: Limiter;
}

const DAY_MS = 86_400_000;

export function domainOf(bareJid: string): string {
  const at = bareJid.indexOf("@");
  return (at === -1 ? bareJid : bareJid.slice(at + 1)).toLowerCase();
}

export class Policy {
  readonly hosts: string[];
  constructor(
    readonly opts: PolicyOptions,
    private readonly invites: InvitesApi,
    /** Creation times (epoch ms) in the last day, by bare JID. */
    private readonly daily: Store<number[]>,
    private readonly now: () => number = Date.now,
  ) {
    this.hosts = opts.hosts.map((h) => h.toLowerCase());
  }

  /** A user of one of the served hosts (a bare JID with a localpart). */
  isLocal(bareJid: string): boolean {
    return bareJid.includes("@") && this.hosts.includes(domainOf(bareJid));
  }

  /**
   * The note answering a requester who is not a user of a served host. Admins pass unless
   * the command acts on their own account (`needsAccount`).
   */
  refuseForeign(req: AdhocRequest, needsAccount = false): AdhocResponse | undefined {
    if (this.isLocal(req.fromBare) || (req.isAdmin && !needsAccount)) return undefined;
    const why = needsAccount && req.isAdmin ? "this command acts on your own account, which" : "invites are for users of this service, and your address";
    return {
      status: "completed",
      notes: [{ type: "error", text: `Refused: ${why} ${req.fromBare} is not on a host served here (${this.hosts.join(", ")}).` }],
    };
  }

  mayCreateAccountInvites(req: AdhocRequest): boolean {
    if (req.isAdmin) return true;
    const bare = req.fromBare.toLowerCase();
    return this.isLocal(bare) && this.opts.accountInviteUsers.some((e) => e.toLowerCase() === bare || e.toLowerCase() === domainOf(bare));
  }

  /** Whether the requester's contact invites also let the invitee register (Prosody's allow_user_invites). */
  mayInviteNewUsers(req: AdhocRequest): boolean {
    return req.isAdmin || this.opts.allowUserInvites || this.mayCreateAccountInvites(req);
  }

  /** Revoke and extend lookups that found nothing of the requester's, by bare JID, this minute. */
  /** Refuses a user who missed too often in the last minute (policy-violation, with when to retry). */
  async checkLookups(req: AdhocRequest): Promise<void> {
    const r = await this.opts.misses?.check(req.fromBare.toLowerCase());
    if (!r || r.ok) return;
    throw errors.quota(`Too many invites not found for you in a minute; try again in ${r.retryAfterS} s`, { limit: "lookups" });
  }

  async missedLookup(req: AdhocRequest): Promise<void> {
    await this.opts.misses?.consume(req.fromBare.toLowerCase());
  }

  mayManage(req: AdhocRequest, invite: Invite): boolean {
    return req.isAdmin || (invite.inviter !== null && invite.inviter === req.fromBare.toLowerCase());
  }

  /** Per requester: the tail of their quota-counted actions in progress in this process. */
  private readonly queues = new Map<string, Promise<unknown>>();

  /**
   * Runs `fn` (check the quota, then create or revive the invite) after any other such
   * action of the same requester has finished. Without this, concurrent requests all count
   * the same pending invites before any of them is created, and all pass the limit.
   */
  async oneAtATime<T>(req: AdhocRequest, fn: () => Promise<T>): Promise<T> {
    if (req.isAdmin) return fn();
    const key = req.fromBare.toLowerCase();
    const run = (this.queues.get(key) ?? Promise.resolve()).then(fn);
    const tail = run.catch(() => undefined);
    this.queues.set(key, tail);
    try {
      return await run;
    } finally {
      if (this.queues.get(key) === tail) this.queues.delete(key);
    }
  }

  /** Counts the user's pending invites, stopping as soon as the limit is reached. */
  async pendingCount(bareJid: string, stopAt: number): Promise<number> {
    let count = 0;
    let cursor: string | undefined;
    do {
      const page = await this.invites.list({ inviter: bareJid, status: "pending", limit: 500, ...(cursor === undefined ? {} : { cursor }) });
      count += page.invites.length;
      cursor = page.cursor;
    } while (cursor !== undefined && count < stopAt);
    return count;
  }

  /** Throws invites_adhoc.quota when one more pending invite would pass the limit. */
  async checkPending(req: AdhocRequest): Promise<void> {
    const max = this.opts.maxPending;
    if (req.isAdmin || max === 0) return;
    const pending = await this.pendingCount(req.fromBare.toLowerCase(), max);
    if (pending >= max) {
      throw errors.quota(`You already have ${pending} pending invites, the most allowed (max_pending_invites_per_user = ${max}); revoke one or wait until one is used or expires`, { limit: "max_pending_invites_per_user" });
    }
  }

  /**
   * Checks both limits and takes one of today's slots atomically. Returns a function that
   * gives the slot back (when creating the invite then fails).
   */
  async take(req: AdhocRequest): Promise<() => Promise<void>> {
    await this.checkPending(req);
    const max = this.opts.maxPerDay;
    if (req.isAdmin || max === 0) return async () => {};
    const key = req.fromBare.toLowerCase();
    const at = this.now();
    let refused: number[] | undefined;
    await this.daily.update(key, (cur) => {
      const recent = (cur ?? []).filter((t) => t > at - DAY_MS);
      if (recent.length >= max) { refused = recent; return recent; }
      return [...recent, at];
    });
    if (refused) {
      const next = new Date(Math.min(...refused) + DAY_MS).toISOString().replace(/\.\d{3}Z$/, "Z");
      throw errors.quota(`You have created ${refused.length} invites in the last 24 hours, the most allowed (max_invites_per_day = ${max}); you can create another after ${next}`, { limit: "max_invites_per_day" });
    }
    return async () => {
      await this.daily.update(key, (cur) => {
        const list = [...(cur ?? [])];
        const i = list.lastIndexOf(at);
        if (i !== -1) list.splice(i, 1);
        return list.length ? list : undefined;
      });
    };
  }
}
