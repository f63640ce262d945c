// Username (JID localpart) checking with PRECIS UsernameCaseMapped, the profile RFC 7622
// §3.3 requires for localparts (RFC 8265 §3.3, IdentifierClass of RFC 8264 §4.2), plus the
// eight characters RFC 7622 §3.3.1 excludes from localparts. Prosody still uses the older
// stringprep "nodeprep" (RFC 6122); PRECIS is stricter (it refuses symbols such as "☃"
// that nodeprep allows), so a name accepted here is accepted by a nodeprep server too.
// No npm package implements PRECIS, so the rules are written out below; the Bidi rule
// (RFC 5893) is applied with right-to-left detected by script, not by the full Bidi_Class.

import { mixedScripts } from "./scripts.js";

export type UsernameCheck = { ok: true; username: string } | { ok: false; reason: string };

export interface UsernameRules {
  /** Practical limit in characters (web forms); the protocol limit of 1023 bytes always applies. */
  maxLength?: number;
}

/** RFC 7622 §3.3.1: not allowed in a localpart even though ASCII7 allows them. */
const EXCLUDED = new Set(['"', "&", "'", "/", ":", "<", ">", "@"]);
const MAX_BYTES = 1023;

const LETTER_DIGITS = /^[\p{Ll}\p{Lu}\p{Lo}\p{Nd}\p{Lm}\p{Mn}\p{Mc}]$/u;
const OTHER_LETTER_DIGITS = /^[\p{Lt}\p{Nl}\p{No}\p{Me}]$/u;
const IGNORABLE = /^[\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}]$/u;
const RTL_SCRIPT = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}\p{Script=Samaritan}\p{Script=Mandaic}\p{Script=Adlam}\p{Script=Hanifi_Rohingya}]/u;
const RTL_LETTER = /^[\p{L}\p{Nd}]$/u;
const STRONG_LTR = /^[\p{L}\p{Mc}\p{Nd}]$/u;
const NSM = /^[\p{Mn}\p{Me}]$/u;
/** RFC 8264 §9.1 exceptions whose value is DISALLOWED. */
const EXCEPTION_DISALLOWED = new Set([0x0640, 0x07fa, 0x302e, 0x302f, 0x3031, 0x3032, 0x3033, 0x3034, 0x3035, 0x303b]);

const hex = (cp: number) => "U+" + cp.toString(16).toUpperCase().padStart(4, "0");
const show = (ch: string) => {
  const cp = ch.codePointAt(0)!;
  return cp >= 0x21 && cp <= 0x7e ? `"${ch}"` : hex(cp);
};

/** RFC 8265 §3.3.1 steps 1-3 and 5: width mapping, case mapping, NFC. */
export function prepareUsername(input: string): string {
  // Width mapping: only the Halfwidth and Fullwidth Forms block and the ideographic space
  // carry <wide>/<narrow> decompositions in practice, so NFKC is applied to those alone.
  const widened = input.replace(/[\u3000\uFF01-\uFFEE]/g, (ch) => ch.normalize("NFKC"));
  return widened.toLowerCase().normalize("NFC");
}

