// user-registered handlers: the inviter and the new user become mutual contacts (XEP-0356
// roster pushes on both rosters), and the invite's roles and groups are recorded.
import type { AdminPort } from "../../core/types.js";
import { isModuleError } from "../../core/types.js";
import type { Logger, Store } from "../../core/types.js";
import type { AccountRecord, UserRegisteredEvent } from "./types.js";

/** Subscription "both" on both rosters; a failure is logged, the account stays. */
export async function makeMutualContacts(admin: AdminPort, log: Logger, ev: UserRegisteredEvent, names: { inviter: string; user: string }): Promise<void> {
  const inviter = ev.invite.inviter;
  if (!inviter || (ev.invite.type !== "contact" && ev.invite.type !== "account_and_contact")) return;
  try {
    await admin.setRosterItem(inviter, { jid: ev.jid, name: names.user, subscription: "both", groups: [] });
    await admin.setRosterItem(ev.jid, { jid: inviter, name: names.inviter, subscription: "both", groups: [] });
    ev.contacts.push(inviter);
  } catch (err) {
    // e.g. admin.privilege_missing (no XEP-0356 roster permission), or a server whose
    // privileged roster set fails: the account is fine, only the contact link is missing.
    log.warn({ err, code: isModuleError(err) ? err.code : undefined, inviter, jid: ev.jid },
      "account created, but the inviter and the new user could not be made mutual contacts");
  }
}

export async function recordAccount(store: Store<AccountRecord>, ev: UserRegisteredEvent, now = Date.now()): Promise<void> {
  await store.set(ev.jid, {
    jid: ev.jid, inviteId: ev.invite.id, inviter: ev.invite.inviter, roles: [...ev.invite.roles], groups: [...ev.invite.groups],
    source: ev.source, registeredAt: now,
  });
}
