// The XEP-0114 component link: connects, reconnects with backoff, answers disco,
// ping, XEP-0050 commands and module IQ handlers, records XEP-0356 privileges,
// and carries the AdminPort's requests.
import { EventEmitter } from "node:events";
import { component, type Component, type IncomingContext } from "@xmpp/component";
import type { Element } from "@xmpp/xml";
import type { Logger } from "pino";
import type { AdhocCommand, IqRequest } from "../types.js";
import { adminErrors, type AdminPort } from "../admin.js";
import { AdhocService, NS_COMMANDS } from "./adhoc.js";
import { createAdminPort, RemoteStanzaError } from "./admin-ops.js";
import { CapabilityTracker } from "./capabilities.js";
import { EjabberdApi, type EjabberdApiConfig } from "./ejabberd-api.js";
import { discoInfo, discoItems, NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING } from "./disco.js";
import { errorElement, errorFor, readError } from "./stanza-errors.js";
import { readPrivileges, type Advertised } from "./privileges.js";
import { illegalInElement, sanitizeElement } from "./xml-chars.js";
import { PendingRequests } from "./pending.js";
import { coreErrors } from "../errors.js";
import xml from "@xmpp/xml";
import { randomBytes } from "node:crypto";

export interface LinkOptions {
  jid: string;
  secret: string;
  /** "host:port" of the server's component port. */
  server: string;
  hosts: readonly string[];
  log: Logger;
  isAdmin(bareJid: string): boolean;
  commands: ReadonlyMap<string, AdhocCommand>;
  /** Keyed `${type} ${xmlns}` of the payload. */
  iqHandlers: ReadonlyMap<string, (iq: IqRequest) => Promise<Element | void> | Element | void>;
  name?: string;
  timeoutMs?: number;
  /** ejabberd's HTTP API (config key ejabberd_api), for contacts and account checks there. */
  ejabberdApi?: EjabberdApiConfig;
}

const FIRST_DELAY_MS = 500;
// Bounds how long the component stays away after the server is back: at most this plus a
// handshake (docs/reliability.md promises under 5 s).
const MAX_DELAY_MS = 3000;

export class ComponentLink extends EventEmitter {
  readonly admin: AdminPort;
  private entity: Component | undefined;
  private online = false;
  private stopped = true;
  private delay = FIRST_DELAY_MS;
  private retryTimer: NodeJS.Timeout | undefined;
  private error: string | undefined;
  private warned: string | undefined;
  private readonly privilegesByHost = new Map<string, Advertised>();
  /** What the server can do, learnt on each connection before "online" is emitted. */
  readonly capabilities: CapabilityTracker;
  private readonly adhoc: AdhocService;
  private readonly log: Logger;
  private readonly timeoutMs: number;
  /** Requests sent and not yet answered. */
  private readonly pending = new PendingRequests();

  constructor(private readonly opts: LinkOptions) {
    super();
    // Every request in flight waits for "offline" (to fail at once when the link drops), so
    // more than ten concurrent requests are normal, not a leak.
    this.setMaxListeners(0);
    this.log = opts.log;
    this.timeoutMs = opts.timeoutMs ?? 10000;
    this.adhoc = new AdhocService({ commands: opts.commands, hosts: opts.hosts, isAdmin: (j) => opts.isAdmin(j) });
    const state = { connected: () => this.online, privileges: () => this.privileges };
    const ejabberdApi = opts.ejabberdApi ? new EjabberdApi(opts.ejabberdApi, this.timeoutMs) : undefined;
    this.capabilities = new CapabilityTracker({
      hosts: opts.hosts, componentJid: opts.jid, log: this.log, api: ejabberdApi,
      request: (iq) => this.request(iq),
      privilegesFor: (host) => this.privilegesByHost.get(host),
    });
    this.admin = createAdminPort({
      get connected() { return state.connected(); },
      get privileges() { return state.privileges(); },
      hosts: opts.hosts,
      privilegesFor: (domain) => this.privilegesByHost.get(domain)?.perms ?? {},
      iqPrivilegesFor: (domain) => this.privilegesByHost.get(domain)?.iq ?? {},
      request: (iq) => this.request(iq),
      capabilities: this.capabilities,
      ...(ejabberdApi ? { ejabberdApi } : {}),
    });
  }

