// Crash recovery for reservations. Registration reserves a use (recording the username),
// creates the account on the XMPP server, then completes the use. A process killed between
// those steps leaves a reservation nobody will settle, and it keeps holding its slot: a
// reservation holds its use until it is completed, released or settled here.
//
// Which reservations to settle is one query (repo.orphanedReservations): those handed over
// (a release made while the link was down), those whose instance stopped reporting in
// (core_instances: killed, or cut off), and those older than RESERVATION_TTL_MS (a
// registration hung long past every timeout). Each is settled by asking the XMPP server
// whether its account exists: completed if it does, released if not. A password reset
// cannot be checked that way (its account always exists), so an interrupted reset is
// released. When the server cannot tell (admin.unsupported, e.g. ejabberd 23.01 without
// mod_http_api), nothing is decided: the reservation keeps its slot, the invite lists it as
// pending, and an admin settles it with `invitectl invite settle` (README.md).
import type { AdminPort, Instances, Logger } from "../../core/types.js";
import { isModuleError } from "../../core/types.js";
import type { InviteRepo } from "./repo.js";
import type { InvitesApi } from "./types.js";
import { RESERVATION_TTL_MS } from "./validate.js";

export interface RecoveryResult { checked: number; completed: number; released: number; failed: number }

export class Recovery {
  private running: Promise<RecoveryResult> | undefined;
  private readonly warned = new Set<string>();

  constructor(
    private readonly repo: InviteRepo,
    private readonly instances: Instances,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Settles every reservation no live registration owns. Needs the XMPP link; one run at a time. */
  recover(admin: AdminPort, api: Pick<InvitesApi, "complete" | "release" | "getById">): Promise<RecoveryResult> {
    this.running ??= this.run(admin, api).finally(() => { this.running = undefined; });
    return this.running;
  }

  private async run(admin: AdminPort, api: Pick<InvitesApi, "complete" | "release" | "getById">): Promise<RecoveryResult> {
    const result: RecoveryResult = { checked: 0, completed: 0, released: 0, failed: 0 };
    const alive = await this.instances.alive();
    const before = this.now() - RESERVATION_TTL_MS;
    for (let after = ""; ;) {
      const batch = await this.repo.orphanedReservations(alive, before, after);
      for (const r of batch) {
        after = r.id;
        const invite = await api.getById(r.invite_id);
        if (!invite) continue;
        result.checked++;
        const jid = `${r.username}@${invite.host}`;
        let exists: boolean;
        try {
          // A reset's account exists anyway, and whether its password changed cannot be
          // asked: give the use back, so the holder can try again until the invite expires.
          exists = invite.type === "reset" ? false : await admin.accountExists(jid);
        } catch (err) {
          // Without an answer nothing is decided; the next run (next connection) tries again.
          if (isModuleError(err) && (err.status === 503 || err.code === "admin.not_connected")) throw err;
          result.failed++;
          if (!this.warned.has(r.id)) {
            this.warned.add(r.id);
            const hint = isModuleError(err, "admin.unsupported")
              ? `the XMPP server cannot say whether accounts exist, so the use stays reserved; once you know, run: invitectl invite settle ${invite.host} ${r.id} created|not-created`
              : "the reservation stays open for the next run";
            this.log.warn({ err, invite: invite.id, reservation: r.id, jid }, `recovery could not check an account: ${hint}`);
          }
          continue;
        }
        try {
          await (exists ? api.complete : api.release)({ invite, reservationId: r.id });
          result[exists ? "completed" : "released"]++;
          this.log.info({ invite: invite.id, jid, outcome: exists ? "completed" : "released" }, "recovered an interrupted registration");
        } catch (err) {
          // Settled meanwhile by its own registration: nothing left to do.
          if (!isModuleError(err, "invites.no_reservation")) throw err;
        }
      }
      if (batch.length < 200) break;
    }
    if (result.checked > 0) this.log.info({ ...result }, "reservation recovery done");
    return result;
  }
}
