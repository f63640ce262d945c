// The registration form (new account or password reset) and the pages after it.
import type { Invite } from "../invites/types.js";
import { appText, type SiteApp } from "../../web/apps.js";
import { html, safeUrl, type Html } from "../../web/html.js";
import { layout, type PageCtx } from "../../web/layout.js";
import type { Agreement } from "./agreements.js";
import type { PasswordPolicy } from "./policy.js";

export interface FormData {
  invite: Invite;
  token: string;
  app: SiteApp | undefined;
  csrf: string;
  /** Where the form posts (this page's URL). */
  action: string;
  /** The app's or the inviter's picture, shown above the title. */
  picture: Html | undefined;
  /** The password rules, shown before the first try. */
  policy: PasswordPolicy;
  /** Whether the app may take the invite itself (the server module runs): then a link hands it over. */
  inApp: boolean;
  error?: string;
  user?: string;
  /** The invite's xmpp: URI, for apps that can take it over. */
  uri: string;
  /** The agreements to accept before the account is created (none on a reset). */
  agreements: readonly Agreement[];
  /** "<id> <version>" of the boxes ticked in the form being shown again. */
  accepted: readonly string[];
}

/** One agreement: its text in a scrolling box and the box to tick (its value: the version shown). */
function agreementBlock(ctx: PageCtx, a: Agreement, ticked: boolean): Html {
  const title = a.title[ctx.lang];
  return html`<div class="agreement" id="agreement-${a.id}">
<h3>${title}</h3>
<div class="text" tabindex="0" role="region" aria-label="${title}">${a.html[ctx.lang]}</div>
<label class="accept"><input type="checkbox" name="accept_${a.id}" value="${a.version}" required${ticked ? html` checked` : ""}> <span>${ctx.t("agree_to", { title })}</span></label>
</div>`;
}

export function registerForm(ctx: PageCtx, d: FormData): string {
  const { t } = ctx;
  const reset = d.invite.type === "reset";
  const bound = d.invite.username;
  const title = reset ? t("reset_title") : t("register_title");
  const hidden = html`<input type="hidden" name="token" value="${d.token}">
<input type="hidden" name="csrf" value="${d.csrf}">
${d.app ? html`<input type="hidden" name="app_id" value="${d.app.id}">` : ""}`;
  const body = html`<section class="card">
${d.picture ? html`<div class="center">${d.picture}</div>` : ""}
<h1 class="center">${title}</h1>
<p class="center">${reset ? t("reset_intro", { jid: `${bound ?? ""}@${d.invite.host}` }) : t("register_intro", { domain: d.invite.host })}</p>
${d.app && !reset ? html`<p class="center hint">${t("register_with_app", { app: d.app.name })}</p>` : ""}
${d.error ? html`<p class="alert" role="alert">${d.error}</p>` : ""}
<form method="post" action="${d.action}">
${hidden}
${reset ? html`<input type="hidden" name="user" value="${bound ?? ""}">` : html`<label for="user">${t("username")}</label>
<div class="with-suffix"><input id="user" name="user" value="${bound ?? d.user ?? ""}" required maxlength="64" autocomplete="username" autocapitalize="none" autocorrect="off" spellcheck="false" aria-describedby="user-help"${bound ? html` readonly` : ""}${!bound && !d.error ? html` autofocus` : ""}><span>@${d.invite.host}</span></div>
<p id="user-help" class="hint">${t("username_help")}</p>`}
<label for="password">${reset ? t("new_password") : t("password")}</label>
<input id="password" name="password" type="password" required minlength="${d.policy.length}" maxlength="${d.policy.max_length}" autocomplete="new-password" aria-describedby="password-help">
<p id="password-help" class="hint">${t("password_help", { n: d.policy.length })}${d.policy.exclude_username ? html` ${t("password_help_username")}` : ""}</p>
${d.agreements.length && !reset ? html`<h2>${t("agreements_title")}</h2>
<p class="hint">${t("agreements_intro", { site: ctx.site.name })}</p>
${d.agreements.map((a) => agreementBlock(ctx, a, d.accepted.includes(`${a.id} ${a.version}`)))}` : ""}
<button class="submit" type="submit">${reset ? t("change_password") : t("create_account")}</button>
</form>
</section>
${d.inApp && d.app?.supports_preauth_uri && !reset ? html`<p class="center hint"><a href="${d.uri}">${t("accept_with", { app: d.app.name })}</a></p>` : ""}`;
  return layout(ctx, { title, body });
}

export interface SuccessData {
  jid: string;
  app: SiteApp | undefined;
  /** Display names of who is now a mutual contact. */
  contacts: string[];
  /** Who should have become a mutual contact but could not: the page says how to add them by hand. */
  missing: { jid: string; name: string }[];
  webchatUrl: string | undefined;
}

export function successPage(ctx: PageCtx, d: SuccessData): string {
  const { t } = ctx;
  const steps = d.app?.setup?.text
    ? html`<p>${appText(d.app, ctx.lang, "setup")}</p>`
    : html`<ol class="steps"><li>${d.app ? t("success_steps_1", { app: d.app.name }) : t("success_steps_1_any")}</li><li>${t("success_steps_2")}</li><li>${t("success_steps_3", { jid: d.jid })}</li></ol>`;
  const body = html`<section class="card message ok">
<div class="icon" aria-hidden="true">✓</div>
<h1>${t("success_title")}</h1>
<p>${t("success_address")}</p>
<strong class="jid" id="jid">${d.jid}</strong>
${d.contacts.map((c) => html`<p>${t("success_contact", { inviter: c })}</p>`)}
${d.missing.map((c) => html`<p class="alert" role="status">${t("success_contact_missing", { inviter: c.name, jid: c.jid })}</p>`)}
</section>
<section class="card">
<h2>${d.app ? t("success_next_app", { app: d.app.name }) : t("success_next")}</h2>
${steps}
${d.app?.link ? html`<p><a class="button secondary" href="${safeUrl(d.app.link)}" rel="noopener">${t("download", { app: d.app.name })}</a></p>` : ""}
${d.webchatUrl ? html`<p><a class="button" href="${safeUrl(d.webchatUrl)}" rel="noopener">${t("success_webchat")}</a></p>` : ""}
</section>`;
  return layout(ctx, { title: t("success_title"), body, noLangSwitch: true });
}

export function resetDonePage(ctx: PageCtx, jid: string): string {
  const { t } = ctx;
  const body = html`<section class="card message ok">
<div class="icon" aria-hidden="true">✓</div>
<h1>${t("reset_done_title")}</h1>
<p>${t("reset_done_text", { jid })}</p>
</section>`;
  return layout(ctx, { title: t("reset_done_title"), body, noLangSwitch: true });
}
