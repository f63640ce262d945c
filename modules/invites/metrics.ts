// The invites' counters (docs/metrics.md), from this module's own events: created once every
// invite-created handler has accepted it, used when a use is spent, revoked; expired when the
// sweep removes an invite that ended by expiring (sweep runs in every process, but only one
// removes a given invite, so it is counted once).
import type { ModuleContext } from "../../core/types.js";
import type { Invite } from "./types.js";
import "./events.js";

/** A source as a label: "api/key/<id>" stays (key ids are public, and few); "adhoc/<jid>" becomes "adhoc". */
export function sourceLabel(source: string): string {
  return source.startsWith("api/key/") ? source.slice(0, 8 + 12) : source.split("/")[0] ?? source;
}

const labels = (i: Pick<Invite, "host" | "type" | "source">) => ({ host: i.host, type: i.type, source: sourceLabel(i.source) });

export function countInvites(mod: Pick<ModuleContext, "metrics" | "hook">): { expired(invite: Pick<Invite, "host" | "type" | "source">): void } {
  const names = ["host", "type", "source"];
  const created = mod.metrics.counter("invites_created_total", "Invites created, by host, type and source", names);
  const used = mod.metrics.counter("invites_used_total", "Invite uses spent (the account exists, or the password was reset), by host, type and source", names);
  const revoked = mod.metrics.counter("invites_revoked_total", "Invites revoked, by host, type and source", names);
  const expired = mod.metrics.counter("invites_expired_total", "Invites that expired before they were used up or revoked, counted when the sweep removes them (invite_retention after expiry)", names);
  // Lowest priority: runs after every other handler accepted the invite (one may veto).
  mod.hook("invite-created", ({ created: c }) => { created.inc(labels(c.invite)); }, -1_000_000);
  mod.hook("invite-used", ({ invite }) => { used.inc(labels(invite)); });
  mod.hook("invite-revoked", ({ invite }) => { revoked.inc(labels(invite)); });
  return { expired: (invite) => expired.inc(labels(invite)) };
}
