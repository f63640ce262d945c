// Thrown errors -> RFC 6120 §8.3 stanza errors. A ModuleError carries its own
// type/condition and a message meant for the requester; anything else is a bug
// whose details stay in the log.
import xml, { type Element } from "@xmpp/xml";
import type { Logger } from "pino";
import { isModuleError, type XmppCondition, type XmppErrorType } from "../errors.js";
import { FormError } from "./forms.js";

export const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";

/** <error type=.. ><condition/><text>..</text></error> (RFC 6120 §8.3.2). */
export function errorElement(type: XmppErrorType, condition: XmppCondition, text?: string): Element {
  const el = xml("error", { type }, xml(condition, { xmlns: NS_STANZAS }));
  if (text) el.cnode(xml("text", { xmlns: NS_STANZAS, "xml:lang": "en" }, text));
  return el;
}

const APP = Symbol("xmppApplicationCondition");
interface AppCondition { name: string; xmlns: string }

/** Marks an error with an application-specific condition element (RFC 6120 §8.4). */
export function withApplicationCondition<E extends Error>(err: E, cond: AppCondition): E {
  return Object.assign(err, { [APP]: cond });
}

/** Maps anything a handler threw to the <error/> to send back. */
export function errorFor(err: unknown, log: Logger, context: Record<string, unknown>): Element {
  if (isModuleError(err)) {
    log.debug({ ...context, code: err.code }, "request refused: %s", err.message);
    const el = errorElement(err.type, err.condition, err.message);
    const app = (err as { [APP]?: AppCondition })[APP];
    if (app) el.cnode(xml(app.name, { xmlns: app.xmlns }));
    return el;
  }
  if (err instanceof FormError) {
    return errorElement("modify", "bad-request", err.message);
  }
  log.error({ ...context, err }, "handler failed");
  return errorElement("cancel", "internal-server-error");
}

/** An error reply to a request stanza (RFC 6120 §8.2: to/from swapped, same id). */
export function errorReply(request: Element, error: Element): Element {
  return xml("iq", { type: "error", to: request.attrs.from, from: request.attrs.to, id: request.attrs.id }, error);
}

/** What a remote <error/> said, for mapping and messages. */
export interface RemoteError { condition: string; type: string; text: string }

export function readError(stanza: Element): RemoteError {
  const el = stanza.is("error") ? stanza : stanza.getChild("error");
  if (!el) return { condition: "undefined-condition", type: "cancel", text: "" };
  const cond = el.children.find((c): c is Element => typeof c !== "string" && c.attrs.xmlns === NS_STANZAS && c.name !== "text");
  return { condition: cond?.name ?? "undefined-condition", type: String(el.attrs.type ?? "cancel"), text: el.getChildText("text", NS_STANZAS) ?? "" };
}
