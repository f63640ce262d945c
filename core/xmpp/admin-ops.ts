// The AdminPort over the component link: XEP-0133 commands, XEP-0356 roster access, and
// the backends the server's capabilities pick (ejabberd's own commands, through its HTTP
// API or mod_adhoc_api). Every server-specific answer (Prosody's notes, ejabberd's bare
// "completed", its crash answers, its roster-set bugs) is interpreted here and in the
// files this one uses, nowhere else. See docs/admin-port.md.
import xml, { type Element } from "@xmpp/xml";
import { adminErrors, type AdminPort, type ContactSpec, type HostCapabilities, type RosterItem, type ServerCapabilities, type Subscription } from "../admin.js";
import { coreErrors } from "../errors.js";
import { AdhocApi } from "./adhoc-api.js";
import { NS_ADMIN } from "./capabilities.js";
import { CommandStepError, RemoteStanzaError, runCommand, type CommandResult, type Note } from "./command-client.js";
import type { EjabberdApi } from "./ejabberd-api.js";
import { domainOf, localOf } from "./jid.js";
import { illegalXmlChar } from "./xml-chars.js";
import { fetchProfile } from "./profile.js";

export { RemoteStanzaError } from "./command-client.js";

const NS_ROSTER = "jabber:iq:roster";
const SUBSCRIPTIONS: readonly Subscription[] = ["none", "to", "from", "both", "remove"];

export interface AdminTransport {
  readonly connected: boolean;
  /** Sends an iq; resolves with the result, rejects with RemoteStanzaError or an admin.* ModuleError. */
  request(iq: Element): Promise<Element>;
  /** XEP-0356 perms the server of `domain` advertised on this connection. */
  privilegesFor(domain: string): Readonly<Record<string, string>>;
  /** XEP-0356 iq privileges (namespace -> type) of `domain` on this connection. */
  iqPrivilegesFor?(domain: string): Readonly<Record<string, string>>;
  readonly privileges: Readonly<Record<string, string>>;
  readonly hosts: readonly string[];
  /** What the server can do (core/xmpp/capabilities.ts); without it, XEP-0133 and XEP-0356 are assumed. */
  readonly capabilities?: {
    ready(): Promise<void>;
    readonly isKnown: boolean;
    snapshot(): ServerCapabilities;
    forHost(host: string): HostCapabilities;
  };
  /** ejabberd's HTTP API, when ejabberd_api is configured. */
  readonly ejabberdApi?: EjabberdApi;
}

type Backend = "xep-0133" | "xep-0356" | "http-api" | "adhoc-api";

/** The account-check mechanism of a host, in the order capabilities.ts describes it. */
export function accountCheckBackend(c: HostCapabilities): Backend | undefined {
  if (c.adminCommands.includes("get-user-roster")) return "xep-0133";
  if (c.apiCommands.includes("check_account")) return "adhoc-api";
  if (c.ejabberdApi?.ok) return "http-api";
  return undefined;
}

/** The contact backend of a host (see assess() in capabilities.ts for why). */
export function contactsBackend(c: HostCapabilities): Backend | undefined {
  if (!c.contacts.ok) return undefined;
  if (c.apiCommands.includes("add_rosteritem") && c.apiCommands.includes("get_roster")) return "adhoc-api";
  if (/ejabberd/i.test(c.software?.name ?? "")) return c.ejabberdApi?.ok ? "http-api" : undefined;
  return "xep-0356";
}

const UNKNOWN: ServerCapabilities = Object.freeze({ known: false, hosts: Object.freeze({}) });

