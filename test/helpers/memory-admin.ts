// An in-memory XMPP server behind the admin port, for module tests only (the integration
// tests run the real servers): accounts with passwords, a disabled flag, sessions, and the
// XEP-0133 commands it offers (adminCommands), so that a test chooses what the server can do.
import { adminErrors, type AdminPort, type Capability, type ServerCapabilities } from "../../core/admin.js";

export class MemoryAdmin implements AdminPort {
  accounts = new Map<string, string>();
  disabled = new Set<string>();
  /** Accounts with a session open; endSessions closes them. */
  online = new Set<string>();
  calls: string[] = [];
  connected = true;
  privileges = { roster: "both" };
  constructor(public adminCommands: string[] = ["add-user", "change-user-password", "delete-user", "end-user-session", "get-user-roster"]) {}

  get capabilities(): ServerCapabilities {
    const cap: Capability = { ok: true, via: "memory" };
    return { known: this.connected, hosts: this.connected ? { localhost: { host: "localhost", adminCommands: this.adminCommands, apiCommands: [], accounts: cap, passwordChange: cap, accountCheck: cap, contacts: cap } } : {} };
  }

  /** Whether `password` logs in as `jid` now (as a client would find out). */
  canLogIn(jid: string, password: string): boolean {
    return this.accounts.get(jid) === password && !this.disabled.has(jid);
  }

  private op(name: string, jid: string): void {
    this.calls.push(`${name} ${jid}`);
    if (!this.connected) throw adminErrors.not_connected();
  }
  private offered(command: string): void {
    if (!this.adminCommands.includes(command)) throw adminErrors.unsupported(`The XMPP server does not offer ${command}`);
  }
  private known(jid: string): void {
    if (!this.accounts.has(jid)) throw adminErrors.no_such_user();
  }

  async createAccount(jid: string, password: string) {
    this.op("create", jid);
    if (this.accounts.has(jid)) throw adminErrors.username_taken();
    this.accounts.set(jid, password);
  }
  async changePassword(jid: string, password: string) { this.op("password", jid); this.known(jid); this.accounts.set(jid, password); }
  async deleteAccount(jid: string) { this.op("delete", jid); this.accounts.delete(jid); }
  async disableAccount(jid: string) { this.op("disable", jid); this.offered("disable-user"); this.known(jid); this.disabled.add(jid); this.online.delete(jid); }
  async enableAccount(jid: string) { this.op("enable", jid); this.offered("reenable-user"); this.known(jid); this.disabled.delete(jid); }
  async endSessions(jid: string) { this.op("end-sessions", jid); this.offered("end-user-session"); this.known(jid); this.online.delete(jid); }
  async accountExists(jid: string) { this.op("exists", jid); return this.accounts.has(jid); }
  async getRoster() { return []; }
  async setRosterItem() {}
  async makeMutualContacts() { return { via: "memory" }; }
  async getProfile() { return { via: "none" }; }
}

/** Puts `admin` behind a test host, as its XMPP link. */
export function attach(host: { link: unknown }, admin: MemoryAdmin): void {
  host.link = { start: async () => {}, stop: async () => {}, get connected() { return admin.connected; }, lastError: undefined, admin };
}
