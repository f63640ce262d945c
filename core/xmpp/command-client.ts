// Running another entity's XEP-0050 command from the component: execute, read the form,
// complete with our values. A refusal says which step it came from, because the same
// condition means different things there: at "execute" the command is not offered (or not
// to us); at "complete" the command ran and refused (ejabberd answers a command that crashed
// with item-not-found "No hook has processed this command").
import xml, { type Element } from "@xmpp/xml";
import { NS_COMMANDS } from "./adhoc.js";
import { NS_DATA } from "./forms.js";

/** An <iq type="error"/> answer, as the transport reports it. */
export class RemoteStanzaError extends Error {
  override readonly name = "RemoteStanzaError";
  constructor(readonly condition: string, readonly type: string, readonly text: string) {
    super(text ? `${condition}: ${text}` : condition);
  }
}

export type CommandStep = "execute" | "complete";

/** A RemoteStanzaError, and the step of the command that drew it. */
export class CommandStepError extends Error {
  override readonly name = "CommandStepError";
  constructor(readonly step: CommandStep, readonly remote: RemoteStanzaError) {
    super(`${step}: ${remote.message}`);
  }
  get condition(): string { return this.remote.condition; }
}

export interface Note { type: string; text: string }
export interface CommandResult {
  status: string;
  notes: Note[];
  /** Values of the result form's fields, by var. */
  fields: Map<string, string[]>;
  command: Element;
}

export type Request = (iq: Element) => Promise<Element>;

/**
 * Runs `node` at `to`. `fill` gets the vars of the form the execute step returned and gives
 * the fields to submit (a FORM_TYPE included if the command wants one).
 */
export async function runCommand(request: Request, to: string, node: string, fill: (formVars: string[]) => Record<string, string | string[]>): Promise<CommandResult> {
  const first = await step("execute", () => request(xml("iq", { type: "set", to }, xml("command", { xmlns: NS_COMMANDS, node, action: "execute" }))));
  const started = first.getChild("command", NS_COMMANDS);
  if (!started) throw new CommandStepError("execute", new RemoteStanzaError("undefined-condition", "cancel", "the answer has no <command/>"));
  if (started.attrs.status !== "executing") return readCommand(started);
  const vars = (started.getChild("x", NS_DATA)?.getChildren("field") ?? []).map((f) => String(f.attrs.var ?? "")).filter(Boolean);
  const x = xml("x", { xmlns: NS_DATA, type: "submit" });
  for (const [k, v] of Object.entries(fill(vars))) x.cnode(field(k, v));
  const done = await step("complete", () => request(xml("iq", { type: "set", to },
    xml("command", { xmlns: NS_COMMANDS, node, sessionid: started.attrs.sessionid, action: "complete" }, x))));
  const cmd = done.getChild("command", NS_COMMANDS);
  if (!cmd) throw new CommandStepError("complete", new RemoteStanzaError("undefined-condition", "cancel", "the answer has no <command/>"));
  return readCommand(cmd);
}

async function step(name: CommandStep, send: () => Promise<Element>): Promise<Element> {
  try {
    return await send();
  } catch (e) {
    if (e instanceof RemoteStanzaError) throw new CommandStepError(name, e);
    throw e;
  }
}

function field(name: string, value: string | string[]): Element {
  const el = xml("field", { var: name });
  for (const v of Array.isArray(value) ? value : [value]) el.c("value").t(v);
  return el;
}

function readCommand(cmd: Element): CommandResult {
  const notes = cmd.getChildren("note").map((n) => ({ type: String(n.attrs.type ?? "info"), text: n.text() }));
  const fields = new Map<string, string[]>();
  for (const f of cmd.getChild("x", NS_DATA)?.getChildren("field") ?? []) {
    if (f.attrs.var) fields.set(String(f.attrs.var), f.getChildren("value").map((v) => v.text()));
  }
  return { status: String(cmd.attrs.status ?? ""), notes, fields, command: cmd };
}