export function createAdminPort(t: AdminTransport): AdminPort {
  const adhocApi = new AdhocApi((iq) => t.request(iq));

  /** Checks that `jid` names an account on a served domain; returns it bare. */
  function account(jid: string): string {
    const domain = domainOf(jid);
    if (jid.includes("/") || !localOf(jid) || !t.hosts.includes(domain)) {
      throw coreErrors.bad_request(`Not an account on a served domain (${t.hosts.join(", ")}): ${JSON.stringify(jid)}`);
    }
    return jid.toLowerCase();
  }

  /** The host's capabilities once this connection's discovery is done; undefined when unknown. */
  async function known(host: string): Promise<HostCapabilities | undefined> {
    if (!t.capabilities) return undefined;
    await t.capabilities.ready();
    return t.capabilities.isKnown ? t.capabilities.forHost(host) : undefined;
  }

  /** XEP-0133 §4: execute the command, then submit its form with our values. */
  function adminCommand(domain: string, name: string, values: Record<string, string | string[]>): Promise<CommandResult> {
    return runCommand((iq) => t.request(iq), domain, `${NS_ADMIN}#${name}`, () => ({ FORM_TYPE: NS_ADMIN, ...values }));
  }

  /**
   * Maps a refusal by the step that drew it. At execute, the command is not offered (or not to
   * the component); at complete, it ran and refused: `atComplete` maps that per operation.
   */
  function refusal(e: unknown, what: string, atComplete?: (e: CommandStepError) => never | void): never {
    if (e instanceof CommandStepError) {
      const { condition, text } = e.remote;
      const said = text ? `${condition}: ${text}` : condition;
      if (e.step === "execute") {
        if (condition === "forbidden" || condition === "not-authorized") {
          throw adminErrors.refused(`The XMPP server does not let the component run ${what} (${said}): make the component JID a server admin for XEP-0133 (docs/server-setup.md)`);
        }
        if (condition === "item-not-found" || condition === "service-unavailable" || condition === "feature-not-implemented") {
          throw adminErrors.unsupported(`The XMPP server does not offer ${what} (XEP-0133; ${said}); enable its admin ad-hoc commands`);
        }
      } else {
        atComplete?.(e);
        if (condition === "forbidden" || condition === "not-authorized") throw adminErrors.refused(`The XMPP server refused ${what} (${said})`);
      }
      throw adminErrors.refused(`The XMPP server refused ${what} at the ${e.step} step (${said})`);
    }
    throw e;
  }

  /** disable-user / reenable-user (XEP-0133 §4.3, §4.4): one jid-multi field, accountjids. */
  async function accountsCommand(acct: string, name: "disable-user" | "reenable-user"): Promise<void> {
    let res: CommandResult;
    try {
      res = await adminCommand(domainOf(acct), name, { accountjids: [acct] });
    } catch (e) {
      refusal(e, name, (s) => {
        // ejabberd checks that the account exists by crashing when it does not (as for delete-user).
        if (s.condition === "item-not-found") throw adminErrors.no_such_user(`There is no account ${acct} (the XMPP server answered ${name} with ${s.remote.message})`);
      });
    }
    const err = errorNote(res.notes);
    if (err) {
      if (/not exist|no such|unknown/i.test(err.text)) throw adminErrors.no_such_user(`There is no account ${acct}`);
      throw adminErrors.refused(`The XMPP server refused ${name}: ${err.text}`);
    }
    if (res.status === "canceled") throw adminErrors.refused(`The XMPP server cancelled ${name}`);
  }

  async function rosterRequest(userJid: string, type: "get" | "set", item?: RosterItem): Promise<Element> {
    const user = account(userJid);
    const perm = t.privilegesFor(domainOf(user)).roster ?? "none";
    const needed = type === "get" ? ["get", "both"] : ["set", "both"];
    if (!needed.includes(perm)) {
      throw adminErrors.privilege_missing(`The XMPP server did not grant the component roster "${type}" (XEP-0356; granted: ${perm}); configure privileged_entities (Prosody) or mod_privilege (ejabberd)`);
    }
    const query = xml("query", { xmlns: NS_ROSTER });
    if (item) query.cnode(itemToXml(item));
    try {
      // XEP-0356 §5: the component addresses the user's bare JID directly.
      return await t.request(xml("iq", { type, to: user }, query));
    } catch (e) {
      if (e instanceof RemoteStanzaError) {
        if (e.condition === "forbidden" || e.condition === "not-authorized") {
          throw adminErrors.privilege_missing(`The XMPP server refused the XEP-0356 roster ${type} (${e.condition}); check that the privilege module is enabled for the component too`);
        }
        // RFC 6121 §8.5.1: an IQ to the bare JID of an account that does not exist.
        if (e.condition === "service-unavailable" || e.condition === "item-not-found") throw adminErrors.no_such_user();
        if (type === "set" && e.condition === "internal-server-error") {
          // ejabberd 23.01 fails privileged roster sets this way ({module_not_loaded,mod_roster,...}).
          throw adminErrors.unsupported("The XMPP server failed the XEP-0356 roster set (internal-server-error); ejabberd 23.01 has this bug, so roster entries cannot be added there");
        }
        throw adminErrors.refused(`The XMPP server refused the roster ${type}: ${e.message}`);
      }
      throw e;
    }
  }

  async function getRoster(userJid: string): Promise<RosterItem[]> {
    const reply = await rosterRequest(userJid, "get");
    return (reply.getChild("query", NS_ROSTER)?.getChildren("item") ?? []).map(xmlToItem);
  }

  const split = (jid: string) => ({ user: localOf(jid), host: domainOf(jid) });

  /** Writes `contact` on `owner`'s roster with subscription both, and reads the roster back. */
  async function contactBackend(owner: string): Promise<{ via: string; add(contact: ContactSpec): Promise<void>; roster(): Promise<RosterItem[]> }> {
    const caps = await known(domainOf(owner));
    const backend = caps ? contactsBackend(caps) : "xep-0356";
    if (!backend) throw adminErrors.unsupported(`No way to add contacts on ${domainOf(owner)}: ${caps!.contacts.why}. Fix: ${caps!.contacts.fix}`);
    const via = caps?.contacts.via ?? "XEP-0356 roster set";
    const o = split(owner);
    if (backend === "http-api") {
      const api = t.ejabberdApi!;
      return { via, add: (c) => api.addContact(o, { ...split(c.jid), name: c.name }), roster: () => api.roster(o.user, o.host) };
    }
    if (backend === "adhoc-api") {
      return { via, add: (c) => adhocApi.addContact(o, { ...split(c.jid), name: c.name }), roster: () => adhocApi.roster(o.user, o.host) };
    }
    return {
      via,
      add: async (c) => { await rosterRequest(owner, "set", { jid: c.jid, name: c.name, subscription: "both", groups: [] }); },
      roster: () => getRoster(owner),
    };
  }

  return {
    get connected() { return t.connected; },
    get privileges() { return t.privileges; },
    get capabilities() { return t.capabilities?.snapshot() ?? UNKNOWN; },

    async createAccount(jid, password) {
      const acct = account(jid);
      checkPassword(password);
      let res: CommandResult;
      try {
        res = await adminCommand(domainOf(acct), "add-user", { accountjid: acct, password, "password-verify": password });
      } catch (e) {
        refusal(e, "add-user", (s) => {
          // ejabberd answers an existing account with <conflict/>.
          if (s.condition === "conflict") throw adminErrors.username_taken();
          // ejabberd answers a command that crashed with item-not-found (e.g. a JID it cannot parse).
          if (s.condition === "item-not-found") throw adminErrors.refused(`The XMPP server failed add-user for ${acct} (${s.remote.message}); it could not process this account name`);
        });
      }
      const err = errorNote(res.notes);
      if (err) {
        // Prosody: <note type="error">Account already exists</note>.
        if (/exist|taken|in use|conflict/i.test(err.text)) throw adminErrors.username_taken();
        throw adminErrors.refused(`The XMPP server did not create the account: ${err.text}`);
      }
      if (res.status === "canceled") throw adminErrors.refused("The XMPP server cancelled add-user");
    },

    async changePassword(jid, password) {
      const acct = account(jid);
      checkPassword(password);
      let res: CommandResult;
      try {
        res = await adminCommand(domainOf(acct), "change-user-password", { accountjid: acct, password });
      } catch (e) {
        refusal(e, "change-user-password", (s) => {
          // ejabberd checks that the account exists by crashing when it does not; it then
          // answers the complete step with item-not-found ("No hook has processed this command").
          if (s.condition === "item-not-found") throw adminErrors.no_such_user(`There is no account ${acct} (the XMPP server answered change-user-password with ${s.remote.message})`);
        });
      }
      const err = errorNote(res.notes);
      if (err) {
        // Prosody: <note type="error">User does not exist</note>.
        if (/not exist|no such|unknown/i.test(err.text)) throw adminErrors.no_such_user(`There is no account ${acct}`);
        throw adminErrors.refused(`The XMPP server did not change the password: ${err.text}`);
      }
    },

    async deleteAccount(jid) {
      const acct = account(jid);
      let res: CommandResult;
      try {
        res = await adminCommand(domainOf(acct), "delete-user", { accountjids: [acct] });
      } catch (e) {
        refusal(e, "delete-user", (s) => {
          if (s.condition === "item-not-found") throw adminErrors.no_such_user(`There is no account ${acct} (the XMPP server answered delete-user with ${s.remote.message})`);
        });
      }
      const err = errorNote(res.notes);
      if (err) throw adminErrors.refused(`The XMPP server did not delete the account: ${err.text}`);
      // Prosody reports per-account failures inside an info note.
      if (res.notes.some((n) => /could not be deleted/i.test(n.text))) throw adminErrors.no_such_user(`There is no account ${acct}`);
    },

    async disableAccount(jid) {
      await accountsCommand(account(jid), "disable-user");
    },

    async enableAccount(jid) {
      await accountsCommand(account(jid), "reenable-user");
    },

    async endSessions(jid) {
      const acct = account(jid);
      let res: CommandResult;
      try {
        // XEP-0133 §4.5 names accountjids (Prosody); ejabberd's form has accountjid.
        res = await adminCommand(domainOf(acct), "end-user-session", { accountjids: [acct], accountjid: acct });
      } catch (e) {
        refusal(e, "end-user-session");
      }
      const err = errorNote(res.notes);
      if (err) throw adminErrors.refused(`The XMPP server did not end the sessions: ${err.text}`);
      // Prosody lists the accounts it could not disconnect (an unknown one among them) in an info note.
      if (res.notes.some((n) => /could not be disconnected/i.test(n.text))) throw adminErrors.no_such_user(`There is no account ${acct}`);
    },

    async accountExists(jid) {
      const acct = account(jid);
      const host = domainOf(acct);
      const caps = await known(host);
      const backend = caps ? accountCheckBackend(caps) : "xep-0133";
      if (!backend) throw adminErrors.unsupported(`Cannot tell whether ${acct} exists: ${caps!.accountCheck.why}. Fix: ${caps!.accountCheck.fix}`);
      if (backend === "http-api") return t.ejabberdApi!.accountExists(localOf(acct), host);
      if (backend === "adhoc-api") return adhocApi.accountExists(localOf(acct), host);
      let res: CommandResult;
      try {
        // XEP-0133 get-user-roster refuses unknown accounts: Prosody with an error note,
        // ejabberd (25.10+) by crashing, which answers the complete step with item-not-found.
        res = await adminCommand(host, "get-user-roster", { accountjid: acct, accountjids: [acct] });
      } catch (e) {
        if (e instanceof CommandStepError && e.step === "complete" && e.condition === "item-not-found") return false;
        if (e instanceof CommandStepError && e.step === "execute" && ["item-not-found", "service-unavailable", "feature-not-implemented"].includes(e.condition)) {
          throw adminErrors.unsupported(`Cannot tell whether ${acct} exists: the XMPP server does not offer XEP-0133 get-user-roster (${e.remote.message})`);
        }
        refusal(e, "get-user-roster (used to check whether an account exists)");
      }
      const err = errorNote(res.notes);
      if (err) {
        if (/not exist|no such|unknown/i.test(err.text)) return false;
        throw adminErrors.refused(`The XMPP server could not check the account: ${err.text}`);
      }
      if (res.status === "completed") return true;
      throw adminErrors.unsupported(`The XMPP server answered get-user-roster with status ${res.status}`);
    },

    getRoster,

    async getProfile(jid, opts) {
      const user = account(jid);
      if (!t.connected) throw adminErrors.not_connected();
      return fetchProfile({ request: (iq) => t.request(iq), iqPrivileges: t.iqPrivilegesFor?.(domainOf(user)) ?? {}, maxAvatarBytes: opts.maxAvatarBytes }, user);
    },

    async setRosterItem(userJid, item) {
      if (!SUBSCRIPTIONS.includes(item.subscription)) throw coreErrors.bad_request(`Unknown subscription ${JSON.stringify(item.subscription)}`);
      if (!item.jid || item.jid.includes("/")) throw coreErrors.bad_request(`A roster item needs a bare JID, got ${JSON.stringify(item.jid)}`);
      await rosterRequest(userJid, "set", item);
    },

    async makeMutualContacts(a, b) {
      const [ja, jb] = [account(a.jid), account(b.jid)];
      if (!t.connected) throw adminErrors.not_connected();
      const [ba, bb] = [await contactBackend(ja), await contactBackend(jb)];
      await ba.add({ jid: jb, name: b.name });
      await bb.add({ jid: ja, name: a.name });
      // Read back: some servers accept the write and store something else (ejabberd's
      // privileged roster set drops the subscription; add_rosteritem answers 0 to anything).
      for (const [owner, other, backend] of [[ja, jb, ba], [jb, ja, bb]] as const) {
        const item = (await backend.roster()).find((i) => i.jid.toLowerCase() === other);
        if (item?.subscription !== "both") {
          throw adminErrors.refused(`After ${backend.via}, ${owner}'s roster shows ${other} ${item ? `with subscription "${item.subscription}"` : "not at all"}, not as a mutual contact (subscription "both")`);
        }
      }
      return { via: ba.via };
    },
  };
}

