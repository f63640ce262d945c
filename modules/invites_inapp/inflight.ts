// Registrations and resets the XMPP server is carrying out in-app: the flow's reserved use
// between the server's <register/> or <reset/> and its <done/>, under an id the server
// holds, with the server process (boot) holding it. A restarted server (another boot) can
// no longer finish them, so they are handed back to be settled from what the server says.
import { randomBytes } from "node:crypto";
import type { PendingRegistration, PendingReset } from "../invites_register/types.js";
import { errors } from "./errors.js";

export type Held = { kind: "register"; pending: PendingRegistration } | { kind: "reset"; pending: PendingReset };

interface Entry { held: Held; host: string; boot: string; at: number }

/** As the invite store's reservations (RESERVATION_TTL_MS): past this, crash recovery owns the use. */
export const IN_FLIGHT_TTL_MS = 15 * 60_000;

export class InFlight {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly max = 10_000, private readonly now: () => number = Date.now) {}

  /** Keeps `held` for `host`'s server process `boot`; returns the id the server sends back in <done/>. */
  add(host: string, boot: string, held: Held): string {
    this.sweep();
    if (this.entries.size >= this.max) throw errors.busy();
    const id = randomBytes(12).toString("base64url");
    this.entries.set(id, { held, host, boot, at: this.now() });
    return id;
  }

  /** Removes and returns what `id` holds, if `host` holds it. */
  take(id: string, host: string): Held | undefined {
    const e = this.entries.get(id);
    if (!e || e.host !== host) return undefined;
    this.entries.delete(id);
    return e.held;
  }

  /** Removes and returns what `host` held under another boot than `boot` (that process is gone). */
  orphans(host: string, boot: string): Held[] {
    const out: Held[] = [];
    for (const [id, e] of this.entries) {
      if (e.host === host && e.boot !== boot) { this.entries.delete(id); out.push(e.held); }
    }
    return out;
  }

  get size(): number { return this.entries.size; }

  /**
   * Drops entries past their time (their reservation stays in the store, where crash recovery
   * settles it). The map is in insertion order, so the oldest come first.
   */
  private sweep(): void {
    const cutoff = this.now() - IN_FLIGHT_TTL_MS;
    for (const [id, e] of this.entries) {
      if (e.at > cutoff) break;
      this.entries.delete(id);
    }
  }
}
