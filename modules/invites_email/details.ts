// How an invite's email shows in admin views: `email: queued | sent | failed (reason)`.
import type { InviteDetail } from "../invites/types.js";
import type { Delivery, DeliveryView } from "./types.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z"));

export function deliveryView(d: Delivery): DeliveryView {
  // "sending" is a claim inside the queue; for admins the message is still queued.
  const state = d.state === "sending" ? "queued" : d.state;
  return {
    state, to: d.to, attempts: d.attempts, last_error: d.lastError,
    next_attempt_at: state === "queued" ? iso(d.due) : null,
    sent_at: iso(d.sentAt),
  };
}

export function deliveryDetail(d: Delivery): InviteDetail {
  const v = deliveryView(d);
  const text = v.state === "sent" ? `sent (to ${v.to} at ${v.sent_at})`
    : v.state === "failed" ? `failed (${v.last_error ?? "unknown"}; to ${v.to})`
    : d.attempts === 0 ? `queued (to ${v.to})`
    : `queued (to ${v.to}; attempt ${d.attempts + 1} at ${v.next_attempt_at}; last: ${v.last_error ?? "?"})`;
  return { short: v.state, text, json: v };
}
