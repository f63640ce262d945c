// Page pieces shared by the landing page and the registration pages: who invited,
// why an invite cannot be used, error pages, the code form and app cards.
import { isModuleError } from "../../core/types.js";
import type { InvalidReason, Invite } from "../invites/types.js";
import type { Inviter, Page } from "./types.js";
import { html, safeUrl, type Html } from "../../web/html.js";
import { formatDate, type Key } from "../../web/i18n.js";
import { messagePage, type PageCtx } from "../../web/layout.js";
import { appText, renderLinkTemplate, type SiteApp } from "../../web/apps.js";


/**
 * The inviter's display name (invite.extra.inviter_name, else the localpart) and avatar. An
 * invite without an inviter account may still carry a name (the API's inviter_name): its
 * inviter then has jid "".
 */
export function inviterOf(invite: Invite, avatarTemplate: string | undefined): Inviter | undefined {
  const named = invite.extra["inviter_name"];
  if (!invite.inviter && typeof named === "string" && named.trim() !== "") {
    const own = invite.extra["inviter_avatar"];
    return { jid: "", name: named.trim().slice(0, 80), avatar: typeof own === "string" && own !== "" ? own : undefined };
  }
  if (!invite.inviter) return undefined;
  const jid = invite.inviter;
  const at = jid.lastIndexOf("@");
  const localpart = at === -1 ? jid : jid.slice(0, at);
  const given = invite.extra["inviter_name"];
  const name = typeof given === "string" && given.trim() !== "" ? given.trim().slice(0, 80) : localpart;
  const own = invite.extra["inviter_avatar"];
  const avatar = typeof own === "string" && own !== "" ? own
    : avatarTemplate ? renderLinkTemplate(avatarTemplate, { jid, localpart, host: jid.slice(at + 1) }) : undefined;
  return { jid, name, avatar };
}

/** A round picture: the given image, or the first letter on a colour picked from the name. */
export function avatar(name: string, image: string | undefined, size: "big" | "small" = "small"): Html {
  if (image && safeUrl(image) !== "#") return html`<img class="avatar ${size}" src="${safeUrl(image)}" alt="">`;
  let h = 0;
  for (const ch of name) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  return html`<span class="avatar ${size} c${h % 8}" aria-hidden="true">${[...name][0]?.toUpperCase() ?? "?"}</span>`;
}

const REASON_STATUS: Record<InvalidReason, number> = { invalid: 404, expired: 410, revoked: 410, used_up: 410, not_yet_valid: 403 };

/** The page for an invite that cannot be used, saying which case it is. */
export function invalidPage(ctx: PageCtx, reason: InvalidReason, invite: Invite | undefined, codeAction: string): Page {
  const { t } = ctx;
  const text = reason === "not_yet_valid" && invite?.notBefore ? t("not_yet_valid_text", { date: formatDate(ctx.lang, invite.notBefore) }) : t(`${reason}_text` as Key);
  const extra = reason === "invalid" ? codeForm(ctx, codeAction) : undefined;
  return { status: REASON_STATUS[reason], body: messagePage(ctx, t(`${reason}_title` as Key), text, extra, reason === "invalid" ? "warn" : "bad") };
}

/** A page for a failure that is not the visitor's: 503 for a server or store outage. */
export function failurePage(ctx: PageCtx, err: unknown): Page {
  const { t } = ctx;
  if (isModuleError(err) && err.status === 503) return { status: 503, body: messagePage(ctx, t("unavailable_title"), t("unavailable_text")) };
  return { status: 500, body: messagePage(ctx, t("error_title"), t("error_text"), undefined, "bad") };
}

export function tooManyPage(ctx: PageCtx): Page {
  return { status: 429, body: messagePage(ctx, ctx.t("too_many_title"), ctx.t("too_many_text")) };
}

/** The "I have a code" form; posts to codeAction. */
export function codeForm(ctx: PageCtx, codeAction: string, error?: string, value = ""): Html {
  const { t } = ctx;
  return html`<form class="code-form" method="post" action="${codeAction}">
<h2>${t("code_title")}</h2>
${error ? html`<p class="alert" role="alert">${error}</p>` : ""}
<label for="code">${t("code_label")}</label>
<div class="row">
<input id="code" name="code" value="${value}" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="20" required aria-describedby="code-help" placeholder="ABCD-2345">
<button type="submit">${t("code_submit")}</button>
</div>
<p id="code-help" class="hint">${t("code_help")}</p>
</form>`;
}

/** An unknown page or app: say so, then offer the code form (the visitor may have one). */
export function notFound(ctx: PageCtx, codeAction: string): Html {
  return html`<section class="card"><h1>${ctx.t("not_found_title")}</h1>
<p>${ctx.t("not_found_text")}</p></section>
<section class="card">${codeForm(ctx, codeAction)}</section>`;
}

/** One entry of the app chooser. */
export function appCard(ctx: PageCtx, app: SiteApp, href: string, forDevice: boolean): Html {
  return html`<li class="app${forDevice ? " for-device" : ""}">
${avatar(app.name, app.image)}
<div class="app-body">
<h3>${app.name}${forDevice ? html` <span class="badge">${ctx.t("recommended")}</span>` : ""}</h3>
<p class="platforms">${app.platforms.map((p) => html`<span class="tag">${p}</span> `)}</p>
${app.text ? html`<p>${appText(app, ctx.lang, "text")}</p>` : ""}
</div>
<a class="button" href="${safeUrl(href)}">${ctx.t("choose", { app: app.name })}</a>
</li>`;
}
