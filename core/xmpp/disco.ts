// XEP-0030 service discovery for the component JID and its commands node.
import xml, { type Element } from "@xmpp/xml";
import type { AdhocCommand } from "../types.js";
import { coreErrors } from "../errors.js";
import { NS_COMMANDS, type AdhocService } from "./adhoc.js";
import { NS_DATA } from "./forms.js";

export const NS_DISCO_INFO = "http://jabber.org/protocol/disco#info";
export const NS_DISCO_ITEMS = "http://jabber.org/protocol/disco#items";
export const NS_PING = "urn:xmpp:ping";

const FEATURES = [NS_DISCO_INFO, NS_DISCO_ITEMS, NS_COMMANDS, NS_DATA, NS_PING];

export function discoInfo(query: Element, from: string, adhoc: AdhocService, commands: ReadonlyMap<string, AdhocCommand>, name: string): Element {
  const node = query.attrs.node as string | undefined;
  const reply = xml("query", { xmlns: NS_DISCO_INFO, ...(node === undefined ? {} : { node }) });
  if (node === undefined) {
    reply.c("identity", { category: "component", type: "generic", name });
    for (const f of FEATURES) reply.c("feature", { var: f });
    return reply;
  }
  if (node === NS_COMMANDS) {
    // XEP-0050 §2.2: the commands node is a command list.
    reply.c("identity", { category: "automation", type: "command-list", name: "Commands" });
    return reply;
  }
  const cmd = commands.get(node);
  if (!cmd) throw coreErrors.not_found(`No node ${JSON.stringify(node)} here`);
  if (!adhoc.permitted(cmd, from)) throw coreErrors.forbidden(`You may not run ${JSON.stringify(node)}`);
  // XEP-0050 §2.3: a command node.
  reply.c("identity", { category: "automation", type: "command-node", name: cmd.name });
  reply.c("feature", { var: NS_COMMANDS });
  reply.c("feature", { var: NS_DATA });
  return reply;
}

export function discoItems(query: Element, from: string, adhoc: AdhocService, componentJid: string): Element {
  const node = query.attrs.node as string | undefined;
  const reply = xml("query", { xmlns: NS_DISCO_ITEMS, ...(node === undefined ? {} : { node }) });
  if (node === undefined) return reply;
  if (node !== NS_COMMANDS) throw coreErrors.not_found(`No node ${JSON.stringify(node)} here`);
  for (const cmd of adhoc.listFor(from)) reply.c("item", { jid: componentJid, node: cmd.node, name: cmd.name });
  return reply;
}
