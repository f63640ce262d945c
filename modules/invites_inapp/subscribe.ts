// XEP-0379 (Pre-Authenticated Roster Subscription): a subscription request carrying a
// contact invite's token. The server module asks here before it approves the request and
// subscribes back; the use is spent by the invite's rules (uses allowed, expiry, revoke).
import type { Logger } from "../../core/types.js";
import { invitesErrors } from "../invites/index.js";
import type { InvitesApi } from "../invites/types.js";
import { errors } from "./errors.js";

export interface SubscriptionRequest {
  token: string;
  /** Bare JID the request is addressed to: it must be the invite's inviter. */
  inviter: string;
  /** Bare JID that asks to subscribe. */
  contact: string;
  /** The server (host) that asks. */
  host: string;
}

export async function acceptSubscription(invites: InvitesApi, log: Logger, req: SubscriptionRequest): Promise<void> {
  const v = await invites.validate(req.token);
  if (!v.ok) throw invitesErrors[v.reason]();
  const invite = v.invite;
  if (invite.type !== "contact" && invite.type !== "account_and_contact") throw errors.not_for_app("This invite is not a contact invite");
  if (invite.host !== req.host) throw errors.other_host(`This invite is for ${invite.host}, not ${req.host}`);
  const inviter = req.inviter.toLowerCase();
  if ((invite.inviter ?? "").toLowerCase() !== inviter) throw errors.not_for_app(`This invite is not from ${inviter}`);
  const contact = req.contact.toLowerCase();
  if (contact === inviter) throw errors.not_for_app("An invite cannot make its inviter their own contact");
  // The reservation names an account for crash recovery; a subscription creates none, so it
  // names the bound one or the inviter's (the use is completed right away).
  const reservation = await invites.reserve(req.token, invite.username ?? inviter.slice(0, inviter.indexOf("@")));
  await invites.complete(reservation);
  log.info({ invite: invite.id, inviter, contact }, "contact invite accepted through a subscription request");
}
