// The invite landing page (Prosody's mod_invites_page paths, so existing links work):
// GET /invites_page?TOKEN for every invite type, /invites_page/setup/APP?TOKEN, short
// links /i/CODE, an "I have a code" form, and GET /pairing/CODE (JSON) for apps.
import { readFileSync } from "node:fs";
import { createHash } from "node:crypto";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { addressKey, defineModule, type HttpRequest, type HttpResponse } from "../../core/types.js";
import { opt } from "../../core/types.js";
import type { InvalidReason, Invite, InvitesApi, InviteCreatedEvent, Validation } from "../invites/types.js";
import { normalizeCode } from "../invites/index.js";
import { buildApps, checkSiteApps, detectPlatform, renderLinkTemplate, sortApps, type SiteApp } from "../../web/apps.js";
import { layout, pageCtx, sendPage, type PageCtx, type Site } from "../../web/layout.js";
import { originOf } from "../../web/security.js";
import { qrSvg } from "../../web/qr.js";
import { avatar, codeForm, failurePage, invalidPage, inviterOf, notFound, tooManyPage } from "./render.js";
import type { InvitesPageApi } from "./types.js";
import { landingPage, setupPage, type LandingData } from "./landing.js";
import { ShortCodes } from "./shortcodes.js";

const CSS = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../web/style.css"), "utf8");
const CSS_ETAG = `"${createHash("sha256").update(CSS).digest("base64url").slice(0, 16)}"`;
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{8,200}$/;

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

export type * from "./types.js";

