// HTML built with a tagged template that escapes every interpolated value, so a page
// cannot forget to escape: only values already wrapped as Html pass through unchanged.

export class Html {
  constructor(readonly text: string) {}
  toString(): string { return this.text; }
}

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

const SPECIAL = /[&<>"']/;

export function esc(value: unknown): string {
  const text = String(value);
  // Most values need no escaping; testing first avoids building a new string.
  return SPECIAL.test(text) ? text.replace(/[&<>"']/g, (c) => ESCAPES[c]!) : text;
}

type Part = Html | string | number | boolean | null | undefined | readonly Part[];

function render(part: Part): string {
  if (part === null || part === undefined || part === false || part === true) return "";
  if (part instanceof Html) return part.text;
  if (Array.isArray(part)) return part.map(render).join("");
  return esc(part);
}

/** html`<p>${text}</p>`: strings are escaped, Html and arrays of Html are inserted as is. */
export function html(strings: TemplateStringsArray, ...values: Part[]): Html {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1]!;
  return new Html(out);
}

/** Trusted markup produced by code (e.g. the QR code SVG), never by user input. */
export function raw(text: string): Html {
  return new Html(text);
}

/** Only http(s), xmpp: and same-site URLs may go into href/src; anything else becomes "#". */
export function safeUrl(url: string | undefined): string {
  if (!url) return "#";
  if (/^(https?:|xmpp:|data:image\/(png|svg\+xml|jpeg|webp|gif);)/i.test(url)) return url;
  // A protocol-relative "//host" would leave the site.
  if (url.startsWith("//") || /^[a-z][a-z0-9+.-]*:/i.test(url)) return "#";
  return url;
}
