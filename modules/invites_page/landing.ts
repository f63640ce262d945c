// The landing page for each invite type, and the per-app setup page. They offer only what
// works: an app gets the invite itself (the xmpp: URI with its token) only when the XMPP
// server runs the server module (inApp); otherwise the account is made in the browser
// first and the app is set up with the new address.
import type { Invite } from "../invites/types.js";
import { formatCode } from "../invites/index.js";
import { html, safeUrl, type Html } from "../../web/html.js";
import { formatDate } from "../../web/i18n.js";
import { layout, type PageCtx } from "../../web/layout.js";
import { appText, isWebApp, type SiteApp } from "../../web/apps.js";
import { appCard, avatar } from "./render.js";
import type { Inviter } from "./types.js";

export interface LandingData {
  invite: Invite;
  /** Whether the invite's XMPP server announced the server module: apps can use the invite in-app. */
  inApp: boolean;
  /** The xmpp: URI this page offers (offeredUri), if any. */
  uri: string | undefined;
  inviter: Inviter | undefined;
  /** Whether the server can make the inviter and the new user mutual contacts. */
  contactsWork: boolean;
  apps: { app: SiteApp; forDevice: boolean }[];
  /** Where "Choose <app>" leads. */
  proceedUrl(app: SiteApp): string;
  /** Web registration for this invite (optionally naming the app). */
  registerUrl(app?: SiteApp): string;
  qr: Html;
  /** A pairing directory's code for this invite (invites_pairing), to pass on by phone. */
  pairing?: { code: string; url: string } | undefined;
}

const alternate = (uri: string | undefined) => (uri ? html`<link rel="alternate" href="${uri}">` : undefined);

/**
 * The xmpp: URI a page may hand to apps: the invite's own (with its token) when apps can use
 * it in-app; without the server module, for a contact invite only a plain roster URI (an
 * ordinary contact request, XEP-0147 §2.2), and for the others none.
 */
export function offeredUri(invite: Invite, inviteUri: string, inApp: boolean): string | undefined {
  if (inApp) return inviteUri;
  if (invite.type !== "contact") return undefined;
  const at = inviteUri.indexOf("?");
  return `${inviteUri.slice(0, at)}?roster`;
}

function boundJid(invite: Invite): string | undefined {
  return invite.username ? `${invite.username}@${invite.host}` : undefined;
}

function appList(ctx: PageCtx, d: LandingData): Html {
  const mine = d.apps.filter((a) => a.forDevice);
  const others = d.apps.filter((a) => !a.forDevice);
  const list = (items: typeof d.apps) => html`<ul class="apps">${items.map((a) => appCard(ctx, a.app, d.proceedUrl(a.app), a.forDevice))}</ul>`;
  if (!mine.length) return list(others);
  // The other platforms' apps stay one tap away (<details> needs no script).
  return html`<h3 class="group">${ctx.t("for_device")}</h3>${list(mine)}${others.length ? html`<details class="more"><summary>${ctx.t("all_apps")} (${others.length})</summary>${list(others)}</details>` : ""}`;
}

function qrBox(ctx: PageCtx, qr: Html, pairing?: LandingData["pairing"]): Html {
  const code = pairing ? html`<p class="pairing">${ctx.t("pairing_box", { url: pairing.url.replace(/\/[^/]*$/, ""), code: formatCode(pairing.code) })}</p>` : "";
  return html`<div class="qr-box"><h2>${ctx.t("qr_title")}</h2>${qr}<p class="hint">${ctx.t("qr_text")}</p>${code}</div>`;
}

function expiry(ctx: PageCtx, invite: Invite): Html {
  return html`<p class="hint center">${ctx.t("expires_on", { date: formatDate(ctx.lang, invite.expiresAt) })}</p>`;
}

function accountPage(ctx: PageCtx, d: LandingData): string {
  const { t, site } = ctx;
  const { invite, inviter } = d;
  const jid = boundJid(invite);
  const register = safeUrl(d.registerUrl());
  // In-app: the app takes the invite; otherwise the browser makes the account first.
  const haveApp = d.inApp && d.uri
    ? html`<p><a class="button" href="${d.uri}">${t("open_in_app")}</a></p>
<p>${t("register_web_text")}</p>
<p><a class="button secondary" href="${register}">${t("register_web")}</a></p>`
    : html`<p>${t("register_web_first")}</p>
<p><a class="button" href="${register}">${t("register_web")}</a></p>`;
  const body = html`<section class="card hero">
${inviter ? avatar(inviter.name, inviter.avatar, "big") : ""}
<h1>${t("join_title", { site: site.name })}</h1>
<p class="lead">${inviter ? t("intro_inviter", { inviter: inviter.name, site: site.name }) : t("intro", { site: site.name })}</p>
${invite.type === "account_and_contact" && inviter ? html`<p>${d.contactsWork ? t("contact_too", { inviter: inviter.name }) : t("contact_by_hand", { inviter: inviter.name, jid: inviter.jid })}</p>` : ""}
${jid ? html`<p>${t("bound_to", { jid })}</p>` : ""}
<p class="hint">${t("xmpp_blurb", { site: site.name })}</p>
</section>
<section class="card">
<h2><span class="step">1</span> ${t("get_app")}</h2>
<p>${d.inApp ? t("get_app_text") : t("get_app_text_web")}</p>
${appList(ctx, d)}
</section>
<section class="card split">
<div>
<h2>${t("have_app")}</h2>
${haveApp}
</div>
${qrBox(ctx, d.qr, d.pairing)}
</section>
${expiry(ctx, invite)}`;
  return layout(ctx, { title: t("join_title", { site: site.name }), body, head: alternate(d.uri), variant: "wide" });
}

