// The claimer's pages in a browser, one per phase of the greeting. Without JavaScript a
// waiting page reloads itself every two seconds (<noscript> meta refresh); with it, claim.js
// listens to the server's events and reloads only when the greeting moves on.
import { html, type Html } from "../../web/html.js";
import { layout, type PageCtx } from "../../web/layout.js";
import type { GreetingText } from "./texts.js";

export interface ClaimData {
  /** What the page shows. */
  phase: "intro" | "busy" | "waiting" | "pick" | "show_code" | "info" | "review" | "done" | "ended" | "revoked";
  greeter: string;
  host: string;
  boundUsername: string | null;
  csrf: string;
  /** Where forms post (this page's URL). */
  action: string;
  /** The event stream claim.js listens to; the phase name it compares. */
  eventsUrl: string;
  scriptUrl: string;
  livePhase: string;
  choices?: string[];
  claimerCode?: string;
  message?: string;
  error?: string;
  username?: string;
  displayName?: string;
  jid?: string;
  /** Which Parsec steps are done, which one is under way. */
  steps?: { label: string; done: boolean }[];
}

const hidden = (d: ClaimData, what: string) => html`<input type="hidden" name="csrf" value="${d.csrf}"><input type="hidden" name="do" value="${what}">`;

function steps(d: ClaimData): Html {
  return html`<ul class="greeting-steps">${(d.steps ?? []).map((s) => html`<li class="${s.done ? "done" : "busy"}"><span aria-hidden="true">${s.done ? "✔" : "◌"}</span> ${s.label}</li>`)}</ul>`;
}

function cancelForm(t: GreetingText, d: ClaimData): Html {
  return html`<form method="post" action="${d.action}" class="center">${hidden(d, "cancel")}<button class="button secondary" type="submit">${t("cancel")}</button></form>`;
}

export function claimPage(ctx: PageCtx, t: GreetingText, d: ClaimData): string {
  const vars = { greeter: d.greeter, host: d.host };
  const waiting = d.phase === "waiting" || d.phase === "show_code" || d.phase === "review";
  let body: Html;
  switch (d.phase) {
    case "intro":
    case "busy":
    case "ended":
      body = html`<section class="card hero">
<h1>${d.phase === "ended" ? t("ended_title") : t("title", vars)}</h1>
${d.message ? html`<p class="alert" role="alert">${d.message}</p>` : ""}
<p class="lead">${t("intro", vars)}</p>
${d.phase === "busy" ? html`<p class="alert" role="alert">${t("busy", vars)}</p>` : html`<p>${t("how", vars)}</p>
<form method="post" action="${d.action}">${hidden(d, "join")}<button class="button big" type="submit">${d.phase === "ended" ? t("again") : t("start")}</button></form>`}
</section>`;
      break;
    case "waiting":
      body = html`<section class="card"><h1>${t("title", vars)}</h1>${steps(d)}<p class="hint">${t("no_js")}</p></section>${cancelForm(t, d)}`;
      break;
    case "pick":
      body = html`<section class="card"><h1>${t("title", vars)}</h1>${steps(d)}
<form method="post" action="${d.action}">${hidden(d, "pick")}
<p id="pick-label"><strong>${t("pick")}</strong></p>
<div class="codes" role="group" aria-labelledby="pick-label">${(d.choices ?? []).map((c) => html`<button class="button code" type="submit" name="code" value="${c}">${c}</button> `)}</div>
<p><button class="button secondary" type="submit" name="code" value="none">${t("pick_none")}</button></p>
</form></section>`;
      break;
    case "show_code":
      body = html`<section class="card"><h1>${t("title", vars)}</h1>${steps(d)}
<p>${t("your_code")} <strong class="code" id="claimer-code">${d.claimerCode ?? ""}</strong></p>
<p class="hint">${t("step_wait")}…</p></section>${cancelForm(t, d)}`;
      break;
    case "info":
      body = html`<section class="card"><h1>${t("details")}</h1>${steps(d)}
${d.error ? html`<p class="alert" role="alert">${d.error}</p>` : ""}
<form method="post" action="${d.action}">${hidden(d, "info")}
<label for="user">${t("username")}</label>
<div class="with-suffix"><input id="user" name="user" value="${d.boundUsername ?? d.username ?? ""}" required maxlength="64" autocomplete="username" autocapitalize="none" autocorrect="off" spellcheck="false"${d.boundUsername ? html` readonly` : html` autofocus`}><span>@${d.host}</span></div>
<label for="display_name">${t("display_name", vars)}</label>
<input id="display_name" name="display_name" value="${d.displayName ?? ""}" maxlength="200" autocomplete="name">
<label for="password">${t("password")}</label>
<input id="password" name="password" type="password" required autocomplete="new-password">
<button class="submit" type="submit">${t("submit")}</button>
</form></section>${cancelForm(t, d)}`;
      break;
    case "review":
      body = html`<section class="card"><h1>${t("title", vars)}</h1>${steps(d)}
<p><strong>${t("review")}</strong></p>
${d.jid ? html`<p>${t("entered", { jid: d.jid })}</p>` : ""}
${d.error ? html`<p class="alert" role="status">${t("problem", { why: d.error })}</p>` : ""}
<p class="hint">${t("no_js")}</p></section>${cancelForm(t, d)}`;
      break;
    case "done":
      body = html`<section class="card message ok"><div class="icon" aria-hidden="true">✓</div><h1>${t("done_title")}</h1>
<p>${t("done_text", { jid: d.jid ?? "" })}</p><strong class="jid" id="jid">${d.jid ?? ""}</strong></section>`;
      break;
    case "revoked":
      body = html`<section class="card message bad"><div class="icon" aria-hidden="true">✕</div><h1>${t("revoked_title")}</h1><p>${d.message ?? ""}</p></section>`;
      break;
  }
  // Waiting pages reload themselves without JavaScript; with it, claim.js waits for the server's events.
  const head = html`${waiting ? html`<noscript><meta http-equiv="refresh" content="2"></noscript>` : ""}<script src="${d.scriptUrl}" defer></script>`;
  // Only a seated claimer's pages listen (the others have nothing to wait for).
  const live = ["waiting", "pick", "show_code", "info", "review"].includes(d.phase);
  const main = live ? html`<div data-greeting-events="${d.eventsUrl}" data-phase="${d.livePhase}" hidden></div>${body}` : body;
  return layout(ctx, { title: d.phase === "done" ? t("done_title") : t("title", vars), body: main, head, noLangSwitch: d.phase !== "intro" });
}
