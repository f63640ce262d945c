// Deactivating an account (Arvados' "deactivating users"): lock it on the server, revoke the
// pending invites it created, delete the API keys that act for it, and record who did it and
// when. The lock is XEP-0133 §4.3 disable-user where the server offers it to the component;
// elsewhere (Prosody 0.12, ejabberd before 25.10) an unusable random password (§4.7) and
// the end of its sessions (§4.5). Reactivation undoes what can be undone: re-enable-user
// (§4.4), or, after the password path, a password reset invite for its owner.
import { randomBytes } from "node:crypto";
import { adminErrors, type AdminPort, type Logger } from "../../core/types.js";
import type { CreatedInvite, InvitesApi } from "../invites/types.js";
import type { InvitesApiModule } from "../invites_api/types.js";
import type { InvitesTreeApi } from "../invites_tree/types.js";
import { errors } from "./errors.js";
import type { Deactivations, Lock } from "./records.js";

export interface UsersDeps {
  hosts: readonly string[];
  invites: InvitesApi;
  api: Pick<InvitesApiModule, "removeKeysOf">;
  tree: Pick<InvitesTreeApi, "tree">;
  admin: () => AdminPort;
  records: Deactivations;
  log: Logger;
  now: () => number;
}

export interface Deactivated {
  jid: string;
  lock: Lock;
  /** Whether the account's sessions were ended (its clients disconnected). */
  sessionsEnded: boolean;
  /** Ids of the pending invites it created, now revoked. */
  invitesRevoked: string[];
  /** Ids of the API keys that acted for it, now deleted. */
  keysDeleted: string[];
  by: string;
  at: number;
}

export interface Reactivated {
  jid: string;
  /** "re-enabled": the server lets it in again; "reset invite": its owner sets a new password with `reset`. */
  done: "re-enabled" | "reset invite";
  reset?: CreatedInvite;
  by: string;
  at: number;
}

/** At most this many accounts in one branch of the invite tree. */
export const MAX_TREE = 1_000;

/** A bare JID of an account on a served host, lower-cased; invites_users.bad_jid otherwise. */
export function accountJid(d: Pick<UsersDeps, "hosts" | "invites">, text: unknown): { jid: string; local: string; host: string } {
  const s = String(text ?? "").trim();
  const at = s.lastIndexOf("@");
  const host = s.slice(at + 1).toLowerCase();
  const checked = at > 0 && !s.includes("/") ? d.invites.checkUsername(s.slice(0, at)) : undefined;
  if (!checked?.ok || !d.hosts.includes(host)) throw errors.bad_jid(`${JSON.stringify(s.slice(0, 200))} is not an account of a host served here (user@${d.hosts.join(" or user@")})`, { field: "jid" });
  return { jid: `${checked.username}@${host}`, local: checked.username, host };
}

/** The accounts `jid` brought in through invites, and theirs, recursively (breadth first, `jid` excluded, at most MAX_TREE). */
export async function branchOf(d: Pick<UsersDeps, "tree">, jid: string): Promise<string[]> {
  const { root } = await d.tree.tree(jid, { limit: MAX_TREE });
  const out: string[] = [];
  for (let level = root.children; level.length > 0; level = level.flatMap((n) => n.children)) out.push(...level.map((n) => n.jid));
  return out;
}

/** Revokes every pending invite `jid` created, page by page on the inviter index. */
async function revokeInvites(d: UsersDeps, jid: string, by: string): Promise<string[]> {
  const revoked: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await d.invites.list({ inviter: jid, status: "pending", limit: 500, ...(cursor === undefined ? {} : { cursor }) });
    for (const invite of page.invites) {
      await d.invites.revoke(invite.id, by);
      revoked.push(invite.id);
    }
    cursor = page.cursor;
  } while (cursor !== undefined);
  return revoked;
}

