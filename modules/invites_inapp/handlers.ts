// The component's side of the server protocol: one handler for every <iq type="set"/> in
// NS from a served host's server (docs/server-module.md).
import { addressKey, isModuleError, type AdminPort, type Element, type IqRequest, type Limiter, type Logger } from "../../core/types.js";
import { invitesErrors } from "../invites/index.js";
import type { InvitesApi } from "../invites/types.js";
import { registerErrors } from "../invites_register/index.js";
import type { InvitesRegisterApi } from "../invites_register/types.js";
import { errors } from "./errors.js";
import type { Held, InFlight } from "./inflight.js";
import { attr, childText, NS, reply, serverOf } from "./protocol.js";
import type { Servers } from "./servers.js";
import { acceptSubscription } from "./subscribe.js";

export interface ProtocolDeps {
  hosts: readonly string[];
  invites: InvitesApi;
  register: InvitesRegisterApi;
  admin: () => AdminPort;
  /** Token checks per client address (the app's, as the server reports it). */
  limiter: Limiter;
  servers: Servers;
  inflight: InFlight;
  log: Logger;
}

// Past these a request is malformed; below them the registration rules speak (username length,
// password policy), so that the app's user reads which rule a name or password breaks.
const TOKEN_MAX = 200;
const NAME_MAX = 3071;
const JID_MAX = 3071;
const PASSWORD_MAX = 65_536;

export function serverProtocol(d: ProtocolDeps): (iq: IqRequest) => Promise<Element | void> {
  return async (iq) => {
    const host = serverOf(iq.from, d.hosts);
    const el = iq.element;
    switch (el.name) {
      case "announce": return announce(d, host, el);
      case "withdraw":
        d.servers.withdraw(host);
        d.log.info({ host }, "the XMPP server withdrew the server module: in-app paths are off for this host");
        return undefined;
      case "token": return token(d, host, el);
      case "register": return register(d, host, el);
      case "reset": return reset(d, host, el);
      case "done": return done(d, host, el);
      case "subscribe": return subscribe(d, host, el);
      default: throw errors.bad_request(`Unknown element <${el.name}/> in ${NS}`);
    }
  };
}

/** Counts a token attempt against the app's address (as the web counts lookups per IP). */
async function guard(d: ProtocolDeps, host: string, el: Element): Promise<string | undefined> {
  const ip = attr(el, "ip", 100);
  // IPv6 addresses count by their /64, as on the web (core's addressKey).
  const key = ip === undefined ? `server ${host}` : addressKey(ip);
  const r = await d.limiter.consume(key);
  if (!r.ok) throw errors.rate_limited(`Too many invite attempts from this address; try again in ${r.retryAfterS} s`);
  return ip;
}

/** The invite behind a token must be for the asking server's host. */
async function sameHost(d: ProtocolDeps, host: string, token: string): Promise<void> {
  const v = await d.invites.validate(token);
  if (!v.ok) throw invitesErrors[v.reason]();
  if (v.invite.host !== host) throw errors.other_host(`This invite is for ${v.invite.host}, not ${host}`);
}

function announce(d: ProtocolDeps, host: string, el: Element): undefined {
  const boot = attr(el, "boot", 100, true);
  const version = attr(el, "version", 100) ?? "";
  d.servers.announce(host, boot, version);
  d.log.info({ host, version }, "the XMPP server runs the server module: in-app paths are on for this host");
  const orphans = d.inflight.orphans(host, boot);
  if (orphans.length) void settle(d, host, orphans);
  return undefined;
}

/** A restarted server cannot finish what its previous process began: ask the server whether each account exists. */
async function settle(d: ProtocolDeps, host: string, orphans: Held[]): Promise<void> {
  for (const held of orphans) {
    try {
      if (held.kind === "reset") {
        // Whether the old process changed the password cannot be asked: give the use back.
        await d.register.finishReset(held.pending, false);
        continue;
      }
      const exists = await onceLinked(() => d.admin().accountExists(held.pending.event.jid));
      await d.register.finish(held.pending, exists);
      d.log.info({ host, jid: held.pending.event.jid, outcome: exists ? "completed" : "released" }, "settled an in-app registration of a restarted XMPP server");
    } catch (err) {
      d.log.warn({ err, host }, "could not settle an in-app registration of a restarted XMPP server; crash recovery will");
    }
  }
}

