// ejabberd's own commands over its HTTP API (mod_http_api, config key ejabberd_api): the
// contact backend and the account check on ejabberd, whose XEP-0356 roster set cannot make
// mutual contacts (23.01 fails it; later versions ignore the subscription).
// https://docs.ejabberd.im/developer/ejabberd-api/admin-api/
import { adminErrors, type RosterItem, type Subscription } from "../admin.js";

export interface EjabberdApiConfig {
  /** e.g. http://127.0.0.1:5280/api (an ejabberd_http listener with request_handlers /api: mod_http_api). */
  url: string;
  /** HTTP Basic credentials: an ejabberd account that api_permissions lets run the commands. */
  user?: string;
  password?: string;
}

const SUBSCRIPTIONS: readonly Subscription[] = ["none", "to", "from", "both"];

interface Answer { status: number; body: unknown; text: string }

export class EjabberdApi {
  /** Roster groups as "group" (API version 0, up to 23.10) or "groups" (version 1, 24.02 and later). */
  private groupsArg: "group" | "groups" | undefined;

  constructor(private readonly cfg: EjabberdApiConfig, private readonly timeoutMs: number) {}

  get url(): string { return this.cfg.url; }

  /** Picks the roster-group argument from the server's version (XEP-0092), when known. */
  useVersion(version: string | undefined): void {
    const m = /^(\d+)\.(\d+)/.exec(version ?? "");
    if (!m) return;
    this.groupsArg = Number(m[1]) * 100 + Number(m[2]) >= 2402 ? "groups" : "group";
  }

  /** check_account: answers 0 when the account exists, 1 when it does not. */
  async accountExists(user: string, host: string): Promise<boolean> {
    const a = await this.ok("check_account", { user, host });
    if (a.body === 0) return true;
    if (a.body === 1) return false;
    throw adminErrors.refused(`ejabberd's check_account answered ${a.text.slice(0, 200)}, not 0 or 1`);
  }

  async roster(user: string, host: string): Promise<RosterItem[]> {
    const a = await this.ok("get_roster", { user, host });
    if (!Array.isArray(a.body)) throw adminErrors.refused(`ejabberd's get_roster answered ${a.text.slice(0, 200)}, not a list`);
    return a.body.map((raw) => {
      const c = raw as Record<string, unknown>;
      const sub = String(c["subscription"] ?? "none") as Subscription;
      // Version 0 gives "group" (one string, ";"-separated), version 1 and later "groups".
      const groups = Array.isArray(c["groups"]) ? c["groups"].map(String) : String(c["group"] ?? "").split(";").filter(Boolean);
      return { jid: String(c["jid"]), ...(c["nick"] ? { name: String(c["nick"]) } : {}), subscription: SUBSCRIPTIONS.includes(sub) ? sub : "none", groups };
    });
  }

  /** add_rosteritem: puts `contact` on `owner`'s roster with subscription both (it answers 0 even for a bad subscription: read the roster back). */
  async addContact(owner: { user: string; host: string }, contact: { user: string; host: string; name: string }): Promise<void> {
    const args = { localuser: owner.user, localhost: owner.host, user: contact.user, host: contact.host, nick: contact.name, subs: "both" };
    const first = this.groupsArg ?? "group";
    let a = await this.call("add_rosteritem", { ...args, ...(first === "group" ? { group: "" } : { groups: [] }) });
    if (a.status === 400 && /argument/i.test(a.text)) {
      // The other API version: remember what worked.
      const other = first === "group" ? "groups" : "group";
      a = await this.call("add_rosteritem", { ...args, ...(other === "group" ? { group: "" } : { groups: [] }) });
      if (a.status === 200) this.groupsArg = other;
    } else if (a.status === 200) this.groupsArg = first;
    this.check("add_rosteritem", a);
    if (a.body !== 0) throw adminErrors.refused(`ejabberd's add_rosteritem failed (answered ${a.text.slice(0, 200)})`);
  }

  private async ok(command: string, args: Record<string, unknown>): Promise<Answer> {
    const a = await this.call(command, args);
    this.check(command, a);
    return a;
  }

  /** Maps a non-200 answer to an admin.* error that names the cause and the fix. */
  private check(command: string, a: Answer): void {
    if (a.status === 200) return;
    const message = typeof a.body === "object" && a.body && "message" in a.body ? String((a.body as { message: unknown }).message) : a.text.slice(0, 200);
    const who = this.cfg.user ? `the account ${this.cfg.user}` : "requests from this address";
    if (a.status === 401) throw adminErrors.refused(`ejabberd's HTTP API refused the credentials in ejabberd_api (${message}); check ejabberd_api.user and ejabberd_api.password`);
    if (a.status === 403) throw adminErrors.refused(`ejabberd's api_permissions do not let ${who} run ${command} (${message}); add ${command} to the "what" list of the api_permissions entry for mod_http_api`);
    if (a.status === 404 || /unknown_command/.test(message)) throw adminErrors.unsupported(`ejabberd's HTTP API at ${this.cfg.url} has no ${command} (${message}); enable mod_admin_extra and check ejabberd_api.url`);
    throw adminErrors.refused(`ejabberd's ${command} answered HTTP ${a.status}: ${message}`);
  }

  private async call(command: string, args: Record<string, unknown>): Promise<Answer> {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (this.cfg.user !== undefined) headers["authorization"] = `Basic ${Buffer.from(`${this.cfg.user}:${this.cfg.password ?? ""}`).toString("base64")}`;
    let res: Response;
    try {
      res = await fetch(`${this.cfg.url.replace(/\/+$/, "")}/${command}`, {
        method: "POST", headers, body: JSON.stringify(args), redirect: "error", signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      if (err.name === "TimeoutError") throw adminErrors.timeout(`ejabberd's HTTP API at ${this.cfg.url} did not answer ${command} in time`);
      throw adminErrors.not_connected(`ejabberd's HTTP API at ${this.cfg.url} is not reachable (${err.cause?.code ?? err.message}); check ejabberd_api.url`);
    }
    const text = await res.text();
    let body: unknown = text;
    try { body = JSON.parse(text); } catch { /* a bare word such as "unknown_command" */ }
    return { status: res.status, body, text };
  }
}
