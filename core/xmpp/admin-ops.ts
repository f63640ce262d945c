// The AdminPort over the component link: XEP-0133 commands and XEP-0356 roster
// access. Every server-specific answer (Prosody notes, ejabberd's bare
// "completed", ejabberd 23.01's roster-set bug) is interpreted here and nowhere else.
// See docs/admin-port.md.
import xml, { type Element } from "@xmpp/xml";
import { adminErrors, type AdminPort, type RosterItem, type Subscription } from "../admin.js";
import { coreErrors } from "../errors.js";
import { NS_COMMANDS } from "./adhoc.js";
import { NS_DATA } from "./forms.js";
import { domainOf, localOf } from "./jid.js";
import { illegalXmlChar } from "./xml-chars.js";

const NS_ADMIN = "http://jabber.org/protocol/admin";
const NS_ROSTER = "jabber:iq:roster";
const SUBSCRIPTIONS: readonly Subscription[] = ["none", "to", "from", "both", "remove"];

/** An <iq type="error"/> answer, as the transport reports it. */
export class RemoteStanzaError extends Error {
  override readonly name = "RemoteStanzaError";
  constructor(readonly condition: string, readonly type: string, readonly text: string) {
    super(text ? `${condition}: ${text}` : condition);
  }
}

export interface AdminTransport {
  readonly connected: boolean;
  /** Sends an iq; resolves with the result, rejects with RemoteStanzaError or an admin.* ModuleError. */
  request(iq: Element): Promise<Element>;
  /** XEP-0356 perms the server of `domain` advertised on this connection. */
  privilegesFor(domain: string): Readonly<Record<string, string>>;
  readonly privileges: Readonly<Record<string, string>>;
  readonly hosts: readonly string[];
}

interface Note { type: string; text: string }
interface CommandResult { status: string; notes: Note[]; command: Element }

export function createAdminPort(t: AdminTransport): AdminPort {
  /** Checks that `jid` names an account on a served domain; returns it bare. */
  function account(jid: string): string {
    const domain = domainOf(jid);
    if (jid.includes("/") || !localOf(jid) || !t.hosts.includes(domain)) {
      throw coreErrors.bad_request(`Not an account on a served domain (${t.hosts.join(", ")}): ${JSON.stringify(jid)}`);
    }
    return jid.toLowerCase();
  }

  /** XEP-0133 §4: execute the command, then submit its form with our values. */
  async function adminCommand(domain: string, name: string, values: Record<string, string | string[]>): Promise<CommandResult> {
    const node = `${NS_ADMIN}#${name}`;
    const first = await t.request(xml("iq", { type: "set", to: domain }, xml("command", { xmlns: NS_COMMANDS, node, action: "execute" })));
    const started = first.getChild("command", NS_COMMANDS);
    if (!started) throw adminErrors.refused(`The XMPP server answered ${name} without a <command/>`);
    if (started.attrs.status !== "executing") return readCommand(started);
    const x = xml("x", { xmlns: NS_DATA, type: "submit" }, field("FORM_TYPE", NS_ADMIN));
    for (const [k, v] of Object.entries(values)) x.cnode(field(k, v));
    const done = await t.request(xml("iq", { type: "set", to: domain },
      xml("command", { xmlns: NS_COMMANDS, node, sessionid: started.attrs.sessionid, action: "complete" }, x)));
    const cmd = done.getChild("command", NS_COMMANDS);
    if (!cmd) throw adminErrors.refused(`The XMPP server answered ${name} without a <command/>`);
    return readCommand(cmd);
  }

  /** Maps a remote refusal of a XEP-0133 command to an admin.* error. */
  function refusal(e: unknown, what: string): never {
    if (e instanceof RemoteStanzaError) {
      if (e.condition === "forbidden" || e.condition === "not-authorized") {
        throw adminErrors.refused(`The XMPP server does not let the component run ${what}: list the component JID as a server admin (${e.condition})`);
      }
      if (e.condition === "item-not-found" || e.condition === "service-unavailable" || e.condition === "feature-not-implemented") {
        throw adminErrors.unsupported(`The XMPP server does not offer ${what} (XEP-0133; ${e.condition}); enable its admin ad-hoc commands`);
      }
      throw adminErrors.refused(`The XMPP server refused ${what}: ${e.message}`);
    }
    throw e;
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

  return {
    get connected() { return t.connected; },
    get privileges() { return t.privileges; },

    async createAccount(jid, password) {
      const acct = account(jid);
      checkPassword(password);
      let res: CommandResult;
      try {
        res = await adminCommand(domainOf(acct), "add-user", { accountjid: acct, password, "password-verify": password });
      } catch (e) {
        // Current ejabberd answers an existing account with <conflict/>.
        if (e instanceof RemoteStanzaError && e.condition === "conflict") throw adminErrors.username_taken();
        refusal(e, "add-user");
      }
      const err = errorNote(res);
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
      } catch (e) { refusal(e, "change-user-password"); }
      const err = errorNote(res);
      if (err) {
        if (/not exist|no such|unknown/i.test(err.text)) throw adminErrors.no_such_user();
        throw adminErrors.refused(`The XMPP server did not change the password: ${err.text}`);
      }
    },

    async deleteAccount(jid) {
      const acct = account(jid);
      let res: CommandResult;
      try {
        res = await adminCommand(domainOf(acct), "delete-user", { accountjids: [acct] });
      } catch (e) { refusal(e, "delete-user"); }
      const err = errorNote(res);
      if (err) throw adminErrors.refused(`The XMPP server did not delete the account: ${err.text}`);
      // Prosody reports per-account failures inside an info note.
      if (res.notes.some((n) => /could not be deleted/i.test(n.text))) throw adminErrors.no_such_user();
    },

    async accountExists(jid) {
      const acct = account(jid);
      let res: CommandResult;
      try {
        // XEP-0133 get-user-roster: Prosody checks that the account exists before answering.
        res = await adminCommand(domainOf(acct), "get-user-roster", { accountjid: acct, accountjids: [acct] });
      } catch (e) { refusal(e, "get-user-roster (used to check whether an account exists)"); }
      const err = errorNote(res);
      if (err) {
        if (/not exist|no such|unknown/i.test(err.text)) return false;
        throw adminErrors.refused(`The XMPP server could not check the account: ${err.text}`);
      }
      if (res.status === "completed") return true;
      throw adminErrors.unsupported(`The XMPP server answered get-user-roster with status ${res.status}`);
    },

    async getRoster(userJid) {
      const reply = await rosterRequest(userJid, "get");
      const items = reply.getChild("query", NS_ROSTER)?.getChildren("item") ?? [];
      return items.map(xmlToItem);
    },

    async setRosterItem(userJid, item) {
      if (!SUBSCRIPTIONS.includes(item.subscription)) throw coreErrors.bad_request(`Unknown subscription ${JSON.stringify(item.subscription)}`);
      if (!item.jid || item.jid.includes("/")) throw coreErrors.bad_request(`A roster item needs a bare JID, got ${JSON.stringify(item.jid)}`);
      await rosterRequest(userJid, "set", item);
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

function field(name: string, value: string | string[]): Element {
  const el = xml("field", { var: name });
  for (const v of Array.isArray(value) ? value : [value]) el.c("value").t(v);
  return el;
}

function readCommand(cmd: Element): CommandResult {
  const notes = cmd.getChildren("note").map((n) => ({ type: String(n.attrs.type ?? "info"), text: n.text() }));
  return { status: String(cmd.attrs.status ?? ""), notes, command: cmd };
}

function errorNote(res: CommandResult): Note | undefined {
  return res.notes.find((n) => n.type === "error");
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