/**
 * A server announces as soon as the component is connected, and its <announce/> can come in
 * with the handshake's answer, before the link counts as up: an admin request then fails with
 * admin.not_connected. Retried for a few seconds (a link that stays down is left to crash recovery).
 */
async function onceLinked<T>(f: () => Promise<T>, tries = 50): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (err) {
      if (i >= tries || !isModuleError(err, "admin.not_connected")) throw err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** The token an app presented: one longer than any token is simply not an invite. */
function presented(el: Element): string {
  const t = attr(el, "token", JID_MAX, true);
  if (t.length > TOKEN_MAX) throw invitesErrors.invalid();
  return t;
}

async function token(d: ProtocolDeps, host: string, el: Element): Promise<Element> {
  await guard(d, host, el);
  const t = presented(el);
  const v = await d.invites.validate(t);
  if (!v.ok) throw invitesErrors[v.reason]();
  const invite = v.invite;
  if (invite.host !== host) throw errors.other_host(`This invite is for ${invite.host}, not ${host}`);
  // XEP-0445: the token must be good for registration (a reset registers the new password).
  if (invite.type === "contact") throw registerErrors.not_for_registration();
  return reply("token", { type: invite.type, username: invite.username ?? undefined });
}

async function register(d: ProtocolDeps, host: string, el: Element): Promise<Element> {
  const t = attr(el, "token", TOKEN_MAX, true);
  const boot = attr(el, "boot", 100, true);
  const ip = attr(el, "ip", 100);
  const username = attr(el, "username", NAME_MAX) ?? "";
  const password = childText(el, "password", PASSWORD_MAX);
  await sameHost(d, host, t);
  const pending = await d.register.begin({ token: t, username, password, ip, source: "in-app" });
  let id: string;
  try {
    id = d.inflight.add(host, boot, { kind: "register", pending });
  } catch (err) {
    await d.register.finish(pending, false);
    throw err;
  }
  return reply("register", { id, username: pending.event.username });
}

async function reset(d: ProtocolDeps, host: string, el: Element): Promise<Element> {
  const t = attr(el, "token", TOKEN_MAX, true);
  const boot = attr(el, "boot", 100, true);
  const username = attr(el, "username", NAME_MAX);
  const password = childText(el, "password", PASSWORD_MAX);
  await sameHost(d, host, t);
  const pending = await d.register.beginReset({ token: t, password, ...(username === undefined ? {} : { username }) });
  let id: string;
  try {
    id = d.inflight.add(host, boot, { kind: "reset", pending });
  } catch (err) {
    await d.register.finishReset(pending, false);
    throw err;
  }
  return reply("reset", { id, username: pending.jid.slice(0, pending.jid.lastIndexOf("@")) });
}

async function done(d: ProtocolDeps, host: string, el: Element): Promise<undefined> {
  const id = attr(el, "id", 100, true);
  const ok = attr(el, "ok", 5, true);
  if (ok !== "true" && ok !== "false") throw errors.bad_request(`<done/> ok: expected true or false, got ${JSON.stringify(ok)}`, { field: "ok" });
  const held = d.inflight.take(id, host);
  if (!held) throw errors.unknown_pending(`No registration ${JSON.stringify(id)} is in progress (settled already, or xmpp-invites restarted: crash recovery settles it)`);
  if (held.kind === "register") await d.register.finish(held.pending, ok === "true");
  else await d.register.finishReset(held.pending, ok === "true");
  return undefined;
}

async function subscribe(d: ProtocolDeps, host: string, el: Element): Promise<undefined> {
  await guard(d, host, el);
  await acceptSubscription(d.invites, d.log, {
    token: presented(el),
    inviter: attr(el, "inviter", JID_MAX, true),
    contact: attr(el, "contact", JID_MAX, true),
    host,
  });
  return undefined;
}