/**
 * XMPP passwords pass through SASLprep (RFC 4013) or OpaqueString (RFC 8265 §4.2), which
 * forbid control characters: such a password could never be used to log in, and Prosody
 * refuses it with a misleading "Failed to write data to disk". Refused here, clearly.
 */
function checkPassword(password: string): void {
  if (!password) throw coreErrors.bad_request("The password is empty");
  if (/\p{Cc}/u.test(password)) throw coreErrors.bad_request("The password contains a control character (such as a line break or tab), which XMPP passwords cannot contain");
  const bad = illegalXmlChar(password);
  if (bad) throw coreErrors.bad_request(`The password contains ${bad}, a character XML cannot carry`);
}

function errorNote(notes: Note[]): Note | undefined {
  return notes.find((n) => n.type === "error");
}

function itemToXml(item: RosterItem): Element {
  // RFC 6121 §2.1.2; under XEP-0356 the server accepts the subscription as given.
  const el = xml("item", { jid: item.jid, subscription: item.subscription, ...(item.name ? { name: item.name } : {}) });
  for (const g of item.groups) el.c("group").t(g);
  return el;
}

function xmlToItem(el: Element): RosterItem {
  const sub = String(el.attrs.subscription ?? "none") as Subscription;
  return {
    jid: String(el.attrs.jid),
    ...(el.attrs.name ? { name: String(el.attrs.name) } : {}),
    subscription: SUBSCRIPTIONS.includes(sub) ? sub : "none",
    groups: el.getChildren("group").map((g) => g.text()),
  };
}
