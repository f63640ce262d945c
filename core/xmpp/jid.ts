// Small JID helpers (RFC 7622) for routing decisions; no full stringprep here.

/** "user@host/res" -> "user@host", lowercased localpart and domain. */
export function bareJid(jid: string): string {
  const slash = jid.indexOf("/");
  return (slash === -1 ? jid : jid.slice(0, slash)).toLowerCase();
}

/** "user@host/res" -> "host". */
export function domainOf(jid: string): string {
  const bare = bareJid(jid);
  const at = bare.indexOf("@");
  return at === -1 ? bare : bare.slice(at + 1);
}

/** "user@host/res" -> "user" ("" for a server or component JID). */
export function localOf(jid: string): string {
  const bare = bareJid(jid);
  const at = bare.indexOf("@");
  return at === -1 ? "" : bare.slice(0, at);
}
