// XEP-0356 privilege advertisements, received once per connection:
// <message from="localhost"><privilege xmlns="urn:xmpp:privilege:2"><perm access="roster" type="both"/>…
// Prosody's mod_privilege uses urn:xmpp:privilege:2, ejabberd 23.01 urn:xmpp:privilege:1; same shape.
import type { Element } from "@xmpp/xml";

export const NS_PRIVILEGE = ["urn:xmpp:privilege:2", "urn:xmpp:privilege:1"] as const;

export interface Advertised {
  host: string;
  namespace: string;
  perms: Record<string, string>;
  /** XEP-0356 v0.4 "iq" permission: namespace -> "get" | "set" | "both". */
  iq?: Record<string, string>;
}

/** Reads an advertisement; undefined when the message is not one from a served server. */
export function readPrivileges(message: Element, hosts: readonly string[]): Advertised | undefined {
  const host = String(message.attrs.from ?? "").toLowerCase();
  // Only the server itself (a served domain, no local part) can grant privileges; users cannot.
  if (!hosts.includes(host)) return undefined;
  for (const ns of NS_PRIVILEGE) {
    const el = message.getChild("privilege", ns);
    if (!el) continue;
    const perms: Record<string, string> = {};
    const iq: Record<string, string> = {};
    for (const perm of el.getChildren("perm")) {
      const access = perm.attrs.access, type = perm.attrs.type;
      if (typeof access === "string" && typeof type === "string") perms[access] = type;
      // <perm access="iq"><namespace ns="…" type="get"/>…</perm>. Prosody's mod_privilege
      // (prosody-modules of Debian 12) nests each further <namespace/> inside the one before
      // (a missing :up()), so every <namespace/> under the perm counts.
      if (access === "iq") {
        const walk = (el: Element) => {
          for (const n of el.getChildren("namespace")) {
            if (typeof n.attrs.ns === "string" && typeof n.attrs.type === "string") iq[n.attrs.ns] = n.attrs.type;
            walk(n);
          }
        };
        walk(perm);
      }
    }
    return { host, namespace: ns, perms, ...(Object.keys(iq).length ? { iq } : {}) };
  }
  return undefined;
}
