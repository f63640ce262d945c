// The invite landing page (Prosody's mod_invites_page paths, so existing links work):
// GET /invites_page?TOKEN for every invite type, /invites_page/setup/APP?TOKEN, short
// links /i/CODE, an "I have a code" form, and GET /pairing/CODE (JSON) for apps. Setup only
// wires: the routes are in landing-routes.ts and code-routes.ts, the shared pages in render.ts.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { defineModule, opt } from "../../core/types.js";
import type { InvitesApi, InviteCreatedEvent } from "../invites/types.js";
import { buildApps, checkSiteApps, renderLinkTemplate, type SiteApp } from "../../web/apps.js";
import { pageCtx, type Site } from "../../web/layout.js";
import { originOf } from "../../web/security.js";
import { codeRoutes } from "./code-routes.js";
import { makeKit } from "./kit.js";
import { landingRoutes, notFoundRoute } from "./landing-routes.js";
import { avatar, failurePage, invalidPage, inviterOf, tooManyPage } from "./render.js";
import type { InAppQuery } from "../invites_inapp/types.js";
import { ShortCodes } from "./shortcodes.js";
import type { InvitesPageApi } from "./types.js";

export type * from "./types.js";
export { tokenFromQuery } from "./landing-routes.js";

const CSS = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "../../web/style.css"), "utf8");

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
    const codes = new ShortCodes(mod.openStore("short_code"), mod.secretKey("short-code"));
    const apps = buildApps(o.site_apps, o.site_apps_show, o.site_apps_hide);
    const byId = new Map(apps.map((a) => [a.id, a]));
    // Token and code lookups, per address (shared by every instance on PostgreSQL).
    const limiter = mod.limiter("lookups", { points: o.invites_page_rate_limit, durationMs: 60_000 });
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
    /** Whether apps can use invites in-app on this host (invites_inapp answers; no answer: web first). */
    const inApp = async (host: string) => {
      const q: InAppQuery = { host, available: false };
      try {
        await mod.fire("in-app-paths", q);
      } catch (err) {
        mod.log.warn({ err, host }, "could not tell whether in-app paths work; offering the web first");
        return false;
      }
      return q.available;
    };
    const api: InvitesPageApi = {
      site, apps, landingUrl, inApp,
      registerUrl(token, app) {
        const rel = renderLinkTemplate(o.invites_registration_page, { invite: { token }, app: app ?? {} }).replace(/&c=$/, "");
        return new URL(rel, mod.url()).href;
      },
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

    const kit = makeKit({ invites, api, limiter, log: mod.log, clientIp: (req) => mod.clientIp(req) });
    const router = mod.router();
    landingRoutes(router, kit, { mod, css: CSS, baseUrl });
    codeRoutes(router, kit, { mod, codes, log: mod.log, baseUrl });
    notFoundRoute(router, kit);
    return api;
  },
});
