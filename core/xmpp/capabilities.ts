// What the server can do for the component, learnt each time the link comes up: the
// XEP-0133 commands it offers us (disco#items of the host's commands node, XEP-0050 §2.2),
// its software (XEP-0092, else the disco#info identity), the XEP-0356 privileges it granted,
// mod_adhoc_api's commands (ejabberd 25.03+) and, when configured, whether ejabberd's HTTP API
// lets us in. From these, which mechanism each operation uses, or why none works and what
// would fix it. Operations never refuse on this alone: it picks backends and informs check.
import { randomBytes } from "node:crypto";
import xml, { type Element } from "@xmpp/xml";
import type { Logger } from "pino";
import type { Capability, HostCapabilities, ServerCapabilities } from "../admin.js";
import { NS_COMMANDS } from "./adhoc.js";
import type { EjabberdApi } from "./ejabberd-api.js";
import type { Advertised } from "./privileges.js";

export const NS_ADMIN = "http://jabber.org/protocol/admin";
const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
const NS_VERSION = "jabber:iq:version";
/** mod_adhoc_api's command nodes: api-commands/<name>. */
export const API_COMMAND = "api-commands/";

interface Found {
  software?: { name: string; version?: string };
  adminCommands: string[];
  apiCommands: string[];
  ejabberdApi?: Capability;
}

export interface TrackerDeps {
  hosts: readonly string[];
  componentJid: string;
  request(iq: Element): Promise<Element>;
  privilegesFor(host: string): Advertised | undefined;
  api: EjabberdApi | undefined;
  log: Logger;
}

export class CapabilityTracker {
  private found = new Map<string, Found>();
  private known = false;
  private running: Promise<void> | undefined;
  private generation = 0;

  constructor(private readonly deps: TrackerDeps) {}

  /** Asks the server again (on every new connection); never throws. */
  discover(): Promise<void> {
    const gen = ++this.generation;
    this.known = false;
    const run = (async () => {
      const results = await Promise.all(this.deps.hosts.map((h) => this.discoverHost(h)));
      if (gen !== this.generation) return; // the link went down meanwhile
      this.found = new Map(this.deps.hosts.map((h, i) => [h, results[i]!]));
      this.known = true;
      for (const h of this.deps.hosts) {
        const c = this.forHost(h);
        this.deps.log.info({ host: h, software: c.software, adminCommands: c.adminCommands, apiCommands: c.apiCommands,
          accounts: c.accounts.ok, accountCheck: c.accountCheck.ok ? c.accountCheck.via : false, contacts: c.contacts.ok ? c.contacts.via : false }, "server capabilities");
        for (const [what, cap] of [["contacts", c.contacts], ["account check", c.accountCheck], ["accounts", c.accounts]] as const) {
          if (!cap.ok) this.deps.log.warn({ host: h, why: cap.why, fix: cap.fix }, `the server offers no ${what} mechanism to the component`);
        }
      }
    })();
    this.running = run;
    return run;
  }

  /** Forgets what was learnt (the link is down). */
  reset(): void {
    this.generation++;
    this.known = false;
    this.found.clear();
    this.running = undefined;
  }

  /** Resolves once the discovery of this connection is done (at once when none is running). */
  async ready(): Promise<void> {
    if (!this.known && this.running) await this.running;
  }

  get isKnown(): boolean { return this.known; }

  snapshot(): ServerCapabilities {
    const hosts: Record<string, HostCapabilities> = {};
    if (this.known) for (const h of this.deps.hosts) hosts[h] = this.forHost(h);
    return { known: this.known, hosts };
  }

  forHost(host: string): HostCapabilities {
    return assess(host, this.found.get(host) ?? { adminCommands: [], apiCommands: [] }, this.deps.privilegesFor(host), this.deps.componentJid);
  }

  private async discoverHost(host: string): Promise<Found> {
    const ask = (el: Element) => this.deps.request(xml("iq", { type: "get", to: host }, el)).then((r) => r, () => undefined);
    const [info, version, items] = await Promise.all([
      ask(xml("query", { xmlns: NS_DISCO_INFO })),
      ask(xml("query", { xmlns: NS_VERSION })),
      ask(xml("query", { xmlns: NS_DISCO_ITEMS, node: NS_COMMANDS })),
    ]);
    const found: Found = { adminCommands: [], apiCommands: [] };
    const v = version?.getChild("query", NS_VERSION);
    const identity = info?.getChild("query", NS_DISCO_INFO)?.getChildren("identity").find((i) => i.attrs.category === "server");
    if (v?.getChildText("name")) found.software = { name: v.getChildText("name")!, ...(v.getChildText("version") ? { version: v.getChildText("version")! } : {}) };
    else if (identity?.attrs.name) found.software = { name: String(identity.attrs.name) };
    for (const item of items?.getChild("query", NS_DISCO_ITEMS)?.getChildren("item") ?? []) {
      const node = String(item.attrs.node ?? "");
      if (node.startsWith(`${NS_ADMIN}#`)) found.adminCommands.push(node.slice(NS_ADMIN.length + 1));
      else if (node.startsWith(API_COMMAND)) found.apiCommands.push(node.slice(API_COMMAND.length));
    }
    const api = this.deps.api;
    if (api) {
      if (isEjabberd(found)) api.useVersion(found.software?.version);
      // A name that cannot exist: check_account and get_roster only read.
      const probe = `xmpp-invites-check-${randomBytes(6).toString("hex")}`;
      try {
        await api.accountExists(probe, host);
        await api.roster(probe, host);
        found.ejabberdApi = { ok: true, via: `ejabberd HTTP API at ${api.url}` };
      } catch (e) {
        found.ejabberdApi = { ok: false, via: `ejabberd HTTP API at ${api.url}`, why: (e as Error).message, fix: API_FIX };
      }
    }
    return found;
  }
}

