// Mixed-script usernames (UTS #39 §5.1 and §5.2 "Highly Restrictive"): "аlice" with a
// Cyrillic "а" looks like "alice" and would let one user pass for another in a contact list.
// A username's letters must share a script (characters of several scripts count for each,
// by Script_Extensions; Common and Inherited ones such as digits, "." or "_" go with any), or
// be Latin with one of the combinations Japanese, Chinese and Korean writing use.

const SCRIPTS = [
  "Latin", "Greek", "Cyrillic", "Armenian", "Hebrew", "Arabic", "Syriac", "Thaana", "Nko", "Samaritan", "Mandaic",
  "Devanagari", "Bengali", "Gurmukhi", "Gujarati", "Oriya", "Tamil", "Telugu", "Kannada", "Malayalam", "Sinhala",
  "Thai", "Lao", "Tibetan", "Myanmar", "Georgian", "Hangul", "Ethiopic", "Cherokee", "Canadian_Aboriginal", "Ogham",
  "Runic", "Tagalog", "Khmer", "Mongolian", "Hiragana", "Katakana", "Bopomofo", "Han", "Yi", "Tifinagh", "Javanese",
  "Balinese", "Sundanese", "Adlam", "Hanifi_Rohingya", "Ol_Chiki", "Vai", "Bamum", "Coptic", "Glagolitic", "Gothic",
] as const;
type Script = (typeof SCRIPTS)[number] | "Other";

const TESTS = SCRIPTS.map((s) => [s, new RegExp(`^\\p{Script_Extensions=${s}}$`, "u")] as const);
const ANY = /^[\p{Script_Extensions=Common}\p{Script_Extensions=Inherited}]$/u;

/** UTS #39 §5.2: the multi-script combinations that stay "Highly Restrictive". */
const ALLOWED_MIXES: readonly (readonly Script[])[] = [
  ["Latin", "Han", "Hiragana", "Katakana"],
  ["Latin", "Han", "Bopomofo"],
  ["Latin", "Han", "Hangul"],
];

function scriptsOf(ch: string): Set<Script> | undefined {
  if (ANY.test(ch)) return undefined;
  const found = new Set<Script>(TESTS.filter(([, re]) => re.test(ch)).map(([s]) => s));
  return found.size ? found : new Set<Script>(["Other"]);
}

/** The scripts a name mixes when they are not allowed together, e.g. ["Latin", "Cyrillic"]; undefined when fine. */
export function mixedScripts(name: string): Script[] | undefined {
  let resolved: Set<Script> | undefined;
  const seen = new Set<Script>();
  for (const ch of name) {
    const s = scriptsOf(ch);
    if (!s) continue;
    // The first script each character can be written in, to name them if they clash.
    seen.add([...s][0]!);
    resolved = resolved ? new Set([...resolved].filter((x) => s.has(x))) : s;
  }
  if (!resolved || resolved.size > 0) return undefined;
  const used = [...seen];
  if (ALLOWED_MIXES.some((mix) => used.every((s) => mix.includes(s)))) return undefined;
  return used;
}
