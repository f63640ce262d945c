// XEP-0050 ad-hoc commands offered by the component: permission checks, sessions,
// multi-stage state, cancel, and forms both ways.
// https://xmpp.org/extensions/xep-0050.html
import { randomBytes } from "node:crypto";
import xml, { type Element } from "@xmpp/xml";
import type { AdhocCommand, AdhocRequest, AdhocResponse, DataForm } from "../types.js";
import { coreErrors } from "../errors.js";
import { formToXml, formValues, xmlToForm, NS_DATA } from "./forms.js";
import { bareJid, domainOf } from "./jid.js";
import { withApplicationCondition } from "./stanza-errors.js";

export const NS_COMMANDS = "http://jabber.org/protocol/commands";

const ACTIONS = new Set<AdhocRequest["action"]>(["execute", "next", "prev", "complete", "cancel"]);
const SESSION_TTL_MS = 10 * 60 * 1000;
const MAX_SESSIONS = 1000;

interface Session { node: string; from: string; state: unknown; touched: number }

export interface AdhocDeps {
  commands: ReadonlyMap<string, AdhocCommand>;
  hosts: readonly string[];
  isAdmin(bareJid: string): boolean;
  now?: () => number;
}

export class AdhocService {
  private readonly sessions = new Map<string, Session>();
  private readonly now: () => number;

  constructor(private readonly deps: AdhocDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Whether `from` may run the command (its declared permission; Prosody's adhoc.lib semantics). */
  permitted(cmd: AdhocCommand, from: string): boolean {
    const bare = bareJid(from);
    switch (cmd.permission) {
      case "any": return true;
      case "local_user": return this.deps.hosts.includes(domainOf(bare)) || this.deps.isAdmin(bare);
      case "admin": return this.deps.isAdmin(bare);
      default: return false; // a command without a known permission is never offered
    }
  }

  /** Says why a command was refused, so the requester knows what would allow it. */
  private refusal(cmd: AdhocCommand): string {
    const name = JSON.stringify(cmd.name);
    if (cmd.permission === "admin") return `Only administrators of this service may run ${name}`;
    if (cmd.permission === "local_user") return `Only users of ${this.deps.hosts.join(", ")} may run ${name}; your account is on another server`;
    return `You may not run ${name}`;
  }

  /** The commands `from` may run, for disco#items on the commands node (XEP-0050 §2.2). */
  listFor(from: string): AdhocCommand[] {
    return [...this.deps.commands.values()].filter((c) => this.permitted(c, from));
  }

  /** Handles <command/> (XEP-0050 §3); returns the reply payload or throws a ModuleError. */
  async execute(from: string, command: Element): Promise<Element> {
    const node = String(command.attrs.node ?? "");
    const cmd = this.deps.commands.get(node);
    if (!cmd) throw coreErrors.not_found(`No command ${JSON.stringify(node)} here`);
    if (!this.permitted(cmd, from)) throw coreErrors.forbidden(this.refusal(cmd));

    const action = (command.attrs.action ?? "execute") as AdhocRequest["action"];
    if (!ACTIONS.has(action)) throw coreErrors.bad_request(`Unknown action ${JSON.stringify(command.attrs.action)}`);

    this.sweep();
    const given = command.attrs.sessionid as string | undefined;
    let session: Session | undefined;
    if (given !== undefined) {
      session = this.sessions.get(given);
      // §4.6: a session belongs to one requester and one node.
      if (!session || session.node !== node || session.from !== from) throw badSession(given);
    }
    const sessionId = given ?? randomBytes(12).toString("base64url");

    if (action === "cancel") {
      this.sessions.delete(sessionId);
      return commandEl(node, sessionId, "canceled");
    }

    const x = command.getChild("x", NS_DATA);
    const submitted: DataForm | undefined = x ? xmlToForm(x) : undefined;
    const bare = bareJid(from);
    const req: AdhocRequest = {
      from, fromBare: bare, isAdmin: this.deps.isAdmin(bare), action, sessionId,
      values: submitted && submitted.type === "submit" ? formValues(submitted) : {},
      ...(submitted ? { submitted } : {}),
      ...(session ? { state: session.state } : {}),
    };
    let res: AdhocResponse;
    try {
      res = await cmd.handler(req);
    } catch (e) {
      this.sessions.delete(sessionId);
      throw e;
    }
    if (res.status === "executing") {
      this.sessions.delete(sessionId); // re-insert so the Map stays in last-used order
      this.sessions.set(sessionId, { node, from, state: res.state, touched: this.now() });
      this.trim();
    } else {
      this.sessions.delete(sessionId);
    }
    return responseEl(node, sessionId, res);
  }

  get sessionCount(): number { return this.sessions.size; }

  private sweep(): void {
    const cutoff = this.now() - SESSION_TTL_MS;
    for (const [id, s] of this.sessions) if (s.touched < cutoff) this.sessions.delete(id);
  }

  private trim(): void {
    while (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
  }
}

function commandEl(node: string, sessionid: string, status: AdhocResponse["status"]): Element {
  return xml("command", { xmlns: NS_COMMANDS, node, sessionid, status });
}

/** Builds the <command/> reply (XEP-0050 §3.4: actions, notes, form). */
export function responseEl(node: string, sessionId: string, res: AdhocResponse): Element {
  const el = commandEl(node, sessionId, res.status);
  if (res.status === "executing") {
    const actions = res.actions?.length ? res.actions : ["complete" as const];
    const execute = actions.includes("next") ? "next" : actions.includes("complete") ? "complete" : actions[0]!;
    const a = xml("actions", { execute });
    for (const name of actions) a.c(name);
    el.cnode(a);
  }
  for (const n of res.notes ?? []) el.cnode(xml("note", { type: n.type }, n.text));
  if (res.form) el.cnode(formToXml(res.form));
  return el;
}

function badSession(id: string) {
  const err = coreErrors.bad_request(`Unknown or expired command session ${JSON.stringify(id)}; start the command again`);
  // §4.6: bad-request with the commands namespace's <bad-sessionid/>.
  return withApplicationCondition(err, { name: "bad-sessionid", xmlns: NS_COMMANDS });
}
