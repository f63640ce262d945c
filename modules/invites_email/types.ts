// The public side of invites_email: what mod.depends("invites_email") returns, the
// delivery state other modules may show, and the event that lets them add to a message.
import type { Invite } from "../invites/types.js";
import type { Lang } from "../../web/i18n.js";

/** queued (waiting, or between attempts), sending (claimed by a process), sent, failed (given up). */
export type DeliveryState = "queued" | "sending" | "sent" | "failed";

/** One invite's email, as the queue keeps it (keyed by the invite's id). */
export interface Delivery {
  inviteId: string;
  to: string;
  state: DeliveryState;
  /** Bumped by each resend, so that an attempt of an older round cannot overwrite the new one. */
  gen: number;
  /** Attempts in this round. */
  attempts: number;
  /** When the next attempt may start (epoch ms). */
  due: number;
  /** The time bucket that lists it (queue.ts); always the bucket of `due`, or a later one. */
  bucket: number;
  /** Who is sending it now, until when (another process takes over after that). */
  lease: { owner: string; claim: string; until: number } | null;
  /** Why the last attempt failed, or why it was given up. */
  lastError: string | null;
  queuedAt: number;
  sentAt: number | null;
  /** Kept until then (the invite's expiry and a week), for `invite show` and a late resend. */
  keepUntil: number;
  /** The invite link, sealed (seal.ts): the store never holds a usable token. Null once the invite is spent. */
  sealed: string | null;
}

/** The delivery state as admin views show it (invitectl, the JSON API). */
export interface DeliveryView {
  state: "queued" | "sent" | "failed";
  to: string;
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  sent_at: string | null;
}

/** Payload of email-composing: handlers may change `next`, the "what happens next" paragraphs. */
export interface EmailComposingEvent {
  invite: Invite;
  lang: Lang;
  /** Plain-text paragraphs (escaped for the HTML part). A greeted invite says here who will greet the newcomer, and when. */
  next: string[];
}

declare module "../../core/events.js" {
  interface ModuleEvents {
    /** A message is being written (at send time): handlers may add to what happens next. */
    "email-composing": EmailComposingEvent;
  }
}

/** One pass over the queue: what it did. */
export interface QueuePass { sent: number; retried: number; failed: number }

export interface InvitesEmailApi {
  /** The delivery of each invite (undefined: no email for it). */
  deliveries(inviteIds: string[]): Promise<(Delivery | undefined)[]>;
  /** Queues the invite's email again (a new round of attempts), e.g. after a bounce. */
  resend(inviteId: string): Promise<Delivery>;
  /** Runs one pass over the queue now (after any pass in progress); the server also runs it on a timer. */
  runQueue(): Promise<QueuePass>;
  /** Forgets delivery records and holds of invites long expired (the server runs it hourly); returns how many it looked at. */
  sweep(): Promise<number>;
  /** Whether a live pre-activation holds this username (host, canonical username), and for which invite. */
  heldBy(host: string, username: string): Promise<string | undefined>;
}
