// The page shell shared by the landing and registration pages, and the one-message
// pages (invalid invite, rate limited, server down).
import type { HttpRequest, HttpResponse } from "../core/types.js";
import { html, safeUrl, type Html } from "./html.js";
import { LANGS, LANG_NAMES, pickLang, translator, type Lang, type Translate } from "./i18n.js";
import { setCookie, setPageHeaders, type PagePolicy } from "./security.js";

export interface Site {
  name: string;
  /** Logo URL (same site or data:), optional. */
  logo: string | undefined;
  /** Path of the stylesheet, e.g. /invites_page/static/style.css. */
  cssPath: string;
  /** Whether cookies get the Secure flag (the public URL is https). */
  secure: boolean;
  policy: PagePolicy;
}

export interface PageCtx {
  site: Site;
  lang: Lang;
  t: Translate;
  /** The request URL (path and query) without any lang= parameter. */
  path: string;
}

/** Reads the language (remembering an explicit ?lang= choice in a cookie) and the URL. */
export function pageCtx(req: HttpRequest, res: HttpResponse, site: Site): PageCtx {
  const url = req.originalUrl;
  const q = url.indexOf("?");
  const params = q === -1 ? [] : url.slice(q + 1).split("&").filter(Boolean);
  const langParam = params.find((p) => p.startsWith("lang="))?.slice(5);
  const lang = pickLang(req, langParam);
  if (langParam && langParam === lang) setCookie(res, "lang", lang, { path: "/", maxAgeS: 365 * 86400, secure: site.secure, httpOnly: false });
  const rest = params.filter((p) => !p.startsWith("lang="));
  const path = (q === -1 ? url : url.slice(0, q)) + (rest.length ? `?${rest.join("&")}` : "");
  return { site, lang, t: translator(lang), path };
}

function withLang(path: string, lang: Lang): string {
  return `${path}${path.includes("?") ? "&" : "?"}lang=${lang}`;
}

export interface PageParts {
  title: string;
  body: Html;
  /** Extra <head> elements (e.g. <link rel="alternate">). */
  head?: Html;
  /** CSS class on <main> (e.g. "wide" for the app chooser). */
  variant?: string;
  /** Hide the language links (pages answering a POST, which a GET cannot show again). */
  noLangSwitch?: boolean;
}

export function layout(ctx: PageCtx, parts: PageParts): string {
  const { site, t } = ctx;
  const switcher = LANGS.map((l) => l === ctx.lang
    ? html`<strong lang="${l}">${LANG_NAMES[l]}</strong>`
    : html`<a href="${withLang(ctx.path, l)}" lang="${l}" hreflang="${l}">${LANG_NAMES[l]}</a>`);
  return "<!DOCTYPE html>\n" + html`<html lang="${ctx.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="robots" content="noindex, nofollow">
<title>${parts.title.includes(site.name) ? parts.title : `${parts.title} · ${site.name}`}</title>
<link rel="stylesheet" href="${site.cssPath}">
${parts.head}
</head>
<body>
<header class="site">
${site.logo ? html`<img class="logo" src="${safeUrl(site.logo)}" alt="">` : html`<span class="logo mono" aria-hidden="true">${[...site.name][0]?.toUpperCase() ?? "X"}</span>`}
<span class="site-name">${site.name}</span>
</header>
<main class="${parts.variant ?? ""}">
${parts.body}
</main>
<footer>
${parts.noLangSwitch ? "" : html`<nav class="langs" aria-label="${t("language")}">${switcher.flatMap((s, i) => (i ? [html` · `, s] : [s]))}</nav>`}
<p>${t("powered")}</p>
</footer>
</body>
</html>
`.text;
}

/** Sends a page with the security headers. */
export function sendPage(res: HttpResponse, status: number, body: string, policy?: PagePolicy): void {
  setPageHeaders(res, policy);
  // end() rather than send(): pages are never cached, so an ETag would only cost a hash.
  res.status(status).setHeader("Content-Type", "text/html; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(body));
  res.end(res.req.method === "HEAD" ? undefined : body);
}

/** A page with one message: a title, a text and optional extra content. */
export function messagePage(ctx: PageCtx, heading: string, text: Html | string, extra?: Html, tone: "bad" | "warn" | "ok" = "warn"): string {
  return layout(ctx, {
    title: heading,
    body: html`<section class="card message ${tone}">
<div class="icon" aria-hidden="true">${tone === "ok" ? "✓" : tone === "bad" ? "✕" : "!"}</div>
<h1>${heading}</h1>
<p>${text}</p>
${extra}
</section>`,
  });
}
