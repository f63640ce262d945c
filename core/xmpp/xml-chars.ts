// XML 1.0 §2.2 Char: #x9 | #xA | #xD | [#x20-#xD7FF] | [#xE000-#xFFFD] | [#x10000-#x10FFFF].
// Anything else (NUL and other controls, U+FFFE, U+FFFF, lone surrogates) cannot appear in
// a stanza: the server would close the whole component stream (not-well-formed), dropping
// every request in flight. Inputs are checked where they arrive (checkXmlText), and the link
// checks every stanza before it is written (illegalXmlChar), as the last line of defence.
import type { Element } from "@xmpp/xml";

const ILLEGAL = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;
const ILLEGAL_ALL = new RegExp(ILLEGAL.source, "gu");

const hex = (cp: number) => `U+${cp.toString(16).toUpperCase().padStart(4, "0")}`;

/** The first character of `text` that XML cannot carry, as "U+FFFF"; undefined when there is none. */
export function illegalXmlChar(text: string): string | undefined {
  const m = ILLEGAL.exec(text);
  return m ? hex(m[0].codePointAt(0)!) : undefined;
}

/** `text` with every character XML cannot carry replaced by U+FFFD. */
export function xmlSafe(text: string): string {
  return ILLEGAL.test(text) ? text.replace(ILLEGAL_ALL, "\uFFFD") : text;
}

/** Where an element (attributes and text, all the way down) holds a character XML cannot carry. */
export function illegalInElement(el: Element, path = el.name): { where: string; char: string } | undefined {
  for (const [k, v] of Object.entries(el.attrs)) {
    const char = typeof v === "string" ? illegalXmlChar(v) : undefined;
    if (char) return { where: `${path}/@${k}`, char };
  }
  for (const child of el.children) {
    if (typeof child === "string") {
      const char = illegalXmlChar(child);
      if (char) return { where: `${path}/text()`, char };
    } else {
      const found = illegalInElement(child, `${path}/${child.name}`);
      if (found) return found;
    }
  }
  return undefined;
}

/** Replaces, in place, every character XML cannot carry (for texts we only pass on, such as error texts). */
export function sanitizeElement(el: Element): void {
  for (const [k, v] of Object.entries(el.attrs)) if (typeof v === "string") el.attrs[k] = xmlSafe(v);
  el.children = el.children.map((c) => (typeof c === "string" ? xmlSafe(c) : (sanitizeElement(c), c)));
}
