// GET/POST /register?t=TOKEN&c=APP: the web form for a new account or a password reset
// (Prosody's mod_invites_register_web paths and field names: user, password, token, app_id).
// The rules live in flow.ts; this file turns their errors into the form shown again.
import { addressKey, type HttpRequest, type HttpResponse, type Limiter, type ModuleContext, type Router } from "../../core/types.js";
import { adminErrors, isModuleError, type AdminPort } from "../../core/types.js";
import { isGreeted } from "../invites/index.js";
import type { Invite, InvitesApi, Validation } from "../invites/types.js";
import type { InvitesPageApi } from "../invites_page/types.js";
import { renderLinkTemplate, type SiteApp } from "../../web/apps.js";
import type { Key } from "../../web/i18n.js";
import { messagePage, sendPage, type PageCtx } from "../../web/layout.js";
import { CSRF_COOKIE, CsrfSigner, originOf, readCookie, setCookie } from "../../web/security.js";
import { requiredFor, type Acceptance, type Agreement } from "./agreements.js";
import { registerAccount, resetPassword, type FlowDeps } from "./flow.js";
import { registerForm, resetDonePage, successPage } from "./pages.js";

/**
 * "Used up" only because of uses held while the XMPP server is unreachable: whether those
 * accounts were made is not known yet (crash recovery decides once it is back), so the
 * visitor is told to try again shortly rather than that the invite is spent.
 */
function heldDuringOutage(v: Validation, admin: AdminPort): boolean {
  return !v.ok && v.reason === "used_up" && !!v.invite && v.invite.usesPending > 0 && !admin.connected;
}

const INVALID = new Set(["invites.invalid", "invites.expired", "invites.revoked", "invites.used_up", "invites.not_yet_valid"]);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);
/** Form fields that take one value; a repeated one (user=a&user=b) is refused by name. */
const SINGLE = ["token", "csrf", "user", "password", "app_id"];
const repeated = (body: Record<string, unknown>) => SINGLE.find((f) => Array.isArray(body[f])) ?? Object.keys(body).find((f) => f.startsWith("accept_") && Array.isArray(body[f]));
const VERSION = /^[0-9a-f]{16}$/;

/** The boxes ticked: accept_<id> = the version the form showed. */
function acceptedIn(body: Record<string, unknown>, required: readonly Agreement[]): Acceptance[] {
  return required.flatMap((a) => {
    const v = body[`accept_${a.id}`];
    return typeof v === "string" && VERSION.test(v) ? [{ id: a.id, version: v }] : [];
  });
}

export interface RouteDeps {
  mod: Pick<ModuleContext, "clientIp" | "log">;
  invites: InvitesApi;
  pages: InvitesPageApi;
  flow: FlowDeps;
  csrf: CsrfSigner;
  attempts: Limiter;
  lookups: Limiter;
  webchatUrl: string | undefined;
}

/** A rule the flow refused, as the sentence the form shows (undefined: not a rule of the form). */
function formError(ctx: PageCtx, code: string, detail: Record<string, unknown> | undefined, user: string, invite: Invite, agreements: readonly Agreement[]): { status: number; text: string } | undefined {
  const title = () => agreements.find((a) => a.id === detail?.["agreement"])?.title[ctx.lang] ?? String(detail?.["agreement"] ?? "");
  switch (code) {
    case "invites_register.terms_not_accepted": return { status: 400, text: ctx.t("err_terms", { title: title() }) };
    case "invites_register.terms_changed": return { status: 400, text: ctx.t("err_terms_changed", { title: title() }) };
    case "invites_register.missing_fields": return { status: 400, text: ctx.t("err_fill") };
    case "invites_register.bad_username": return { status: 400, text: ctx.t("err_username", { reason: String(detail?.["reason"] ?? "") }) };
    case "invites_register.weak_password": return { status: 400, text: ctx.t(detail?.["rule"] as Key, detail?.["vars"] as Record<string, number | string> | undefined) };
    case "invites.username_mismatch": return { status: 403, text: ctx.t("err_bound", { name: invite.username ?? "" }) };
    case "admin.username_taken": return { status: 409, text: ctx.t("err_taken", { name: user }) };
    // The server refused the account as asked (e.g. a password its SASLprep rejects):
    // nothing was created, the use was given back, the visitor can try again.
    case "admin.refused": return { status: 422, text: ctx.t("err_server_refused") };
    default: return undefined;
  }
}