function contactPage(ctx: PageCtx, d: LandingData): string {
  const { t } = ctx;
  const name = d.inviter?.name ?? d.invite.inviter ?? "";
  const body = html`<section class="card hero">
${avatar(name, d.inviter?.avatar, "big")}
<h1>${t("contact_title", { inviter: name })}</h1>
<p class="lead">${t("contact_intro", { inviter: name })}</p>
<p>${t("contact_address", { jid: d.invite.inviter ?? "" })}</p>
${d.uri ? html`<p><a class="button big" href="${d.uri}">${t("contact_add", { inviter: name })}</a></p>` : ""}
${d.inApp ? "" : html`<p class="hint">${t("contact_approval", { inviter: name })}</p>`}
</section>
<section class="card">
<h2>${t("get_app")}</h2>
<p>${t("contact_no_app")}</p>
${appList(ctx, d)}
</section>
<section class="card">${qrBox(ctx, d.qr, d.pairing)}</section>
${expiry(ctx, d.invite)}`;
  return layout(ctx, { title: t("contact_title", { inviter: name }), body, head: alternate(d.uri), variant: "wide" });
}

function resetPage(ctx: PageCtx, d: LandingData): string {
  const { t } = ctx;
  const body = html`<section class="card hero">
<h1>${t("reset_title")}</h1>
<p class="lead">${t("reset_intro", { jid: boundJid(d.invite) ?? d.invite.host })}</p>
<p><a class="button big" href="${safeUrl(d.registerUrl())}">${t("reset_button")}</a></p>
</section>
${expiry(ctx, d.invite)}`;
  return layout(ctx, { title: t("reset_title"), body, head: alternate(d.uri) });
}

export function landingPage(ctx: PageCtx, d: LandingData): string {
  switch (d.invite.type) {
    case "account":
    case "account_and_contact": return accountPage(ctx, d);
    case "contact": return contactPage(ctx, d);
    case "reset": return resetPage(ctx, d);
  }
}

/** The second step for one app: hand it the invite, make the account in the browser, or add the inviter. */
function secondStep(ctx: PageCtx, d: LandingData, app: SiteApp, inviterName: string): Html {
  const { t } = ctx;
  const canRegister = d.invite.type === "account" || d.invite.type === "account_and_contact";
  const register = safeUrl(d.registerUrl(app));
  // A web app (Movim) opens no xmpp: URI: it is given the address to add instead.
  const uri = isWebApp(app) ? undefined : d.uri;
  // Only an app that registers with a token (supports_preauth_uri) takes an account invite.
  if (canRegister && !(d.inApp && uri && app.supports_preauth_uri)) {
    return html`<h2><span class="step">2</span> ${t("step_register")}</h2>
<p>${t("step_register_text", { app: app.name })}</p>
<p><a class="button big" href="${register}">${t("register_web")}</a></p>`;
  }
  if (canRegister) {
    return html`<h2><span class="step">2</span> ${t("step_activate")}</h2>
<p>${t("step_activate_text", { app: app.name })}</p>
<p><a class="button big" href="${uri}">${t("accept_with", { app: app.name })}</a></p>
<p class="hint"><a href="${register}">${t("fallback_register")}</a></p>`;
  }
  if (!uri) {
    return html`<h2><span class="step">2</span> ${t("step_add", { inviter: inviterName })}</h2>
<p>${t("step_add_web_text", { app: app.name, jid: d.invite.inviter ?? "" })}</p>`;
  }
  return html`<h2><span class="step">2</span> ${t("step_add", { inviter: inviterName })}</h2>
<p>${t("step_add_text", { app: app.name, inviter: inviterName })}</p>
<p><a class="button big" href="${uri}">${t("contact_add", { inviter: inviterName })}</a></p>
${d.inApp ? "" : html`<p class="hint">${t("contact_approval", { inviter: inviterName })}</p>`}`;
}

/** Step by step for one app: install it, then the invite (in the app, or the account in the browser first). */
export function setupPage(ctx: PageCtx, d: LandingData, app: SiteApp, backUrl: string): string {
  const { t, site } = ctx;
  const buttons = app.download?.buttons ?? (app.link ? [{ url: app.link, text: t("download", { app: app.name }) }] : []);
  const inviterName = d.inviter?.name ?? d.invite.inviter ?? "";
  // A contact-only invite makes no account: the page is about adding the inviter.
  const title = d.invite.type === "contact" ? t("setup_contact_title", { inviter: inviterName, app: app.name }) : t("setup_title", { site: site.name, app: app.name });
  const body = html`<section class="card hero">
${avatar(app.name, app.image, "big")}
<h1>${title}</h1>
${app.text ? html`<p class="lead">${appText(app, ctx.lang, "text")}</p>` : ""}
</section>
<section class="card">
<h2><span class="step">1</span> ${t("step_install", { app: app.name })}</h2>
<p>${appText(app, ctx.lang, "download") ?? t("step_install_text", { app: app.name })}</p>
<p class="buttons">${buttons.map((b) => html`<a class="button secondary" href="${safeUrl(b.url)}" rel="noopener">${b.text ?? b.alttext ?? t("download", { app: app.name })}</a> `)}</p>
</section>
<section class="card">
${secondStep(ctx, d, app, inviterName)}
</section>
<p class="center"><a href="${safeUrl(backUrl)}">${t("back_to_apps")}</a></p>`;
  return layout(ctx, { title, body, head: alternate(d.uri) });
}
