// The events this module fires, added to the host's typed bus by declaration merging.
import type { InviteCreatedEvent, InviteDetailsEvent, InviteEvent, InviteReservationEvent } from "./types.js";

declare module "../../core/events.js" {
  interface ModuleEvents {
    /** After the invite is stored; handlers may set created.landingUrl / shortUrl, or throw to veto (the invite is deleted). */
    "invite-created": InviteCreatedEvent;
    /** A use was taken as pending (registration starting). */
    "invite-reserved": InviteReservationEvent;
    /** The account exists: the use is spent. */
    "invite-used": InviteReservationEvent;
    /** Registration failed: the pending use was given back. */
    "invite-released": InviteReservationEvent;
    "invite-revoked": InviteEvent;
    /** New expiry and/or un-revoked. */
    "invite-extended": InviteEvent;
    /** The ctl lists or shows invites: handlers add their details (modules/invites/types.ts). */
    "invite-details": InviteDetailsEvent;
  }
}

export {};
