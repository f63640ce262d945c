// Pre-activation holds: a username set aside for one person until their invite is used,
// revoked or expires. A hold is a record per host and username naming the invite; whether
// it still holds is read from that invite (so extending the invite extends the hold, and
// revoking it frees the name), and nothing else may register the name meanwhile.
import type { Store } from "../../core/types.js";
import type { Invite, InvitesApi } from "../invites/types.js";
import { errors } from "./errors.js";
import type { ExpiryIndex } from "./expiry.js";

export interface Hold { inviteId: string; host: string; username: string }

const keyOf = (host: string, username: string) => `${host}/${username}`;

/** A hold lasts while its invite can still create the account. */
export function holds(invite: Invite | undefined, now: number): invite is Invite {
  return !!invite && invite.revokedAt === null && invite.expiresAt > now && (invite.usesAllowed === null || invite.usesCompleted < invite.usesAllowed);
}

export class Holds {
  constructor(private readonly store: Store<Hold>, private readonly expiry: ExpiryIndex, private readonly invites: InvitesApi, private readonly now: () => number) {}

  /** The invite holding host/username, while it holds. */
  async holder(host: string, username: string): Promise<Invite | undefined> {
    const hold = await this.store.get(keyOf(host, username));
    if (!hold) return undefined;
    const invite = await this.invites.getById(hold.inviteId);
    return holds(invite, this.now()) ? invite : undefined;
  }

  /** Sets the name aside for this invite; refuses when another live pre-activation holds it. */
  async claim(invite: Invite): Promise<void> {
    const username = invite.username!;
    let held: Invite | undefined;
    await this.store.update(keyOf(invite.host, username), async (cur) => {
      held = undefined;
      if (cur && cur.inviteId !== invite.id) {
        const other = await this.invites.getById(cur.inviteId);
        if (holds(other, this.now())) { held = other; return cur; }
      }
      return { inviteId: invite.id, host: invite.host, username };
    });
    if (held) {
      throw errors.username_held(`The username ${username} on ${invite.host} is already set aside by the pre-activation ${held.id} (until ${new Date(held.expiresAt).toISOString()}); revoke that invite first`, { field: "username", invite: held.id });
    }
    await this.expiry.add(keyOf(invite.host, username), invite.expiresAt);
  }

  /** The hold's person has their account: the record goes (the account itself now holds the name). */
  async release(host: string, username: string, inviteId: string): Promise<void> {
    await this.store.update(keyOf(host, username), (cur) => (cur?.inviteId === inviteId ? undefined : cur));
  }

  /** Expiry sweep: a hold whose invite is gone or past its expiry goes; one extended since is listed again. */
  async expire(key: string, now: number): Promise<void> {
    const hold = await this.store.get(key);
    if (!hold) return;
    const invite = await this.invites.getById(hold.inviteId);
    if (invite && invite.expiresAt > now) return this.expiry.add(key, invite.expiresAt);
    await this.store.update(key, (cur) => (cur?.inviteId === hold.inviteId ? undefined : cur));
  }
}