export function registerRoutes(router: Router, d: RouteDeps): void {
  const { invites, pages } = d;
  const site = pages.site;
  const send = (res: HttpResponse, r: { status: number; body: string }, app?: SiteApp) =>
    sendPage(res, r.status, r.body, { ...site.policy, formOrigins: [originOf(app?.login_link_format)].filter((x): x is string => !!x) });
  const limited = async (limiter: Limiter, req: HttpRequest, res: HttpResponse, ctx: PageCtx) => {
    // IPv6 addresses count by their /64 (core's addressKey).
    const r = await limiter.consume(addressKey(d.mod.clientIp(req)));
    if (r.ok) return false;
    res.setHeader("Retry-After", String(r.retryAfterS));
    send(res, pages.tooManyPage(ctx));
    return true;
  };
  /** The CSRF cookie for this browser (set when missing) and the form token bound to the invite. */
  const csrfFor = (req: HttpRequest, res: HttpResponse, token: string) => {
    let cookie = readCookie(req, CSRF_COOKIE);
    if (!cookie || cookie.length > 64) {
      cookie = CsrfSigner.newCookieValue();
      setCookie(res, CSRF_COOKIE, cookie, { path: "/register", maxAgeS: 86400, secure: site.secure });
    }
    return d.csrf.sign(cookie, token);
  };
  /** The app's logo when one was chosen, else the inviter's picture (not on a reset). */
  const picture = (invite: Invite, app: SiteApp | undefined) => {
    if (app) return pages.avatar(app.name, app.image, "big");
    const inviter = invite.type === "reset" ? undefined : pages.inviter(invite);
    return inviter ? pages.avatar(inviter.name, inviter.avatar, "big") : undefined;
  };
  const required = (invite: Invite) => (invite.type === "reset" ? [] : requiredFor(d.flow.agreements, invite.host));
  const form = async (req: HttpRequest, res: HttpResponse, ctx: PageCtx, invite: Invite, token: string, app: SiteApp | undefined, status: number, error?: string, user?: string, accepted: readonly Acceptance[] = []) => {
    const body = registerForm(ctx, {
      invite, token, app, csrf: csrfFor(req, res, token), action: ctx.path, picture: picture(invite, app),
      agreements: required(invite), accepted: accepted.map((a) => `${a.id} ${a.version}`),
      policy: d.flow.policy, inApp: await pages.inApp(invite.host), uri: invites.uriFor(invite, token), ...(error ? { error } : {}), ...(user ? { user } : {}),
    });
    send(res, { status, body }, app);
  };
  const landing = (res: HttpResponse, token: string) => { res.setHeader("Cache-Control", "no-store"); res.redirect(303, pages.landingUrl(token)); };

  router.get("/", async (req, res) => {
    const ctx = pages.ctx(req, res);
    try {
      if (await limited(d.lookups, req, res, ctx)) return;
      const token = str(req.query["t"]) ?? "";
      const v = await invites.validate(token);
      if (heldDuringOutage(v, d.flow.admin())) return send(res, pages.failurePage(ctx, adminErrors.not_connected()));
      if (!v.ok) return send(res, pages.invalidPage(ctx, v.reason, v.invite));
      // A contact invite makes no account here, and a greeted one only through its greeting.
      if (v.invite.type === "contact" || isGreeted(v.invite)) return landing(res, token);
      await form(req, res, ctx, v.invite, token, pages.app(req.query["c"]), 200);
    } catch (err) {
      d.mod.log.warn({ err }, "registration page failed");
      send(res, pages.failurePage(ctx, err));
    }
  });

  router.post("/", async (req, res) => {
    const ctx = pages.ctx(req, res);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = str(body["token"]) ?? str(req.query["t"]) ?? "";
    const app = pages.app(body["app_id"] ?? req.query["c"]);
    const user = (str(body["user"]) ?? "").trim();
    const password = str(body["password"]) ?? "";
    let invite: Invite | undefined;
    let accepted: Acceptance[] = [];
    const again = (status: number, error: string) => form(req, res, ctx, invite!, token, app, status, error, user, accepted);
    try {
      if (await limited(d.attempts, req, res, ctx)) return;
      const twice = repeated(body);
      if (twice !== undefined) return send(res, { status: 400, body: messagePage(ctx, ctx.t("error_title"), ctx.t("err_field_once", { field: twice }), undefined, "bad") });
      const v = await invites.validate(token);
      if (heldDuringOutage(v, d.flow.admin())) return send(res, pages.failurePage(ctx, adminErrors.not_connected()));
      if (!v.ok) return send(res, pages.invalidPage(ctx, v.reason, v.invite));
      invite = v.invite;
      if (invite.type === "contact" || isGreeted(invite)) return landing(res, token);
      if (!d.csrf.verify(readCookie(req, CSRF_COOKIE), token, body["csrf"])) return again(403, ctx.t("err_csrf"));

      if (invite.type === "reset") {
        const jid = await resetPassword(d.flow, { token, password });
        return send(res, { status: 200, body: resetDonePage(ctx, jid) });
      }
      accepted = acceptedIn(body, required(invite));
      const done = await registerAccount(d.flow, { token, username: user, password, ip: d.mod.clientIp(req), source: "web", accepted, lang: ctx.lang });
      const username = done.jid.slice(0, done.jid.lastIndexOf("@"));
      if (app?.login_link_format) {
        res.setHeader("Cache-Control", "no-store");
        return res.redirect(303, renderLinkTemplate(app.login_link_format, { site_name: site.name, username, domain: invite.host, password, app }));
      }
      const named = (jid: string) => ({ jid, name: jid === invite!.inviter ? pages.inviter(invite!)?.name ?? jid : jid });
      send(res, { status: 200, body: successPage(ctx, { jid: done.jid, app, contacts: done.contacts.map((j) => named(j).name), missing: done.contactsMissing.map(named), webchatUrl: d.webchatUrl }) });
    } catch (caught) {
      const err = isModuleError(caught) ? caught : undefined;
      if (err && invite) {
        if (err.code === "invites.used_up" && heldDuringOutage(await invites.validate(token).catch((): Validation => ({ ok: false, reason: "invalid" })), d.flow.admin())) {
          return send(res, pages.failurePage(ctx, adminErrors.not_connected()));
        }
        if (INVALID.has(err.code)) return send(res, pages.invalidPage(ctx, err.code.slice("invites.".length) as "invalid", invite));
        const shown = formError(ctx, err.code, err.detail, user, invite, d.flow.agreements);
        if (shown) return again(shown.status, shown.text);
        if (err.code === "admin.no_such_user") {
          return send(res, { status: 404, body: messagePage(ctx, ctx.t("error_title"), ctx.t("err_no_account", { jid: `${invite.username ?? ""}@${invite.host}` }), undefined, "bad") });
        }
        // A veto from a user-registering handler: its message is meant for the visitor.
        if (err.status < 500) return again(err.status, ctx.t("err_refused", { reason: err.message }));
      }
      const page = pages.failurePage(ctx, caught);
      d.mod.log[page.status === 503 ? "warn" : "error"]({ err: caught, code: err?.code }, "registration failed");
      send(res, page);
    }
  });
}