export default defineModule({
  name: "invites_page",
  description: "Invite landing pages, short links and the app chooser",
  dependencies: ["invites"],
  options: {
    site_name: opt.optionalString({ describe: "Name shown on pages (default: the first host)" }),
    site_logo: opt.optionalString({ describe: "Logo URL: a path on this site, https URL or data: URI" }),
    site_apps: opt.custom<Omit<SiteApp, "id">[] | undefined>({ default: undefined, check: checkSiteApps, describe: "App chooser entries (mod_register_apps fields)" }),
    site_apps_show: opt.list({ default: [], describe: "Only these app ids" }),
    site_apps_hide: opt.list({ default: [], describe: "Hide these app ids" }),
    invites_page: opt.optionalString({ describe: "Landing URL template, e.g. https://example.org/invite?{invite.token} (default: this module's page)" }),
    invites_registration_page: opt.string({ default: "register?t={invite.token}&c={app.id}", describe: "Registration URL template, relative to the landing page" }),
    invites_page_avatar_url: opt.optionalString({ describe: "Inviter avatar URL template: {jid}, {localpart}, {host}" }),
    invites_page_rate_limit: opt.integer({ default: 60, min: 0, describe: "Token and code lookups per IP per minute (0 = no limit)" }),
  },
  setup(mod) {
    const invites = mod.depends<InvitesApi>("invites");
    const o = mod.options;
    const codes = new ShortCodes(mod.openStore("short_code"));
    const apps = buildApps(o.site_apps, o.site_apps_show, o.site_apps_hide);
    const byId = new Map(apps.map((a) => [a.id, a]));
    const limiter = mod.limiter("lookups", { points: o.invites_page_rate_limit, durationMs: 60_000 });
    /** One lookup from this client's address (IPv6 by /64); the seconds to wait when over the limit. */
    const overLimit = async (req: HttpRequest): Promise<number | undefined> => {
      const r = await limiter.consume(addressKey(mod.clientIp(req)));
      return r.ok ? undefined : r.retryAfterS;
    };
    const pagePath = () => new URL(mod.url()).pathname;
    const baseUrl = () => mod.config.baseUrl.replace(/\/$/, "");

    const imgOrigins = [o.site_logo, o.invites_page_avatar_url, ...apps.map((a) => a.image)].map(originOf).filter((x): x is string => !!x);
    const site: Site = {
      name: o.site_name ?? mod.config.hosts[0] ?? "XMPP",
      logo: o.site_logo,
      get cssPath() { return `${pagePath()}/static/style.css`; },
      get secure() { return mod.config.baseUrl.startsWith("https:"); },
      policy: { imgOrigins: [...new Set(imgOrigins)] },
    };

    const landingUrl = (token: string) => o.invites_page
      ? renderLinkTemplate(o.invites_page, { invite: { token }, token, host: mod.config.hosts[0] })
      : `${mod.url()}?${token}`;
    const registerUrl = (token: string, app?: SiteApp) => {
      const rel = renderLinkTemplate(o.invites_registration_page, { invite: { token }, app: app ?? {} }).replace(/&c=$/, "");
      return new URL(rel, mod.url()).href;
    };
    const api: InvitesPageApi = {
      site, apps, landingUrl, registerUrl,
      app: (id) => (typeof id === "string" ? byId.get(id) : undefined),
      get codeAction() { return `${pagePath()}/code`; },
      ctx: (req, res) => pageCtx(req, res, site),
      inviter: (invite) => inviterOf(invite, o.invites_page_avatar_url),
      invalidPage: (ctx, reason, invite) => invalidPage(ctx, reason, invite, api.codeAction),
      failurePage,
      tooManyPage,
      avatar,
    };

    mod.hook("invite-created", async ({ created }: InviteCreatedEvent) => {
      const url = landingUrl(created.token);
      created.landingUrl = url;
      created.link = url;
      const { shortCode, shortCodeExpiresAt } = created.invite;
      if (shortCode && shortCodeExpiresAt) {
        await codes.put(shortCode, created.token, shortCodeExpiresAt);
        created.shortUrl = `${baseUrl()}/i/${shortCode}`;
      }
    });

    /** Runs a page handler; any failure becomes a friendly page, never JSON or a trace. */
    const page = (fn: (req: HttpRequest, res: HttpResponse, ctx: PageCtx) => Promise<void>) =>
      async (req: HttpRequest, res: HttpResponse) => {
        const ctx = api.ctx(req, res);
        try {
          await fn(req, res, ctx);
        } catch (err) {
          const { status, body } = failurePage(ctx, err);
          mod.log[status >= 500 && status !== 503 ? "error" : "warn"]({ err, path: req.path }, "landing page failed");
          sendPage(res, status, body, site.policy);
        }
      };
    const limited = async (req: HttpRequest, res: HttpResponse, ctx: PageCtx): Promise<boolean> => {
      const wait = await overLimit(req);
      if (wait === undefined) return false;
      res.setHeader("Retry-After", String(wait));
      const { status, body } = tooManyPage(ctx);
      sendPage(res, status, body, site.policy);
      return true;
    };
    const sendInvalid = (res: HttpResponse, ctx: PageCtx, reason: InvalidReason, invite?: Invite) => {
      const { status, body } = invalidPage(ctx, reason, invite, api.codeAction);
      sendPage(res, status, body, site.policy);
    };
    const validate = async (token: string | undefined): Promise<Validation> =>
      token && TOKEN_SHAPE.test(token) ? invites.validate(token) : { ok: false, reason: "invalid" };

    const landingData = async (req: HttpRequest, ctx: PageCtx, invite: Invite, token: string): Promise<LandingData> => {
      const uri = invites.uriFor(invite, token);
      const canRegister = invite.type === "account" || invite.type === "account_and_contact";
      const setupUrl = (app: SiteApp) => `${mod.url(`/setup/${encodeURIComponent(app.id)}`)}?${token}`;
      return {
        invite, uri, inviter: api.inviter(invite),
        apps: sortApps(apps, detectPlatform(req.get("user-agent"))),
        registerUrl: (app) => registerUrl(token, app),
        proceedUrl(app) {
          if (!canRegister) return setupUrl(app);
          if (app.magic_link_format) return renderLinkTemplate(app.magic_link_format, { app, invite: { token, uri }, base_url: baseUrl() });
          return app.supports_preauth_uri ? setupUrl(app) : registerUrl(token, app);
        },
        qr: await qrSvg(landingUrl(token), ctx.t("qr_title")),
      };
    };

    const router = mod.router();
    router.get("/static/style.css", (req, res) => {
      res.setHeader("Cache-Control", "public, max-age=86400");
      res.setHeader("ETag", CSS_ETAG);
      if (req.get("if-none-match") === CSS_ETAG) { res.status(304).end(); return; }
      res.type("text/css; charset=utf-8").send(CSS);
    });

    router.get("/", page(async (req, res, ctx) => {
      const token = tokenFromQuery(req.originalUrl);
      if (token === undefined) {
        sendPage(res, 200, layout(ctx, { title: ctx.t("code_title"), body: codeForm(ctx, api.codeAction) }), site.policy);
        return;
      }
      if (await limited(req, res, ctx)) return;
      const v = await validate(token);
      if (!v.ok) return sendInvalid(res, ctx, v.reason, v.invite);
      const data = await landingData(req, ctx, v.invite, token);
      res.setHeader("Link", `<${data.uri}>; rel="alternate"`);
      sendPage(res, 200, landingPage(ctx, data), site.policy);
    }));

    router.get("/setup/:app", page(async (req, res, ctx) => {
      if (await limited(req, res, ctx)) return;
      const token = tokenFromQuery(req.originalUrl);
      const v = await validate(token);
      if (!v.ok) return sendInvalid(res, ctx, v.reason, v.invite);
      const app = api.app(req.params["app"]);
      const back = `${mod.url()}?${token}`;
      if (!app) return sendPage(res, 404, layout(ctx, { title: ctx.t("not_found_title"), body: notFound(ctx, api.codeAction) }), site.policy);
      const data = await landingData(req, ctx, v.invite, token!);
      res.setHeader("Link", `<${data.uri}>; rel="alternate"`);
      sendPage(res, 200, setupPage(ctx, data, app, back), site.policy);
    }));

    /** Code -> landing page: a 303 to it, or the page saying why the code does not work. */
    const openCode = async (req: HttpRequest, res: HttpResponse, ctx: PageCtx, input: string) => {
      const code = normalizeCode(input);
      if (!code) {
        const body = layout(ctx, { title: ctx.t("code_title"), body: codeForm(ctx, api.codeAction, ctx.t("code_bad"), input.slice(0, 20)) });
        return sendPage(res, 400, body, site.policy);
      }
      const v = await invites.resolveShortCode(code);
      if (!v.ok) return sendInvalid(res, ctx, v.reason, v.invite);
      const token = await codes.token(code);
      if (!token) {
        const body = layout(ctx, { title: ctx.t("code_title"), body: codeForm(ctx, api.codeAction, ctx.t("code_no_link"), input.slice(0, 20)) });
        return sendPage(res, 404, body, site.policy);
      }
      res.setHeader("Cache-Control", "no-store");
      res.redirect(303, `${mod.url()}?${token}`);
    };

    router.post("/code", page(async (req, res, ctx) => {
      if (await limited(req, res, ctx)) return;
      const input = (req.body as Record<string, unknown> | undefined)?.["code"];
      await openCode(req, res, ctx, typeof input === "string" ? input : "");
    }));

    const shortRouter = mod.mount("/i");
    shortRouter.get("/:code", page(async (req, res, ctx) => {
      if (await limited(req, res, ctx)) return;
      await openCode(req, res, ctx, String(req.params["code"]));
    }));

    const pairing = mod.mount("/pairing");
    pairing.get("/:code", async (req, res) => {
      res.setHeader("Cache-Control", "no-store");
      try {
        const wait = await overLimit(req);
        if (wait !== undefined) {
          res.setHeader("Retry-After", String(wait));
          res.status(429).json({ error: "invites_page.rate_limited", message: "Too many lookups; try again in a minute" });
          return;
        }
        const code = normalizeCode(String(req.params["code"]));
        const v = code ? await invites.resolveShortCode(code) : undefined;
        const token = code && v?.ok ? await codes.token(code) : undefined;
        if (!v?.ok || !token) {
          res.status(404).json({ error: "invites_page.unknown_code", message: "No usable invite has this code (unknown, expired, revoked or used up)" });
          return;
        }
        res.json(pairingJson(v.invite, token, invites.uriFor(v.invite, token)));
      } catch (err) {
        mod.log.warn({ err }, "pairing lookup failed");
        res.status(503).json({ error: "invites_page.unavailable", message: "The invite store is not reachable; try again shortly" });
      }
    });

    function pairingJson(invite: Invite, token: string, uri: string) {
      const inviter = api.inviter(invite);
      const abs = (u: string | undefined) => (u && u.startsWith("/") ? `${baseUrl()}${u}` : u);
      return {
        type: invite.type,
        landing_url: landingUrl(token),
        uri,
        expires: new Date(invite.expiresAt).toISOString(),
        site: { name: site.name, logo: abs(site.logo) ?? null },
        inviter: inviter ? { jid: inviter.jid, name: inviter.name, avatar: abs(inviter.avatar) ?? null } : null,
      };
    }

    router.use(page(async (_req, res, ctx) => {
      sendPage(res, 404, layout(ctx, { title: ctx.t("not_found_title"), body: notFound(ctx, api.codeAction) }), site.policy);
    }));

    return api;
  },
});