export async function deactivate(d: UsersDeps, jid: string, by: string): Promise<Deactivated> {
  const admin = d.admin();
  if (!admin.connected) throw adminErrors.not_connected("The XMPP server is not reachable, so the account cannot be locked; nothing was changed");
  const host = jid.slice(jid.lastIndexOf("@") + 1);
  const offered = admin.capabilities.hosts[host]?.adminCommands ?? [];
  let lock: Lock;
  let sessionsEnded = false;
  // The lock first: if it fails, nothing else has changed and the command can be run again.
  if (offered.includes("disable-user")) {
    await admin.disableAccount(jid);
    lock = "disabled";
  } else {
    // Never stored, never shown: nobody can log in with it.
    await admin.changePassword(jid, randomBytes(32).toString("base64url"));
    lock = "password";
  }
  if (offered.includes("end-user-session")) {
    try {
      await admin.endSessions(jid);
      sessionsEnded = true;
    } catch (err) {
      d.log.warn({ err, jid }, "deactivation: the account is locked, but its sessions could not be ended");
    }
  }
  const invitesRevoked = await revokeInvites(d, jid, by);
  const keysDeleted = await d.api.removeKeysOf(jid);
  const at = d.now();
  await d.records.put({
    jid, host, deactivated_at: at, deactivated_by: by, lock, sessions_ended: sessionsEnded ? 1 : 0,
    invites_revoked: invitesRevoked.length, keys_deleted: keysDeleted.length, reactivated_at: null, reactivated_by: null,
  });
  d.log.info({ jid, by, lock, sessionsEnded, invitesRevoked: invitesRevoked.length, keysDeleted: keysDeleted.length }, "account deactivated");
  return { jid, lock, sessionsEnded, invitesRevoked, keysDeleted, by, at };
}

export async function reactivate(d: UsersDeps, jid: string, by: string): Promise<Reactivated> {
  const record = await d.records.get(jid);
  if (!record || record.reactivated_at !== null) throw errors.not_deactivated(`${jid} is not deactivated${record ? ` (reactivated by ${record.reactivated_by} at ${new Date(record.reactivated_at!).toISOString()})` : ""}`, { jid });
  const at = d.now();
  let out: Reactivated;
  if (record.lock === "disabled") {
    const admin = d.admin();
    if (!admin.connected) throw adminErrors.not_connected();
    await admin.enableAccount(jid);
    out = { jid, done: "re-enabled", by, at };
  } else {
    const local = jid.slice(0, jid.lastIndexOf("@"));
    const reset = await d.invites.createReset({ host: record.host, username: local, source: `users/${by}`, usesAllowed: 1 });
    out = { jid, done: "reset invite", reset, by, at };
  }
  await d.records.reactivated(jid, at, by);
  d.log.info({ jid, by, done: out.done }, "account reactivated");
  return out;
}

/** Lines for humans: what was done, and what was not. */
export function describeDeactivated(r: Deactivated): string[] {
  return [
    `${r.jid}: deactivated by ${r.by} at ${new Date(r.at).toISOString()}`,
    r.lock === "disabled"
      ? "  locked: the server disabled the account (XEP-0133 disable-user)"
      : "  locked: the password was replaced by an unusable random one (the server offers no disable-user)",
    r.sessionsEnded ? "  sessions: ended (XEP-0133 end-user-session)" : "  sessions: NOT ended (the server offers the component no end-user-session): clients already connected stay until they disconnect",
    `  invites revoked: ${r.invitesRevoked.length}`,
    `  API keys deleted: ${r.keysDeleted.length}`,
  ];
}

export function describeReactivated(r: Reactivated): string[] {
  if (r.done === "re-enabled") return [`${r.jid}: re-enabled (XEP-0133 reenable-user); its revoked invites and deleted API keys stay so`];
  return [
    `${r.jid}: its password was replaced when it was deactivated; this reset invite lets its owner choose a new one:`,
    r.reset!.link,
    "Its revoked invites and deleted API keys stay so.",
  ];
}

/** The JSON of a deactivation (API and --json). */
export function deactivatedJson(r: Deactivated) {
  return { jid: r.jid, lock: r.lock, sessions_ended: r.sessionsEnded, invites_revoked: r.invitesRevoked, keys_deleted: r.keysDeleted, by: r.by, at: new Date(r.at).toISOString() };
}

export function reactivatedJson(r: Reactivated) {
  return { jid: r.jid, done: r.done, reset_link: r.reset?.link ?? null, by: r.by, at: new Date(r.at).toISOString() };
}
