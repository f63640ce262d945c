// The registration events (any module may hook them) and what this module records.
import type { Invite } from "../invites/types.js";

/** Payload of user-registering (a handler vetoes by throwing a ModuleError; its message is shown) and user-registered. */
export interface RegistrationEvent {
  invite: Invite;
  reservationId: string;
  username: string;
  host: string;
  /** Bare JID of the new account. */
  jid: string;
  /** Client address as the HTTP layer sees it (after trust_proxy). */
  ip: string | undefined;
  /** Where the registration came from, e.g. "web". */
  source: string;
}

export interface UserRegisteredEvent extends RegistrationEvent {
  /** Bare JIDs that handlers made mutual contacts of the new user (filled by handlers). */
  contacts: string[];
  /** Bare JIDs that should have become mutual contacts but could not (filled by handlers). */
  contactsMissing: string[];
}

declare module "../../core/events.js" {
  interface ModuleEvents {
    "user-registering": RegistrationEvent;
    "user-registered": UserRegisteredEvent;
  }
}

/** Kept per account created through an invite (roles and groups the invite carried). */
export interface AccountRecord {
  jid: string;
  inviteId: string;
  inviter: string | null;
  roles: string[];
  groups: string[];
  source: string;
  registeredAt: number;
}

export interface InvitesRegisterApi {
  /** What the invite that created this account granted, if it was created here. */
  account(jid: string): Promise<AccountRecord | undefined>;
}