/** Why a code point is not allowed in a localpart, or undefined when it is (RFC 8264 §8 order). */
function refuse(chars: string[], i: number): string | undefined {
  const ch = chars[i]!;
  const cp = ch.codePointAt(0)!;
  if (EXCEPTION_DISALLOWED.has(cp)) return `${hex(cp)} is not allowed`;
  if (cp === 0x00b7) return chars[i - 1] === "l" && chars[i + 1] === "l" ? undefined : "a middle dot is only allowed between two \"l\"";
  if (cp === 0x0375) return /\p{Script=Greek}/u.test(chars[i + 1] ?? "") ? undefined : `${hex(cp)} must be followed by a Greek letter`;
  if (cp === 0x05f3 || cp === 0x05f4) return /\p{Script=Hebrew}/u.test(chars[i - 1] ?? "") ? undefined : `${hex(cp)} must follow a Hebrew letter`;
  if (cp === 0x30fb) return chars.some((c) => /[\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Han}]/u.test(c)) ? undefined : `${hex(cp)} needs Japanese text around it`;
  if (cp <= 0x7f) {
    if (cp <= 0x20 || cp === 0x7f) return cp === 0x20 ? "spaces are not allowed" : `control character ${hex(cp)} is not allowed`;
    return EXCLUDED.has(ch) ? `${show(ch)} is not allowed in a username` : undefined;
  }
  if (cp === 0x200c || cp === 0x200d) return `joiner ${hex(cp)} is not allowed`;
  if ((cp >= 0x1100 && cp <= 0x11ff) || (cp >= 0xa960 && cp <= 0xa97f) || (cp >= 0xd7b0 && cp <= 0xd7ff)) return `old Hangul jamo ${hex(cp)} is not allowed`;
  if (IGNORABLE.test(ch)) return `invisible character ${hex(cp)} is not allowed`;
  if (/^\p{Cc}$/u.test(ch)) return `control character ${hex(cp)} is not allowed`;
  if (/^\p{Cn}$/u.test(ch)) return `unassigned code point ${hex(cp)} is not allowed`;
  if (ch.normalize("NFKC") !== ch) return `${hex(cp)} is a compatibility character; write ${JSON.stringify(ch.normalize("NFKC"))} instead`;
  if (LETTER_DIGITS.test(ch)) return undefined;
  if (OTHER_LETTER_DIGITS.test(ch)) return `${hex(cp)} is not a letter or digit allowed in usernames`;
  if (/^\p{Zs}$/u.test(ch)) return "spaces are not allowed";
  if (/^[\p{Sm}\p{Sc}\p{Sk}\p{So}]$/u.test(ch)) return `symbol ${hex(cp)} is not allowed`;
  if (/^\p{P}$/u.test(ch)) return `punctuation ${hex(cp)} is not allowed (only ASCII punctuation is)`;
  return `${hex(cp)} is not allowed`;
}

/** RFC 5893 Bidi rule for strings that contain right-to-left characters. */
function bidiProblem(chars: string[]): string | undefined {
  if (!chars.some((c) => RTL_SCRIPT.test(c))) return undefined;
  const isRtl = (c: string) => RTL_SCRIPT.test(c) && RTL_LETTER.test(c);
  if (!isRtl(chars[0]!)) return "a right-to-left username must start with a right-to-left letter";
  if (chars.some((c) => !RTL_SCRIPT.test(c) && STRONG_LTR.test(c) && !/^[0-9]$/.test(c))) return "a username cannot mix right-to-left and left-to-right letters";
  let end = chars.length - 1;
  while (end > 0 && NSM.test(chars[end]!)) end--;
  const last = chars[end]!;
  if (!isRtl(last) && !/^[0-9]$/.test(last)) return "a right-to-left username must end with a letter or digit";
  const european = chars.some((c) => /^[0-9\u06F0-\u06F9]$/.test(c));
  const arabic = chars.some((c) => /^[\u0660-\u0669]$/.test(c));
  if (european && arabic) return "a username cannot mix Arabic-Indic and European digits";
  return undefined;
}

/** Prepares and enforces a localpart; returns the canonical username or the reason it is refused. */
export function checkUsername(input: string, rules: UsernameRules = {}): UsernameCheck {
  if (typeof input !== "string") return { ok: false, reason: "username must be text" };
  const username = prepareUsername(input);
  if (username.length === 0) return { ok: false, reason: "username is empty" };
  const chars = [...username];
  for (let i = 0; i < chars.length; i++) {
    const why = refuse(chars, i);
    if (why !== undefined) return { ok: false, reason: why };
  }
  if (Buffer.byteLength(username, "utf8") > MAX_BYTES) return { ok: false, reason: `username is longer than ${MAX_BYTES} bytes` };
  if (rules.maxLength !== undefined && chars.length > rules.maxLength) return { ok: false, reason: `username is longer than ${rules.maxLength} characters` };
  const bidi = bidiProblem(chars);
  if (bidi !== undefined) return { ok: false, reason: bidi };
  const mixed = mixedScripts(username);
  if (mixed) return { ok: false, reason: `it mixes ${mixed.join(" and ")} letters, which lets a name pass for another one (write it in one script)` };
  // PRECIS requires the result to be stable under a second application (RFC 8264 §7).
  if (prepareUsername(username) !== username) return { ok: false, reason: "username does not have a stable canonical form" };
  return { ok: true, username };
}
