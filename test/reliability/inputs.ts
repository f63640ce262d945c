// Adversarial inputs for case 4: fast-check strings of every kind, mixed with known attack
// payloads (injection, path tricks, look-alike usernames, JIDs with resources).
import fc from "fast-check";

export const PAYLOADS = [
  "<script>alert(1)</script>", "\"><script>alert(1)</script>", "'><img src=x onerror=alert(1)>", "<svg/onload=alert(1)>",
  "javascript:alert(1)", "data:text/html,<script>alert(1)</script>", "{{7*7}}", "${7*7}", "<%= 7*7 %>",
  "' OR '1'='1", "'; DROP TABLE keyv; --", "1; SELECT * FROM keyv", "\" OR 1=1 --", "keyv:invites.invite:%",
  "../../../../etc/passwd", "..%2f..%2f..%2fetc%2fpasswd", "%2e%2e%2f", "..\\..\\windows\\win.ini", "/%00", "%00", "%",
  "%E0%A4%A", "%ff%fe", "\u0000", "\r\nSet-Cookie: x=1", "\u202Eevil", "\uFEFF", "\uD800", "\uFFFF", "\uFFFE", "a\u0008b", "x\uDFFFy",
  "аdmin", "ＡＤＭＩＮ", "admin\u200B", "Admin", "ᴀdmin", "adm\u0131n", "admin@localhost", "admin@localhost/res", "user@localhost/../x",
  "a@b@c", "@localhost", "user/resource", "user@", "romeo@example.net", "x".repeat(1100), "é".repeat(600),
  "__proto__", "constructor", "prototype", "toString", "NaN", "-1", "0", "1e309", "99999999999999999999", "unlimited", "-unlimited",
  "true", "null", "[]", "{}", "1 week; rm -rf /", "P1Y", "9999-12-31", "0000-00-00", "2000-01-01T00:00:00Z",
];

const text = fc.oneof(
  fc.constantFrom(...PAYLOADS),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: "grapheme", maxLength: 20 }),
  fc.tuple(fc.constantFrom(...PAYLOADS), fc.string({ maxLength: 10 })).map(([a, b]) => a + b),
  fc.tuple(fc.string({ maxLength: 10 }), fc.constantFrom(...PAYLOADS)).map(([a, b]) => a + b),
);

/** `n` adversarial strings, reproducible by seed. */
export function nasty(n: number, seed: number): string[] {
  return fc.sample(text, { numRuns: n, seed });
}

/** Adversarial JSON-ish values (for JSON bodies). */
export function nastyValues(n: number, seed: number): unknown[] {
  return fc.sample(fc.oneof(text, fc.jsonValue(), fc.integer(), fc.double(), fc.array(text, { maxLength: 3 }), fc.constant(null)), { numRuns: n, seed });
}

/** One of each kind of character XML 1.0 cannot carry (§2.2 Char): controls, U+FFFE, U+FFFF, lone surrogates. */
export const XML_ILLEGAL = ["\u0000", "\u0001", "\u0008", "\u000b", "\u001f", "\ufffe", "\uffff", "\ud800", "\udfff"];

/** Strings an XML stream can carry (XML 1.0 §2.2: no controls, no lone surrogates, no U+FFFE/FFFF). */
export function xmlSafe(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, "").replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, "");
}

/** Inputs that, if a page echoed them unescaped, would be markup. */
export function isMarkup(s: string): boolean {
  return s.length >= 6 && /<[a-z/!%]/i.test(s);
}