  get connected(): boolean { return this.online; }
  get lastError(): string | undefined { return this.error; }

  /** What the servers granted on this connection, merged over hosts. */
  get privileges(): Readonly<Record<string, string>> {
    return Object.assign({}, ...[...this.privilegesByHost.values()].map((a) => a.perms)) as Record<string, string>;
  }

  /** Starts connecting in the background; the link then keeps itself connected until stop(). */
  async start(): Promise<void> {
    if (!this.stopped) return;
    this.stopped = false;
    this.delay = FIRST_DELAY_MS;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    const entity = this.entity;
    this.entity = undefined;
    this.setOffline();
    if (!entity) return;
    entity.removeAllListeners("disconnect");
    try {
      await withTimeout(entity.stop(), 3000);
    } catch {
      entity.socket?.destroy();
    }
  }

  private connect(): void {
    if (this.stopped) return;
    const entity = component({ service: `xmpp://${this.opts.server}`, domain: this.opts.jid, password: this.opts.secret });
    // Our own backoff replaces the library's fixed one-second retry.
    entity.reconnect.stop();
    this.entity = entity;
    entity.on("error", (err: Error) => {
      if (this.entity !== entity) return; // a stopped connection's last words
      this.error = describe(err);
      this.log.debug({ err: this.error }, "component link error");
    });
    entity.on("disconnect", () => this.lost(entity));
    guardSend(entity, this.log);
    entity.middleware.use((ctx, next) => this.incoming(ctx, next));
    this.log.debug({ server: this.opts.server, jid: this.opts.jid }, "connecting to the XMPP server");
    entity.start().then(
      () => {
        if (this.entity !== entity) return;
        this.online = true;
        this.delay = FIRST_DELAY_MS;
        this.error = undefined;
        this.warned = undefined;
        this.log.info({ server: this.opts.server, jid: this.opts.jid }, "connected to the XMPP server");
        // "online" once the component knows what this server can do (bounded by timeoutMs).
        void this.capabilities.discover()
          .catch((err: unknown) => this.log.warn({ err }, "could not learn the server's capabilities"))
          .then(() => { if (this.entity === entity && this.online) this.emit("online"); });
      },
      (err: Error) => {
        if (this.entity !== entity) return;
        const why = describe(err);
        // Warn once per distinct failure; the retries every few seconds go to debug.
        const level = why === this.warned ? "debug" : "warn";
        this.warned = why;
        this.error = why;
        this.log[level]({ server: this.opts.server, err: why, retryInMs: this.delay }, "could not connect to the XMPP server");
        // A refused handshake leaves the socket open: close it, and retry from lost().
        if (entity.status === "disconnect" || entity.status === "offline") this.lost(entity);
        else entity.socket?.destroy();
      },
    );
  }

  private lost(entity: Component): void {
    if (this.entity !== entity) return;
    this.entity = undefined;
    entity.removeAllListeners("disconnect");
    if (this.online) this.log.warn({ server: this.opts.server }, "disconnected from the XMPP server; reconnecting");
    this.setOffline();
    if (this.stopped) return;
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
  }

  private setOffline(): void {
    this.privilegesByHost.clear();
    this.capabilities.reset();
    if (!this.online) return;
    this.online = false;
    this.emit("offline");
  }

  /** One request to the server, bounded by timeoutMs and by the connection's life; answered only from where it went (pending.ts). */
  private async request(iq: Element): Promise<Element> {
    const entity = this.entity;
    if (!entity || !this.online) throw adminErrors.not_connected();
    const bad = illegalInElement(iq);
    if (bad) throw coreErrors.bad_request(`This cannot be sent to the XMPP server: it contains ${bad.char}, a character XML cannot carry`, { where: bad.where });
    const id = randomBytes(9).toString("base64url");
    iq.attrs.id = id;
    let onLost: (() => void) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const failed = new Promise<never>((_, reject) => {
      onLost = () => reject(adminErrors.not_connected("The XMPP server went away during the request; try again shortly"));
      this.once("offline", onLost);
      timer = setTimeout(() => reject(adminErrors.timeout()), this.timeoutMs);
    });
    const answered = this.pending.add(id, String(iq.attrs.to ?? ""));
    try {
      await entity.send(iq);
      const reply = await Promise.race([answered, failed]);
      if (reply.attrs.type === "error") {
        const r = readError(reply);
        throw new RemoteStanzaError(r.condition, r.type, r.text);
      }
      return reply;
    } finally {
      this.pending.forget(id);
      clearTimeout(timer);
      if (onLost) this.off("offline", onLost);
    }
  }


