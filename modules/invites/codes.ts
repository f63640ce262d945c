// Short codes to read over the phone (as Plexus pairing codes, Mastodon invite codes):
// upper-case letters and digits without the look-alikes 0/O and 1/I/l.
import { randomBytes } from "node:crypto";

/** 32 symbols, so one random byte masked to 5 bits picks one without bias. */
export const CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

export function newCode(length: number): string {
  if (!Number.isInteger(length) || length < 6 || length > 8) throw new RangeError("short code length must be 6..8");
  const bytes = randomBytes(length);
  let code = "";
  for (const b of bytes) code += CODE_ALPHABET[b & 31];
  return code;
}

/** What a person typed ("abcd-efgh", "ABCD EFGH") to the stored form, or undefined. */
export function normalizeCode(input: string): string | undefined {
  const code = input.replace(/[\s-]/g, "").toUpperCase();
  if (code.length < 6 || code.length > 8) return undefined;
  for (const ch of code) if (!CODE_ALPHABET.includes(ch)) return undefined;
  return code;
}

/** Grouped for reading aloud: ABCD-EFGH, ABC-DEF. */
export function formatCode(code: string): string {
  const half = Math.ceil(code.length / 2);
  return `${code.slice(0, half)}-${code.slice(half)}`;
}
