// Crash recovery for reservations. Registration reserves a use (recording the username),
// creates the account on the XMPP server, then completes the use. A process killed between
// those steps leaves a reservation nobody will settle. The rule: the reservation names the
// username before the account is created, so after a restart we ask the server whether
// that account exists and complete the use if it does, release it if it does not.
//
// A password reset cannot be checked that way (its account always exists), so an
// interrupted reset is released.
//
// To find open reservations without scanning every invite, a few store keys (buckets, by a
// hash of the invite id, so that concurrent reserves rarely touch the same key) list the
// ids of invites that may hold one. The id is added *before* the reservation is written (write
// ahead: a crash right after the reserve still leaves the id listed) and removed once the
// invite holds no reservation and none is in flight in this process.
import { createHash } from "node:crypto";
import type { AdminPort } from "../../core/types.js";
import { isModuleError } from "../../core/types.js";
import type { Logger, Store } from "../../core/types.js";
import type { InviteRepo } from "./repo.js";
import type { InvitesApi } from "./types.js";
import { RESERVATION_TTL_MS } from "./validate.js";

/** The keys of the `invite_open` store: `ids:<bucket>`, each listing ids of invites that may hold open reservations. */
export const OPEN_BUCKETS = 64;
export const openKey = (inviteId: string) => `ids:${createHash("sha256").update(inviteId).digest()[0]! % OPEN_BUCKETS}`;
const ALL_KEYS = Array.from({ length: OPEN_BUCKETS }, (_, i) => `ids:${i}`);

export interface RecoveryResult { checked: number; completed: number; released: number; failed: number }

export class OpenReservations {
  /** Reservations this process made and has not settled yet: reservation id -> invite id. */
  private readonly local = new Map<string, { inviteId: string; at: number }>();
  private running: Promise<RecoveryResult> | undefined;

  constructor(
    private readonly index: Store<string[]>,
    private readonly repo: InviteRepo,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Before a reservation is written. Throws (a store error) when the index cannot record it: then nothing is reserved. */
  async opening(inviteId: string, reservationId: string): Promise<void> {
    this.local.set(reservationId, { inviteId, at: this.now() });
    try {
      await this.index.update(openKey(inviteId), (cur) => (cur?.includes(inviteId) ? cur : [...(cur ?? []), inviteId]));
    } catch (e) {
      this.local.delete(reservationId);
      throw e;
    }
  }

  /** After a reservation was completed or released (or could not be made). Never throws: a stale entry only costs recovery a read. */
  async closed(inviteId: string, reservationId: string): Promise<void> {
    this.local.delete(reservationId);
    try {
      await this.prune(inviteId);
    } catch (err) {
      this.log.warn({ err, invite: inviteId }, "could not update the index of open reservations");
    }
  }

  /** This process gives up a reservation it cannot settle itself: the next recovery run decides it. */
  handOver(reservationId: string): void {
    this.local.delete(reservationId);
  }

  /** Ids currently listed (for tests and the reliability suite). */
  async listed(): Promise<string[]> {
    return (await this.index.getMany(ALL_KEYS)).flatMap((ids) => ids ?? []);
  }

  private inFlight(inviteId: string): boolean {
    for (const r of this.local.values()) if (r.inviteId === inviteId) return true;
    return false;
  }

  /**
   * Drops the id when the invite holds no reservation. A reserve of this process that starts
   * after the record was read is in `local` before it touches the index, so the check inside
   * the (serialized) index update sees it and keeps the id.
   */
  private async prune(inviteId: string): Promise<void> {
    if (this.inFlight(inviteId)) return;
    const invite = await this.repo.byId(inviteId);
    if (invite && Object.keys(invite.reservations).length > 0) return;
    await this.index.update(openKey(inviteId), (cur) => {
      if (!cur?.includes(inviteId) || this.inFlight(inviteId)) return cur;
      const rest = cur.filter((id) => id !== inviteId);
      return rest.length > 0 ? rest : undefined;
    });
  }

  /**
   * Settles every reservation that no live registration of this process owns (those of a
   * crashed process, or of this one when abandoned past RESERVATION_TTL_MS): complete when
   * the account exists, release when it does not. Needs the XMPP link; one run at a time.
   */
  recover(admin: AdminPort, api: Pick<InvitesApi, "complete" | "release">): Promise<RecoveryResult> {
    this.running ??= this.run(admin, api).finally(() => { this.running = undefined; });
    return this.running;
  }

  private async run(admin: AdminPort, api: Pick<InvitesApi, "complete" | "release">): Promise<RecoveryResult> {
    const result: RecoveryResult = { checked: 0, completed: 0, released: 0, failed: 0 };
    for (const id of await this.listed()) {
      const invite = await this.repo.byId(id);
      for (const [reservationId, r] of Object.entries(invite?.reservations ?? {})) {
        const mine = this.local.get(reservationId);
        if (mine && mine.at > this.now() - RESERVATION_TTL_MS) continue;
        result.checked++;
        const jid = `${r.username}@${invite!.host}`;
        let exists: boolean;
        try {
          // A reset's account exists anyway, and whether its password changed cannot be
          // asked: give the use back, so the holder can try again until the invite expires.
          exists = invite!.type === "reset" ? false : await admin.accountExists(jid);
        } catch (err) {
          // Without an answer nothing is decided; the next run (next connection) tries again.
          if (isModuleError(err) && err.status === 503) throw err;
          result.failed++;
          this.log.warn({ err, invite: id, jid }, "recovery could not check an account; the reservation stays open");
          continue;
        }
        try {
          await (exists ? api.complete : api.release)({ invite: invite!, reservationId });
          result[exists ? "completed" : "released"]++;
          this.log.info({ invite: id, jid, outcome: exists ? "completed" : "released" }, "recovered an interrupted registration");
        } catch (err) {
          // Settled meanwhile by its own registration: nothing left to do.
          if (!isModuleError(err, "invites.no_reservation")) throw err;
        }
      }
      await this.prune(id);
    }
    if (result.checked > 0) this.log.info({ ...result }, "reservation recovery done");
    return result;
  }
}