  private async incoming(ctx: IncomingContext, next: () => Promise<unknown>): Promise<unknown> {
    const { stanza } = ctx;
    if (stanza.is("message")) {
      const perms = readPrivileges(stanza, this.opts.hosts);
      if (perms) {
        this.privilegesByHost.set(perms.host, perms);
        this.log.info({ host: perms.host, namespace: perms.namespace, privileges: perms.perms, iq: perms.iq }, "XEP-0356 privileges granted");
      }
      return undefined;
    }
    if (stanza.is("iq") && (stanza.attrs.type === "result" || stanza.attrs.type === "error")) {
      if (this.pending.answer(stanza) === "ignored") this.log.warn({ from: stanza.attrs.from, id: stanza.attrs.id }, "ignored an answer to one of our requests from another JID");
      return undefined;
    }
    // The library's iq callee has already checked the shape and set ctx.element for get/set.
    if (!stanza.is("iq") || !ctx.element) return next();
    const from = String(stanza.attrs.from ?? "");
    const type = stanza.attrs.type as "get" | "set";
    try {
      return (await this.answer(from, type, ctx.element, stanza)) ?? true;
    } catch (e) {
      return errorFor(e, this.log, { from, type, xmlns: ctx.element.attrs.xmlns, node: ctx.element.attrs.node });
    }
  }

  /** Returns the result payload, or undefined for an empty result. */
  private async answer(from: string, type: "get" | "set", el: Element, stanza: Element): Promise<Element | undefined> {
    const xmlns = String(el.attrs.xmlns ?? "");
    const name = this.opts.name ?? "Invites";
    if (type === "get" && el.is("query", NS_DISCO_INFO)) return discoInfo(el, from, this.adhoc, this.opts.commands, name);
    if (type === "get" && el.is("query", NS_DISCO_ITEMS)) return discoItems(el, from, this.adhoc, this.opts.jid);
    if (type === "get" && el.is("ping", NS_PING)) return undefined;
    if (type === "set" && el.is("command", NS_COMMANDS)) return this.adhoc.execute(from, el);
    const handler = this.opts.iqHandlers.get(`${type} ${xmlns}`);
    // RFC 6120 §8.3.3.19: an IQ we do not understand.
    if (!handler) return errorElement("cancel", "service-unavailable");
    const reply = await handler({ from, to: String(stanza.attrs.to ?? ""), id: String(stanza.attrs.id ?? ""), type, element: el });
    return reply ?? undefined;
  }
}

/**
 * Every stanza the component writes passes here (@xmpp/connection's send serialises it).
 * One holding a character XML cannot carry would make the server close the stream: an
 * answer becomes an error answer for that request, any other stanza has the characters
 * replaced, and the link stays up.
 */
function guardSend(entity: Component, log: Logger): void {
  const send = entity.send.bind(entity);
  entity.send = (el: Element) => {
    const bad = illegalInElement(el);
    if (!bad) return send(el);
    log.warn({ where: bad.where, char: bad.char }, "a stanza held a character XML cannot carry; not sent as it was");
    if (el.is("iq") && el.attrs.type === "result") {
      return send(xml("iq", { type: "error", to: el.attrs.to, from: el.attrs.from, id: el.attrs.id },
        errorElement("modify", "bad-request", `The answer would contain ${bad.char}, a character XML cannot carry`)));
    }
    sanitizeElement(el);
    return send(el);
  };
}

function describe(err: Error & { condition?: string; code?: string }): string {
  if (err.name === "StreamError") return `stream error: ${err.condition ?? err.message}${err.condition === "not-authorized" ? " (wrong component secret?)" : ""}`;
  return err.code && !err.message.includes(err.code) ? `${err.code}: ${err.message}` : err.message;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error("timeout")), ms); })])
    .finally(() => clearTimeout(timer));
}
