// Agreements a host requires before an account is created (the `agreements` option): an
// id, a title and a text (inline, or a Markdown file beside the config) per language, at
// least English and French. The version is a hash of the content, so any change of a text
// or title asks for a new acceptance. Markdown is rendered once, at start-up, with raw HTML
// and images off: the page keeps its strict Content-Security-Policy (no script, nothing from
// elsewhere), and markdown-it refuses javascript:, vbscript:, file: and data: links.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import MarkdownIt from "markdown-it";
import { illegalXmlChar } from "../../core/types.js";
import { raw, type Html } from "../../web/html.js";
import { LANGS, type Lang } from "../../web/i18n.js";
import { errors } from "./errors.js";

/** One entry of the `agreements` option, as written in the config. */
export interface AgreementOption {
  id: string;
  title: Record<string, string>;
  /** Markdown per language, inline… */
  text?: Record<string, string>;
  /** …or in files, relative to the config file. */
  file?: Record<string, string>;
  /** The hosts that require it (default: every host served). */
  hosts?: string[];
}

export interface Agreement {
  id: string;
  /** 16 hex digits of the SHA-256 of the titles and texts. */
  version: string;
  title: Record<Lang, string>;
  markdown: Record<Lang, string>;
  html: Record<Lang, Html>;
  /** undefined: every host. */
  hosts: string[] | undefined;
}

/** An agreement the visitor accepted: its id and the version they were shown. */
export interface Acceptance { id: string; version: string }

const ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
const MAX_TEXT = 256 * 1024;
const MAX_TITLE = 200;

function languages(v: unknown, what: string, max: number): string | undefined {
  if (!v || typeof v !== "object" || Array.isArray(v)) return `${what}: expected a mapping by language, such as { en: "…", fr: "…" }`;
  for (const lang of LANGS) if (!(lang in v)) return `${what}: missing the ${lang} version (${LANGS.join(" and ")} are required)`;
  for (const [lang, text] of Object.entries(v)) {
    if (!(LANGS as readonly string[]).includes(lang)) return `${what}: unknown language ${JSON.stringify(lang)} (pages are in ${LANGS.join(", ")})`;
    if (typeof text !== "string" || text.trim() === "") return `${what}.${lang}: expected non-empty text`;
    if (text.length > max) return `${what}.${lang}: at most ${max} characters`;
  }
  return undefined;
}

/** The option's shape (files are read in loadAgreements). */
export function checkAgreementsOption(raw: unknown): string | undefined {
  if (!Array.isArray(raw)) return "expected a list of agreements: - { id, title: { en, fr }, file: { en, fr } } (or text instead of file)";
  const seen = new Set<string>();
  for (const [i, a] of raw.entries()) {
    const where = `agreement ${i + 1}`;
    if (!a || typeof a !== "object" || Array.isArray(a)) return `${where}: expected a mapping with id, title and file or text`;
    const o = a as Record<string, unknown>;
    for (const k of Object.keys(o)) if (!["id", "title", "text", "file", "hosts"].includes(k)) return `${where}: unknown key ${JSON.stringify(k)} (id, title, text, file, hosts)`;
    if (typeof o["id"] !== "string" || !ID.test(o["id"])) return `${where}: id must be 1 to 64 lower-case letters, digits, - or _, starting with a letter or digit`;
    if (seen.has(o["id"])) return `${where}: the id ${o["id"]} is used twice`;
    seen.add(o["id"]);
    const bad = languages(o["title"], `${o["id"]}.title`, MAX_TITLE);
    if (bad) return bad;
    if ((o["text"] === undefined) === (o["file"] === undefined)) return `${o["id"]}: give either text or file (one per language)`;
    const content = languages(o["text"] ?? o["file"], `${o["id"]}.${o["text"] !== undefined ? "text" : "file"}`, MAX_TEXT);
    if (content) return content;
    if (o["hosts"] !== undefined && (!Array.isArray(o["hosts"]) || o["hosts"].length === 0 || o["hosts"].some((h) => typeof h !== "string"))) {
      return `${o["id"]}.hosts: expected a list of the hosts that require it`;
    }
  }
  return undefined;
}

const md = new MarkdownIt({ html: false, linkify: true, typographer: false }).disable(["image"]);

export function renderMarkdown(text: string): Html {
  return raw(md.render(text));
}

/** Reads the files, checks the hosts, renders the texts and computes the versions. Throws invites_register.bad_option. */
export function loadAgreements(options: readonly AgreementOption[], configFile: string, served: readonly string[]): Agreement[] {
  const fail = (message: string) => errors.bad_option(message, { option: "agreements" });
  return options.map((o) => {
    const markdown = {} as Record<Lang, string>;
    for (const lang of LANGS) {
      if (o.text) { markdown[lang] = o.text[lang]!; continue; }
      const path = resolve(dirname(configFile), o.file![lang]!);
      let text: string;
      try { text = readFileSync(path, "utf8"); } catch (e) { throw fail(`${o.id}.file.${lang}: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`); }
      if (text.trim() === "" || text.length > MAX_TEXT) throw fail(`${o.id}.file.${lang}: ${path} must hold 1 to ${MAX_TEXT} characters`);
      markdown[lang] = text;
    }
    const title = Object.fromEntries(LANGS.map((l) => [l, o.title[l]!])) as Record<Lang, string>;
    for (const lang of LANGS) {
      const bad = illegalXmlChar(title[lang]) ?? illegalXmlChar(markdown[lang]);
      if (bad) throw fail(`${o.id} (${lang}): holds ${bad}, a character pages and XMPP cannot carry`);
    }
    const hosts = o.hosts?.map((h) => h.toLowerCase());
    const unknown = hosts?.find((h) => !served.includes(h));
    if (unknown !== undefined) throw fail(`${o.id}.hosts: ${unknown} is not served here (${served.join(", ")})`);
    const version = createHash("sha256").update(JSON.stringify(LANGS.map((l) => [l, title[l], markdown[l]]))).digest("hex").slice(0, 16);
    const html = Object.fromEntries(LANGS.map((l) => [l, renderMarkdown(markdown[l])])) as Record<Lang, Html>;
    return { id: o.id, version, title, markdown, html, hosts };
  });
}

/** The agreements a host requires, in config order. */
export function requiredFor(all: readonly Agreement[], host: string): Agreement[] {
  const h = host.toLowerCase();
  return all.filter((a) => a.hosts === undefined || a.hosts.includes(h));
}

/**
 * Every agreement the host requires must have been accepted in its current version.
 * `accepted` undefined: the way the visitor registers cannot show agreements (in-app,
 * greeted), so they are sent to the web page `webPage` names.
 */
export function requireAccepted(required: readonly Agreement[], accepted: readonly Acceptance[] | undefined, webPage: () => string): void {
  if (required.length === 0) return;
  const titles = required.map((a) => a.title.en).join(", ");
  if (accepted === undefined) {
    throw errors.terms_on_web(`This server asks new users to accept its ${titles} first, which cannot be shown here: open ${webPage()} in a web browser and create the account there`,
      { agreements: required.map((a) => a.id) });
  }
  for (const a of required) {
    const given = accepted.find((x) => x.id === a.id);
    if (!given) throw errors.terms_not_accepted(`Accept the ${a.title.en} (${a.id}) to create an account`, { field: `accept_${a.id}`, agreement: a.id });
    if (given.version !== a.version) {
      throw errors.terms_changed(`The ${a.title.en} (${a.id}) changed since it was shown (version ${given.version.slice(0, 16)}, now ${a.version}): read it again and accept it`, { field: `accept_${a.id}`, agreement: a.id });
    }
  }
}
