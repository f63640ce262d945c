// xmpp: URIs as XEP-0401 §4 and XEP-0379 §3 write them:
//   xmpp:host?register;preauth=T              account invite (no username bound)
//   xmpp:user@host?register;preauth=T         account invite bound to a username, or reset
//   xmpp:inviter@host?roster;preauth=T        contact invite
//   xmpp:inviter@host?roster;preauth=T;ibr=y  contact invite that also allows registration
import type { Invite } from "./types.js";

export interface Jid { local: string | undefined; domain: string }

/** A bare JID "user@host" or "host"; undefined when it has a resource or empty parts. */
export function parseBareJid(text: string): Jid | undefined {
  if (typeof text !== "string" || text.includes("/") || /\s/.test(text)) return undefined;
  const at = text.lastIndexOf("@");
  const local = at === -1 ? undefined : text.slice(0, at);
  const domain = (at === -1 ? text : text.slice(at + 1)).toLowerCase().replace(/\.$/, "");
  if (domain === "" || local === "" || (local !== undefined && local.includes("@"))) return undefined;
  if (!/^[\p{L}\p{N}.-]+$/u.test(domain) && !/^\[[0-9a-f:.]+\]$/i.test(domain)) return undefined;
  return { local, domain };
}

/** RFC 5122 §2.2: a localpart is percent-encoded in the URI; the domain is kept as an IRI. */
export function jidForUri(local: string | null | undefined, domain: string): string {
  return local ? `${encodeURIComponent(local)}@${domain}` : domain;
}

export function buildUri(invite: Pick<Invite, "type" | "host" | "username" | "inviter">, token: string): string {
  switch (invite.type) {
    case "account":
    case "reset":
      return `xmpp:${jidForUri(invite.username, invite.host)}?register;preauth=${token}`;
    case "contact":
    case "account_and_contact": {
      const jid = parseBareJid(invite.inviter ?? "");
      const target = jid ? jidForUri(jid.local, jid.domain) : invite.host;
      return `xmpp:${target}?roster;preauth=${token}${invite.type === "account_and_contact" ? ";ibr=y" : ""}`;
    }
  }
}
