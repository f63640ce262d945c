// Minimal types for @xmpp/component 0.13 (the package ships none): only what core/xmpp uses.
declare module "@xmpp/component" {
  import type { EventEmitter } from "node:events";
  import type { Element } from "@xmpp/xml";
  import type xmlFn from "@xmpp/xml";

  export interface IncomingContext {
    stanza: Element;
    /** The iq payload, set by the iq callee for get/set requests. */
    element?: Element;
    name: string;
    type: string;
    id: string;
    from: { toString(): string };
    to: { toString(): string };
  }

  export type Middleware = (ctx: IncomingContext, next: () => Promise<unknown>) => unknown;

  export interface Component extends EventEmitter {
    status: string;
    options: { service: string; domain: string };
    jid: { toString(): string } | null;
    socket: { destroy(): void } | null;
    start(): Promise<unknown>;
    stop(): Promise<unknown>;
    send(el: Element): Promise<void>;
    reconnect: { stop(): void; delay: number };
    middleware: { use(fn: Middleware): Middleware; filter(fn: Middleware): Middleware };
    iqCaller: { request(stanza: Element, timeout?: number): Promise<Element> };
  }

  export function component(options: { service: string; domain: string; password: string }): Component;
  export const xml: typeof xmlFn;
}
