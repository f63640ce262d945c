// user-registered handlers: the inviter and the new user become mutual contacts (through
// the server's contact backend, see docs/admin-port.md), and the invite's roles and groups
// are recorded.
import type { AdminPort } from "../../core/types.js";
import { isModuleError } from "../../core/types.js";
import type { Logger, Store } from "../../core/types.js";
import type { AccountRecord, UserRegisteredEvent } from "./types.js";

/**
 * Subscription "both" on both rosters, through whichever contact backend the server has
 * (the admin port picks it and reads the rosters back). A failure is logged with its cause
 * and recorded in ev.contactsMissing, so that the success page can say so; the account stays.
 */
export async function makeMutualContacts(admin: AdminPort, log: Logger, ev: UserRegisteredEvent, names: { inviter: string; user: string }): Promise<void> {
  const inviter = ev.invite.inviter;
  if (!inviter || (ev.invite.type !== "contact" && ev.invite.type !== "account_and_contact")) return;
  try {
    const { via } = await admin.makeMutualContacts({ jid: inviter, name: names.inviter }, { jid: ev.jid, name: names.user });
    ev.contacts.push(inviter);
    log.info({ inviter, jid: ev.jid, via }, "inviter and new user are mutual contacts");
  } catch (err) {
    ev.contactsMissing.push(inviter);
    log.warn({ err, code: isModuleError(err) ? err.code : undefined, why: (err as Error).message, inviter, jid: ev.jid },
      "account created, but the inviter and the new user could not be made mutual contacts");
  }
}

export async function recordAccount(store: Store<AccountRecord>, ev: UserRegisteredEvent, now = Date.now()): Promise<void> {
  await store.set(ev.jid, {
    jid: ev.jid, inviteId: ev.invite.id, inviter: ev.invite.inviter, inviteSource: ev.invite.source, roles: [...ev.roles], groups: [...ev.invite.groups],
    source: ev.source, registeredAt: now,
  });
}
