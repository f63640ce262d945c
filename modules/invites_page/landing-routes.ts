// GET /invites_page?TOKEN (Prosody's landing URL; ?t=TOKEN too) for every invite type, the
// per-app setup page /invites_page/setup/APP?TOKEN, the stylesheet and the 404 page.
import { createHash } from "node:crypto";
import type { HttpRequest, HttpResponse, ModuleContext, Router } from "../../core/types.js";
import { invitesErrors, isGreeted } from "../invites/index.js";
import type { Invite } from "../invites/types.js";
import { detectPlatform, renderLinkTemplate, sortApps, type SiteApp } from "../../web/apps.js";
import { layout, messagePage, type PageCtx } from "../../web/layout.js";
import { qrSvg } from "../../web/qr.js";
import type { Kit } from "./kit.js";
import type { LandingQuery } from "./types.js";
import { landingPage, offeredUri, setupPage, type LandingData } from "./landing.js";
import { codeForm, notFound } from "./render.js";
import type { PairingQuery } from "./types.js";

/** Prosody's landing URL is /invites_page?TOKEN; ?t=TOKEN is accepted too. */
export function tokenFromQuery(originalUrl: string): string | undefined {
  const q = originalUrl.indexOf("?");
  if (q === -1) return undefined;
  for (const part of originalUrl.slice(q + 1).split("&")) {
    if (part === "") continue;
    if (!part.includes("=")) return part;
    if (part.startsWith("t=")) return part.slice(2);
  }
  return undefined;
}

export function landingRoutes(router: Router, kit: Kit, d: { mod: Pick<ModuleContext, "url" | "admin" | "fire" | "log">; css: string; baseUrl: () => string }): void {
  const { invites, api } = kit;
  const cssEtag = `"${createHash("sha256").update(d.css).digest("base64url").slice(0, 16)}"`;

  const landingData = async (req: HttpRequest, ctx: PageCtx, invite: Invite, token: string): Promise<LandingData> => {
    const uri = invites.uriFor(invite, token);
    const inAppHere = await api.inApp(invite.host);
    const canRegister = invite.type === "account" || invite.type === "account_and_contact";
    const setupUrl = (app: SiteApp) => `${d.mod.url(`/setup/${encodeURIComponent(app.id)}`)}?${token}`;
    // Other modules may add a directory code (invites_pairing) or the inviter's own name and
    // avatar (invites_profile); a failing one leaves the page as it would be without it.
    const pairing: PairingQuery = { invite, token };
    const inviter = api.inviter(invite);
    await Promise.all([
      d.mod.fire("invite-pairing", pairing),
      inviter ? d.mod.fire("inviter-shown", { invite, inviter }) : undefined,
    ].map((p) => p?.catch((err: unknown) => d.mod.log.warn({ err }, "a landing page extra failed"))));
    return {
      invite, inApp: inAppHere, uri: offeredUri(invite, uri, inAppHere), inviter, pairing: pairing.pairing,
      // Promise contacts only when this server has a working contact backend.
      contactsWork: d.mod.admin.capabilities.hosts[invite.host]?.contacts.ok === true,
      apps: sortApps(api.apps, detectPlatform(req.get("user-agent"))),
      registerUrl: (app) => api.registerUrl(token, app),
      proceedUrl(app) {
        if (!canRegister) return setupUrl(app);
        if (!inAppHere) return api.registerUrl(token, app);
        if (app.magic_link_format) return renderLinkTemplate(app.magic_link_format, { app, invite: { token, uri }, base_url: d.baseUrl() });
        return app.supports_preauth_uri ? setupUrl(app) : api.registerUrl(token, app);
      },
      qr: await qrSvg(api.landingUrl(token), ctx.t("qr_title")),
    };
  };

  /**
   * Sends the visitor to another module's page for this invite (a greeted invite's claim
   * page) when one takes it; says whether it did.
   */
  const elsewhere = async (res: HttpResponse, ctx: PageCtx, invite: Invite, token: string): Promise<boolean> => {
    const q: LandingQuery = { invite, token, redirect: undefined };
    await d.mod.fire("invite-landing", q);
    if (q.redirect !== undefined) {
      res.setHeader("Cache-Control", "no-store");
      res.redirect(303, q.redirect);
      return true;
    }
    // A greeted invite is never registered from here: without its module it cannot be used.
    if (!isGreeted(invite)) return false;
    kit.send(res, 403, messagePage(ctx, ctx.t("error_title"), invitesErrors.greeting_unavailable().message, undefined, "bad"));
    return true;
  };

  router.get("/static/style.css", (req, res) => {
    res.setHeader("Cache-Control", "public, max-age=86400");
    res.setHeader("ETag", cssEtag);
    if (req.get("if-none-match") === cssEtag) { res.status(304).end(); return; }
    res.type("text/css; charset=utf-8").send(d.css);
  });

  router.get("/", kit.page(async (req, res, ctx) => {
    const token = tokenFromQuery(req.originalUrl);
    if (token === undefined) return kit.send(res, 200, layout(ctx, { title: ctx.t("code_title"), body: codeForm(ctx, api.codeAction) }));
    if (await kit.limited(req, res, ctx)) return;
    const v = await kit.validate(token);
    if (!v.ok) return kit.sendInvalid(res, ctx, v.reason, v.invite);
    if (await elsewhere(res, ctx, v.invite, token)) return;
    const data = await landingData(req, ctx, v.invite, token);
    if (data.uri) res.setHeader("Link", `<${data.uri}>; rel="alternate"`);
    kit.send(res, 200, landingPage(ctx, data));
  }));

  router.get("/setup/:app", kit.page(async (req, res, ctx) => {
    if (await kit.limited(req, res, ctx)) return;
    const token = tokenFromQuery(req.originalUrl);
    const v = await kit.validate(token);
    if (!v.ok) return kit.sendInvalid(res, ctx, v.reason, v.invite);
    if (await elsewhere(res, ctx, v.invite, token!)) return;
    const app = api.app(req.params["app"]);
    if (!app) return kit.send(res, 404, layout(ctx, { title: ctx.t("not_found_title"), body: notFound(ctx, api.codeAction) }));
    const data = await landingData(req, ctx, v.invite, token!);
    if (data.uri) res.setHeader("Link", `<${data.uri}>; rel="alternate"`);
    kit.send(res, 200, setupPage(ctx, data, app, `${d.mod.url()}?${token}`));
  }));
}

/** The last route of the module's router: an unknown page says so and offers the code form. */
export function notFoundRoute(router: Router, kit: Kit): void {
  router.use(kit.page(async (_req, res, ctx) => {
    kit.send(res, 404, layout(ctx, { title: ctx.t("not_found_title"), body: notFound(ctx, kit.api.codeAction) }));
  }));
}