const isEjabberd = (f: Found) => /ejabberd/i.test(f.software?.name ?? "");

const API_FIX = "in config.yml: ejabberd_api: { url: http://127.0.0.1:5280/api, user: invites-api@example.org, password: ... }; in ejabberd.yml: an ejabberd_http listener with request_handlers: { /api: mod_http_api }, mod_admin_extra, and api_permissions letting that account run check_account, add_rosteritem and get_roster (docs/server-setup.md)";

/** Which mechanism each operation uses on this host, or why none works. */
export function assess(host: string, f: Found, priv: Advertised | undefined, componentJid: string): HostCapabilities {
  const ejabberd = isEjabberd(f);
  const has = (name: string) => f.adminCommands.includes(name);
  const api = (name: string) => f.apiCommands.includes(name);
  const adminFix = ejabberd
    ? `in ejabberd.yml: an acl for server ${componentJid} and, under host_config for ${host}, access_rules: configure: allow: that acl (docs/server-setup.md)`
    : `in prosody.cfg.lua: admins = { "${componentJid}" } and "admin_adhoc" in modules_enabled`;
  const command = (name: string): Capability => has(name)
    ? { ok: true, via: `XEP-0133 ${name}` }
    : { ok: false, via: `XEP-0133 ${name}`, why: `the server does not offer the component the ${name} command`, fix: adminFix };

  let accountCheck: Capability;
  if (has("get-user-roster")) accountCheck = { ok: true, via: "XEP-0133 get-user-roster" };
  else if (api("check_account")) accountCheck = { ok: true, via: "ejabberd check_account (mod_adhoc_api)" };
  else if (f.ejabberdApi?.ok) accountCheck = { ok: true, via: "ejabberd check_account (mod_http_api)" };
  else {
    accountCheck = {
      ok: false, via: "XEP-0133 get-user-roster",
      why: f.ejabberdApi ? `the server offers no command that says whether an account exists, and ${f.ejabberdApi.why}` : ejabberd
        ? "this ejabberd offers no command that says whether an account exists (XEP-0133 get-user-roster came in 25.10)"
        : "the server does not offer the component XEP-0133 get-user-roster",
      fix: ejabberd ? API_FIX : adminFix,
    };
  }

  let contacts: Capability;
  const roster = priv?.perms["roster"] ?? "none";
  if (ejabberd) {
    // ejabberd's privileged roster set is handled as a client's (the subscription is
    // ignored; 23.01 fails it outright), so it cannot make mutual contacts: its own
    // add_rosteritem can.
    const bug = /^23\.0[1-4]/.test(f.software?.version ?? "") ? "ejabberd 23.01 fails privileged roster sets (XEP-0356)" : "ejabberd's privileged roster set (XEP-0356) ignores the subscription";
    if (api("add_rosteritem") && api("get_roster")) contacts = { ok: true, via: "ejabberd add_rosteritem (mod_adhoc_api)" };
    else if (f.ejabberdApi?.ok) contacts = { ok: true, via: "ejabberd add_rosteritem (mod_http_api)" };
    else contacts = { ok: false, via: "ejabberd add_rosteritem", why: f.ejabberdApi ? `${bug}, and ${f.ejabberdApi.why}` : `${bug}, and no ejabberd API is configured`, fix: API_FIX };
  } else if (roster === "both") {
    contacts = { ok: true, via: `XEP-0356 roster set (${priv!.namespace})` };
  } else {
    contacts = {
      ok: false, via: "XEP-0356 roster set",
      why: roster === "none" ? "the server did not grant the component the XEP-0356 roster privilege" : `the server granted roster "${roster}", but contacts need "both" (set, then get to read them back)`,
      fix: `in prosody.cfg.lua: privileged_entities = { ["${componentJid}"] = { roster = "both" } } on the VirtualHost, and modules_enabled = { "privilege" } in the Component section`,
    };
  }

  return {
    host,
    ...(f.software ? { software: f.software } : {}),
    adminCommands: [...f.adminCommands],
    apiCommands: [...f.apiCommands],
    ...(priv ? { privilege: { namespace: priv.namespace, perms: { ...priv.perms }, ...(Object.keys(priv.iq ?? {}).length ? { iq: { ...priv.iq } } : {}) } } : {}),
    ...(f.ejabberdApi ? { ejabberdApi: f.ejabberdApi } : {}),
    accounts: command("add-user"),
    passwordChange: command("change-user-password"),
    accountCheck,
    contacts,
  };
}
