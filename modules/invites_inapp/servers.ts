// Which hosts' XMPP servers have announced the server module on the current link. Kept in
// the process that holds the link, and forgotten when the link drops: the server module
// announces itself again when the component reconnects (and when it is loaded).
import type { ServerModule } from "./types.js";

export class Servers {
  private readonly byHost = new Map<string, ServerModule>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Records an announcement; returns the boot the host announced before on this link, if any. */
  announce(host: string, boot: string, version: string): string | undefined {
    const before = this.byHost.get(host)?.boot;
    this.byHost.set(host, { host, boot, version, since: this.now() });
    return before;
  }

  withdraw(host: string): void { this.byHost.delete(host); }
  clear(): void { this.byHost.clear(); }
  available(host: string): boolean { return this.byHost.has(host.toLowerCase()); }
  list(): ServerModule[] { return [...this.byHost.values()]; }
}
