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

const ACTIONS = new Set<AdhocRequest["action"] | "cancel">(["execute", "next", "prev", "complete", "cancel"]);
const SESSION_TTL_MS = 10 * 60 * 1000;
const MAX_SESSIONS = 1000;
/** One requester cannot push everybody else's sessions out. */
const MAX_SESSIONS_PER_USER = 10;

/** Where a session is: at the command's declared form, or at a stage the handler returned. */
type Stage = { at: "form"; form: DataForm } | { at: "handler"; state: unknown };
interface Session { node: string; from: string; stage: Stage; touched: number }

export interface AdhocDeps {
  commands: ReadonlyMap<string, AdhocCommand>;
  hosts: readonly string[];
  isAdmin(bareJid: string): boolean;
  now?: () => number;
}

/** One request to a command, as XEP-0050 §3 carries it (already parsed). */
export interface CommandCall {
  node: string;
  action?: string;
  sessionId?: string;
  submitted?: DataForm;
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
    const x = command.getChild("x", NS_DATA);
    const call: CommandCall = {
      node: String(command.attrs.node ?? ""),
      ...(command.attrs.action === undefined ? {} : { action: String(command.attrs.action) }),
      ...(command.attrs.sessionid === undefined ? {} : { sessionId: String(command.attrs.sessionid) }),
      ...(x ? { submitted: xmlToForm(x) } : {}),
    };
    const { sessionId, response } = await this.run(from, call);
    return responseEl(call.node, sessionId, response);
  }

  /** The same as execute(), without XML: sessions, permissions, stages and the form check. */
  async run(from: string, call: CommandCall): Promise<{ sessionId: string; response: AdhocResponse }> {
    const { node } = call;
    const cmd = this.deps.commands.get(node);
    if (!cmd) throw coreErrors.not_found(`No command ${JSON.stringify(node)} here`);
    if (!this.permitted(cmd, from)) throw coreErrors.forbidden(this.refusal(cmd));

    const action = (call.action ?? "execute") as AdhocRequest["action"] | "cancel";
    if (!ACTIONS.has(action)) throw coreErrors.bad_request(`Unknown action ${JSON.stringify(call.action)}`);

    this.sweep();
    let session: Session | undefined;
    if (call.sessionId !== undefined) {
      session = this.sessions.get(call.sessionId);
      // §4.6: a session belongs to one requester and one node.
      if (!session || session.node !== node || session.from !== from) throw badSession(call.sessionId);
    }
    const sessionId = call.sessionId ?? randomBytes(12).toString("base64url");
    if (action === "cancel") {
      this.sessions.delete(sessionId);
      return { sessionId, response: { status: "canceled" } };
    }

    const bare = bareJid(from);
    const submitted = call.submitted?.type === "submit" ? call.submitted : undefined;
    const req: AdhocRequest = {
      from, fromBare: bare, isAdmin: this.deps.isAdmin(bare), action, sessionId,
      values: submitted ? formValues(submitted) : {},
      ...(submitted ? { submitted } : {}),
      ...(session?.stage.at === "handler" ? { state: session.stage.state } : {}),
    };
    let res: AdhocResponse;
    let stage: Stage | undefined;
    try {
      if (cmd.form && session?.stage.at !== "handler") {
        // The declared form: sent first and on prev; the answer to it is checked against it.
        const showForm = session === undefined ? submitted === undefined : action === "prev";
        const form = session?.stage.at === "form" && !showForm ? session.stage.form : await cmd.form(req);
        if (!isForm(form)) res = form;
        else if (showForm) {
          res = { status: "executing", form, actions: ["complete"] };
          stage = { at: "form", form };
        } else {
          res = await cmd.handler({ ...req, values: checkSubmission(form, submitted) });
        }
      } else {
        res = await cmd.handler(req);
      }
    } catch (e) {
      this.sessions.delete(sessionId);
      throw e;
    }
    this.sessions.delete(sessionId); // re-inserted below, so the Map stays in last-used order
    if (res.status === "executing") {
      this.sessions.set(sessionId, { node, from, stage: stage ?? { at: "handler", state: res.state }, touched: this.now() });
      this.trim(from);
    }
    return { sessionId, response: res };
  }

  get sessionCount(): number { return this.sessions.size; }

  private sweep(): void {
    const cutoff = this.now() - SESSION_TTL_MS;
    for (const [id, s] of this.sessions) if (s.touched < cutoff) this.sessions.delete(id);
  }

  /** Drops the requester's oldest sessions past their share, then the oldest of all past the cap. */
  private trim(from: string): void {
    const own = [...this.sessions].filter(([, s]) => s.from === from);
    for (const [id] of own.slice(0, Math.max(0, own.length - MAX_SESSIONS_PER_USER))) this.sessions.delete(id);
    while (this.sessions.size > MAX_SESSIONS) {
      const oldest = this.sessions.keys().next().value;
      if (oldest === undefined) break;
      this.sessions.delete(oldest);
    }
  }
}

function isForm(v: DataForm | AdhocResponse): v is DataForm {
  return "fields" in v && !("status" in v);
}

const MULTI = new Set(["jid-multi", "list-multi", "text-multi"]);

/**
 * The submitted values, read as the form declared them: a field the form does not have, or
 * several values for a single-valued field, is refused naming the field. Checks that read a
 * value and the code that uses it therefore always see the same thing.
 */
export function checkSubmission(form: DataForm, submitted: DataForm | undefined): Record<string, string | string[]> {
  const declared = new Map(form.fields.filter((f) => f.var && f.type !== "fixed").map((f) => [f.var, f]));
  const out: Record<string, string | string[]> = {};
  for (const f of submitted?.fields ?? []) {
    if (!f.var || f.var === "FORM_TYPE") continue;
    const spec = declared.get(f.var);
    if (!spec) throw coreErrors.bad_request(`Field ${JSON.stringify(f.var.slice(0, 64))} is not part of this form`, { field: f.var.slice(0, 64) });
    const values = f.value === undefined ? [] : Array.isArray(f.value) ? f.value : [f.value];
    if (MULTI.has(spec.type ?? "")) { out[f.var] = values; continue; }
    if (values.length > 1) throw coreErrors.bad_request(`Field ${JSON.stringify(f.var)} takes one value, got ${values.length}`, { field: f.var });
    if (values.length === 1) out[f.var] = values[0]!;
  }
  return out;
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
