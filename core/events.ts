// A typed event bus with priorities (Prosody's module:hook / module:fire_event).
// Modules add their events by declaration merging:
//   declare module "../../core/events.js" { interface ModuleEvents { "invite-created": Invite } }

export interface ModuleEvents {
  /** The component link is (again) connected to the XMPP server: admin operations work. */
  "component-online": Record<string, never>;
  /** The link to the XMPP server was lost; it reconnects on its own (then component-online). */
  "component-offline": Record<string, never>;
}

type Handler = (payload: never) => unknown;
interface Entry { handler: Handler; priority: number; owner: string; seq: number }

export class EventBus {
  private readonly handlers = new Map<string, Entry[]>();
  private seq = 0;

  hook(owner: string, event: string, handler: Handler, priority = 0): void {
    const list = this.handlers.get(event) ?? [];
    list.push({ handler, priority, owner, seq: this.seq++ });
    // Highest priority first; equal priorities in the order they were hooked.
    list.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.handlers.set(event, list);
  }

  /** Runs every handler in order; the first one that throws stops the chain (a veto). */
  async fire(event: string, payload: unknown): Promise<void> {
    const list = this.handlers.get(event);
    if (!list) return;
    for (const entry of [...list]) await (entry.handler as (p: unknown) => unknown)(payload);
  }

  /** Removes every handler a module hooked (on unload). */
  unhookAll(owner: string): void {
    for (const [event, list] of this.handlers) this.handlers.set(event, list.filter((e) => e.owner !== owner));
  }
}
