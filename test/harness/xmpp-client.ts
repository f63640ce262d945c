// A small XMPP user for integration tests: logs in over plain c2s on the test
// Prosody's port and offers iq, roster and ad-hoc helpers.
import { client, xml } from "@xmpp/client";
import type { Element } from "@xmpp/xml";

export { xml };
export type { Element };

export interface TestClient {
  /** Full JID after resource binding. */
  readonly jid: string;
  /** Sends an iq (id added when missing) and resolves with the whole reply; an error reply rejects with StanzaError (has .condition). */
  iq(el: Element, timeoutMs?: number): Promise<Element>;
  /** jabber:iq:roster get (RFC 6121 §2.1.3). */
  roster(): Promise<{ jid: string; name?: string; subscription: string; groups: string[] }[]>;
  /** Runs a XEP-0050 command: execute, then (if values are given and a form came back) submit them. Returns the last <command/>. */
  adhoc(to: string, node: string, values?: Record<string, string | string[]>): Promise<Element>;
  /** Lists the XEP-0050 commands `to` offers this user (disco#items on the commands node). */
  commands(to: string): Promise<{ node: string; name?: string }[]>;
  /** Sends a stanza that has no answer (presence, message). */
  send(el: Element): Promise<void>;
  /** Stanzas the server pushed (messages, presences, roster pushes), newest last. */
  readonly received: Element[];
  close(): Promise<void>;
}

const NS_COMMANDS = "http://jabber.org/protocol/commands";

export async function loginClient(opts: { port: number; jid: string; password: string; host?: string; resource?: string }): Promise<TestClient> {
  const [local, domain] = opts.jid.split("@");
  if (!local || !domain) throw new Error(`loginClient: expected user@domain, got ${opts.jid}`);
  const xmpp = client({
    service: `xmpp://${opts.host ?? "127.0.0.1"}:${opts.port}`,
    domain,
    username: local,
    password: opts.password,
    resource: opts.resource ?? "test",
  });
  // The test decides what a lost connection means; no silent retries.
  xmpp.reconnect.stop();
  // @xmpp/sasl 0.13 expects synchronous mechanisms, but sasl-scram-sha-1 1.4 answers with a
  // promise and sends an empty response; hide SCRAM so PLAIN (allowed by the test config) is used.
  xmpp.prependListener("element", (el: Element) => {
    const mechs = el.is("features", "http://etherx.jabber.org/streams") ? el.getChild("mechanisms", "urn:ietf:params:xml:ns:xmpp-sasl") : undefined;
    if (mechs) mechs.children = mechs.children.filter((m) => typeof m === "string" || !m.text().startsWith("SCRAM-"));
  });
  const received: Element[] = [];
  let lastError: Error | undefined;
  xmpp.on("error", (e: Error) => { lastError = e; });
  xmpp.on("stanza", (el: Element) => { if (!el.is("iq")) received.push(el); });
  try {
    await xmpp.start();
  } catch (e) {
    try { await xmpp.stop(); } catch { /* already down */ }
    const why = (e as Error).message || lastError?.message || String(e);
    throw new Error(`login as ${opts.jid} failed: ${why}`, { cause: e });
  }
  await xmpp.send(xml("presence"));

  const iq = (el: Element, timeoutMs = 10000) => xmpp.iqCaller.request(el, timeoutMs) as Promise<Element>;

  return {
    jid: String(xmpp.jid),
    received,
    iq,
    send: (el) => xmpp.send(el),
    async roster() {
      const reply = await iq(xml("iq", { type: "get" }, xml("query", { xmlns: "jabber:iq:roster" })));
      return (reply.getChild("query", "jabber:iq:roster")?.getChildren("item") ?? []).map((item) => ({
        jid: String(item.attrs.jid),
        ...(item.attrs.name ? { name: String(item.attrs.name) } : {}),
        subscription: String(item.attrs.subscription ?? "none"),
        groups: item.getChildren("group").map((g) => g.text()),
      }));
    },
    async adhoc(to, node, values) {
      const first = await iq(xml("iq", { type: "set", to }, xml("command", { xmlns: NS_COMMANDS, node, action: "execute" })));
      const cmd = first.getChild("command", NS_COMMANDS);
      if (!cmd) throw new Error(`no <command/> in the reply from ${to}`);
      if (!values || cmd.attrs.status !== "executing") return cmd;
      const fields = Object.entries(values).map(([k, v]) =>
        xml("field", { var: k }, ...(Array.isArray(v) ? v : [v]).map((one) => xml("value", {}, one))));
      const second = await iq(xml("iq", { type: "set", to },
        xml("command", { xmlns: NS_COMMANDS, node, sessionid: cmd.attrs.sessionid, action: "complete" },
          xml("x", { xmlns: "jabber:x:data", type: "submit" }, ...fields))));
      const done = second.getChild("command", NS_COMMANDS);
      if (!done) throw new Error(`no <command/> in the second reply from ${to}`);
      return done;
    },
    async commands(to) {
      const reply = await iq(xml("iq", { type: "get", to }, xml("query", { xmlns: "http://jabber.org/protocol/disco#items", node: NS_COMMANDS })));
      return (reply.getChild("query")?.getChildren("item") ?? []).map((item) => ({
        node: String(item.attrs.node),
        ...(item.attrs.name ? { name: String(item.attrs.name) } : {}),
      }));
    },
    async close() {
      try { await xmpp.stop(); } catch { /* the server may already be gone */ }
    },
  };
}
