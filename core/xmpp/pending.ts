// Our requests waiting for their answers, by id. An answer counts only when it comes from the
// JID the request went to (RFC 6120 §8.2.3: the reply is addressed from the entity that was
// asked): a stanza with a matching id from anyone else is ignored, so nobody can answer for
// the server.
import type { Element } from "@xmpp/xml";

export class PendingRequests {
  private readonly waiting = new Map<string, { to: string; settle(reply: Element): void }>();

  /** Registers a request; the promise resolves with the answer (an iq result or error). */
  add(id: string, to: string): Promise<Element> {
    return new Promise((resolve) => this.waiting.set(id, { to: to.toLowerCase(), settle: resolve }));
  }

  forget(id: string): void {
    this.waiting.delete(id);
  }

  /** Hands an iq result or error to its request; "ignored" when it is not the answer it claims to be. */
  answer(stanza: Element): "settled" | "ignored" | "unknown" {
    const id = String(stanza.attrs.id ?? "");
    const p = this.waiting.get(id);
    if (!p) return "unknown";
    if (String(stanza.attrs.from ?? "").toLowerCase() !== p.to) return "ignored";
    this.waiting.delete(id);
    p.settle(stanza);
    return "settled";
  }

  get size(): number { return this.waiting.size; }
}
