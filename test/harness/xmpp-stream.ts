// What an app does with an invite before it has an account: a plain TCP XML stream to the
// server (RFC 6120 §4.2), its stream features, then raw stanzas (XEP-0445 <preauth/>,
// XEP-0077 in-band registration). No SASL: the app logs in afterwards (xmpp-client.ts).
import { connect } from "node:net";
import xml, { type Element, type Parser as XmlParser } from "@xmpp/xml";

// @xmpp/xml is CommonJS: its Parser is a property of the default export (Node's ESM loader
// does not see it as a named export).
const { Parser } = xml as unknown as { Parser: typeof XmlParser };

export { xml };

/** An error reply, with the condition, type and text of its <error/> (RFC 6120 §8.3). */
export class StanzaRefusal extends Error {
  constructor(readonly condition: string, readonly type: string, readonly text: string) {
    super(`${type}/${condition}${text ? `: ${text}` : ""}`);
    this.name = "StanzaRefusal";
  }
}

export interface RawStream {
  /** The <stream:features/> the server sent to this unauthenticated stream. */
  readonly features: Element;
  /** Sends an iq (an id is added) and resolves with the result; an error reply rejects with a StanzaRefusal. */
  iq(el: Element, timeoutMs?: number): Promise<Element>;
  close(): Promise<void>;
}

const NS_STANZAS = "urn:ietf:params:xml:ns:xmpp-stanzas";
let counter = 0;

function refusal(stanza: Element): StanzaRefusal {
  const error = stanza.getChild("error");
  const condition = error?.children.find((c): c is Element => typeof c !== "string" && c.attrs.xmlns === NS_STANZAS && c.name !== "text");
  return new StanzaRefusal(condition?.name ?? "undefined-condition", String(error?.attrs.type ?? ""), error?.getChildText("text", NS_STANZAS) ?? "");
}

export function openStream(opts: { port: number; domain: string; host?: string; timeoutMs?: number; localAddress?: string }): Promise<RawStream> {
  const socket = connect({ port: opts.port, host: opts.host ?? "127.0.0.1", ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) });
  const parser = new Parser();
  const waiting = new Map<string, { resolve(el: Element): void; reject(e: Error): void }>();
  let closed = false;
  const fail = (e: Error) => { for (const w of waiting.values()) w.reject(e); waiting.clear(); };

  socket.on("data", (chunk) => parser.write(chunk.toString("utf8")));
  socket.on("close", () => { closed = true; fail(new Error("the server closed the stream")); });
  socket.on("error", (e) => fail(e));
  parser.on("element", (el: Element) => {
    const w = el.is("iq") ? waiting.get(String(el.attrs.id)) : undefined;
    if (!w) return;
    waiting.delete(String(el.attrs.id));
    if (el.attrs.type === "error") w.reject(refusal(el));
    else w.resolve(el);
  });

  const send = (text: string) => socket.write(text);
  const stream: Omit<RawStream, "features"> = {
    iq(el, timeoutMs = 15_000) {
      const id = `raw${++counter}`;
      el.attrs.id = id;
      return new Promise<Element>((resolve, reject) => {
        if (closed) { reject(new Error("the stream is closed")); return; }
        const timer = setTimeout(() => { waiting.delete(id); reject(new Error(`no answer to ${el.toString().slice(0, 120)} within ${timeoutMs} ms`)); }, timeoutMs);
        waiting.set(id, {
          resolve: (r) => { clearTimeout(timer); resolve(r); },
          reject: (e) => { clearTimeout(timer); reject(e); },
        });
        send(el.toString());
      });
    },
    close() {
      if (closed) return Promise.resolve();
      return new Promise<void>((resolve) => {
        socket.once("close", () => resolve());
        send("</stream:stream>");
        socket.end();
        setTimeout(() => socket.destroy(), 2000).unref();
      });
    },
  };

  return new Promise<RawStream>((resolve, reject) => {
    const timer = setTimeout(() => { socket.destroy(); reject(new Error(`no stream features from 127.0.0.1:${opts.port} within ${opts.timeoutMs ?? 10_000} ms`)); }, opts.timeoutMs ?? 10_000);
    socket.once("error", (e) => { clearTimeout(timer); reject(e); });
    parser.on("element", function features(el: Element) {
      if (!el.is("features", "http://etherx.jabber.org/streams")) return;
      parser.off("element", features);
      clearTimeout(timer);
      resolve({ ...stream, features: el });
    });
    socket.once("connect", () => {
      send(`<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' to='${opts.domain}' version='1.0' xml:lang='en'>`);
    });
  });
}

/** XEP-0445 §3: <preauth/> with the invite's token. */
export function preauth(s: RawStream, domain: string, token: string): Promise<Element> {
  return s.iq(xml("iq", { type: "set", to: domain }, xml("preauth", { xmlns: "urn:xmpp:pars:0", token })));
}

/** XEP-0077 §3.1: registers (or, with a reset invite, sets the password of) username. */
export function register(s: RawStream, domain: string, username: string, password: string): Promise<Element> {
  return s.iq(xml("iq", { type: "set", to: domain }, xml("query", { xmlns: "jabber:iq:register" }, xml("username", {}, username), xml("password", {}, password))));
}

/** What an app does with `xmpp:…?register;preauth=T`: connect, preauth, register, close. */
export async function registerInApp(opts: { port: number; domain: string; token: string; username: string; password: string }): Promise<void> {
  const s = await openStream(opts);
  try {
    await preauth(s, opts.domain, opts.token);
    await register(s, opts.domain, opts.username, opts.password);
  } finally {
    await s.close();
  }
}
