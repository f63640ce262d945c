// The server protocol between mod_xmpp_invites (on the XMPP server) and this module, over
// the component link: IQs in NS from a served host's own JID. docs/server-module.md lists
// every element in both directions; here they are read with the limits the component applies.
import { xml, type Element } from "../../core/types.js";
import { errors } from "./errors.js";

export const NS = "urn:xmpp-invites:server:0";

/** The server a request comes from: only a served host's own JID (no user, no resource) may speak this protocol. */
export function serverOf(from: string, hosts: readonly string[]): string {
  const host = from.toLowerCase();
  if (host.includes("@") || host.includes("/") || !hosts.includes(host)) throw errors.not_a_server();
  return host;
}

/** An attribute's value; bad_request naming it when it is required and missing, or too long. */
export function attr(el: Element, name: string, max: number, required: true): string;
export function attr(el: Element, name: string, max: number, required?: false): string | undefined;
export function attr(el: Element, name: string, max: number, required = false): string | undefined {
  const v = el.attrs[name] as unknown;
  if (v === undefined || v === "") {
    if (required) throw errors.bad_request(`<${el.name}/> needs a ${name} attribute`, { field: name });
    return undefined;
  }
  if (typeof v !== "string" || v.length > max) throw errors.bad_request(`<${el.name}/> ${name}: at most ${max} characters`, { field: name });
  return v;
}

/** A child element's text (e.g. <password/>, whose spaces and line breaks an attribute would not keep). */
export function childText(el: Element, name: string, max: number): string {
  const children = el.getChildren(name);
  if (children.length > 1) throw errors.bad_request(`<${el.name}/> has ${children.length} <${name}/> elements; send one`, { field: name });
  const text = children[0]?.text() ?? "";
  if (text.length > max) throw errors.bad_request(`<${name}/>: at most ${max} characters`, { field: name });
  return text;
}

/** A reply payload in NS; undefined attributes are left out. */
export function reply(name: string, attrs: Record<string, string | undefined> = {}): Element {
  const set = Object.fromEntries(Object.entries(attrs).filter((e): e is [string, string] => e[1] !== undefined));
  return xml(name, { xmlns: NS, ...set });
}
