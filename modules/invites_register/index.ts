// Web registration through an invite (Prosody's mod_invites_register_web paths and field
// names: GET/POST /register?t=TOKEN&c=APP with user, password, token, app_id), password
// resets, and the user-registered handlers (mutual contacts, roles and groups recorded).
import { randomBytes } from "node:crypto";
import { addressKey, defineModule, type HttpRequest, type HttpResponse, type Limiter } from "../../core/types.js";
import { isModuleError } from "../../core/types.js";
import { opt } from "../../core/types.js";
import type { Invite, InvitesApi } from "../invites/types.js";
import type { InvitesPageApi } from "../invites_page/types.js";
import { renderLinkTemplate, type SiteApp } from "../../web/apps.js";
import { messagePage, sendPage, type PageCtx } from "../../web/layout.js";
import { CSRF_COOKIE, CsrfSigner, originOf, readCookie, setCookie } from "../../web/security.js";
import { makeMutualContacts, recordAccount } from "./contacts.js";
import { registerAccount, resetPassword, type FlowDeps } from "./flow.js";
import { checkPassword, checkPolicyOption, DEFAULT_POLICY, type PasswordPolicy } from "./policy.js";
import { registerForm, resetDonePage, successPage } from "./pages.js";
import type { AccountRecord, InvitesRegisterApi } from "./types.js";

const INVALID = new Set(["invites.invalid", "invites.expired", "invites.revoked", "invites.used_up", "invites.not_yet_valid"]);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

export default defineModule({
  name: "invites_register",
  description: "Web registration and password reset through invites; mutual contacts for contact invites",
  dependencies: ["invites", "invites_page"],
  options: {
    password_policy: opt.custom<Partial<PasswordPolicy>>({ default: {}, check: checkPolicyOption, describe: "{ length, max_length, exclude_username }" }),
    webchat_url: opt.optionalString({ describe: "A web chat to offer after registration" }),
    register_rate_limit: opt.integer({ default: 10, min: 0, describe: "Registration attempts per IP per minute (0 = no limit)" }),
    register_lookup_rate_limit: opt.integer({ default: 60, min: 0, describe: "Registration page loads per IP per minute (0 = no limit)" }),
  },
  async setup(mod) {
    const invites = mod.depends<InvitesApi>("invites");
    const pages = mod.depends<InvitesPageApi>("invites_page");
    const policy: PasswordPolicy = { ...DEFAULT_POLICY, ...mod.options.password_policy };
    const accounts = mod.openStore<AccountRecord>("account");
    const secrets = mod.openStore<string>("secret");
    const secret = await secrets.update("csrf", (cur) => cur ?? randomBytes(32).toString("base64"));
    const csrf = new CsrfSigner(Buffer.from(secret!, "base64"));
    const attempts = mod.limiter("attempts", { points: mod.options.register_rate_limit, durationMs: 60_000 });
    const lookups = mod.limiter("lookups", { points: mod.options.register_lookup_rate_limit, durationMs: 60_000 });
    const deps: FlowDeps = { invites, admin: () => mod.admin, fire: (e, p) => mod.fire(e, p), log: mod.log };
    const site = pages.site;

    mod.hook("user-registered", async (ev) => {
      const inviter = ev.invite.inviter ? pages.inviter(ev.invite)?.name ?? ev.invite.inviter : "";
      await makeMutualContacts(mod.admin, mod.log, ev, { inviter, user: ev.username });
      try { await recordAccount(accounts, ev); } catch (err) { mod.log.warn({ err, jid: ev.jid }, "could not record the account's roles and groups"); }
    });

    const send = (res: HttpResponse, r: { status: number; body: string }, app?: SiteApp) =>
      sendPage(res, r.status, r.body, { ...site.policy, formOrigins: [originOf(app?.login_link_format)].filter((x): x is string => !!x) });
    const limited = async (limiter: Limiter, req: HttpRequest, res: HttpResponse, ctx: PageCtx) => {
      const r = await limiter.consume(addressKey(mod.clientIp(req)));
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
      return csrf.sign(cookie, token);
    };
    /** The app's logo when one was chosen, else the inviter's picture (not on a reset). */
    const picture = (invite: Invite, app: SiteApp | undefined) => {
      if (app) return pages.avatar(app.name, app.image, "big");
      const inviter = invite.type === "reset" ? undefined : pages.inviter(invite);
      return inviter ? pages.avatar(inviter.name, inviter.avatar, "big") : undefined;
    };
    const form = (req: HttpRequest, res: HttpResponse, ctx: PageCtx, invite: Invite, token: string, app: SiteApp | undefined, status: number, error?: string, user?: string) => {
      const body = registerForm(ctx, {
        invite, token, app, csrf: csrfFor(req, res, token), action: ctx.path, picture: picture(invite, app),
        minLength: policy.length, uri: invites.uriFor(invite, token), ...(error ? { error } : {}), ...(user ? { user } : {}),
      });
      send(res, { status, body }, app);
    };
    const landing = (res: HttpResponse, token: string) => { res.setHeader("Cache-Control", "no-store"); res.redirect(303, pages.landingUrl(token)); };

    const router = mod.mount("/register");
    router.get("/", async (req, res) => {
      const ctx = pages.ctx(req, res);
      try {
        if (await limited(lookups, req, res, ctx)) return;
        const token = str(req.query["t"]) ?? "";
        const v = await invites.validate(token);
        if (!v.ok) return send(res, pages.invalidPage(ctx, v.reason, v.invite));
        if (v.invite.type === "contact") return landing(res, token);
        form(req, res, ctx, v.invite, token, pages.app(req.query["c"]), 200);
      } catch (err) {
        mod.log.warn({ err }, "registration page failed");
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
      const again = (status: number, error: string) => form(req, res, ctx, invite!, token, app, status, error, user);
      try {
        if (await limited(attempts, req, res, ctx)) return;
        const v = await invites.validate(token);
        if (!v.ok) return send(res, pages.invalidPage(ctx, v.reason, v.invite));
        invite = v.invite;
        if (invite.type === "contact") return landing(res, token);
        if (!csrf.verify(readCookie(req, CSRF_COOKIE), token, body["csrf"])) return again(403, ctx.t("err_csrf"));

        if (invite.type === "reset") {
          const bad = checkPassword(password, invite.username ?? "", policy);
          if (bad) return again(400, ctx.t(bad.key, bad.vars));
          const jid = await resetPassword(deps, { token, invite, password });
          return send(res, { status: 200, body: resetDonePage(ctx, jid) });
        }

        if (user === "" || password === "") return again(400, ctx.t("err_fill"));
        const checked = invites.checkUsername(user);
        if (!checked.ok) return again(400, ctx.t("err_username", { reason: checked.reason }));
        const username = checked.username;
        if (invite.username !== null && invite.username !== username) return again(403, ctx.t("err_bound", { name: invite.username }));
        const bad = checkPassword(password, username, policy);
        if (bad) return again(400, ctx.t(bad.key, bad.vars));
        if (await mod.admin.accountExists(`${username}@${invite.host}`)) return again(409, ctx.t("err_taken", { name: username }));

        const done = await registerAccount(deps, { token, username, password, ip: mod.clientIp(req), source: "web" });
        if (app?.login_link_format) {
          res.setHeader("Cache-Control", "no-store");
          return res.redirect(303, renderLinkTemplate(app.login_link_format, { site_name: site.name, username, domain: invite.host, password, app }));
        }
        const names = done.contacts.map((jid) => (jid === invite!.inviter ? pages.inviter(invite!)?.name ?? jid : jid));
        send(res, { status: 200, body: successPage(ctx, { jid: done.jid, app, contacts: names, webchatUrl: mod.options.webchat_url }) });
      } catch (caught) {
        const err = isModuleError(caught) ? caught : undefined;
        if (err) {
          if (INVALID.has(err.code)) return send(res, pages.invalidPage(ctx, err.code.slice("invites.".length) as "invalid", invite));
          if (err.code === "invites.username_mismatch") return again(403, ctx.t("err_bound", { name: invite?.username ?? "" }));
          if (err.code === "admin.username_taken") return again(409, ctx.t("err_taken", { name: user }));
          if (err.code === "admin.no_such_user" && invite) {
            return send(res, { status: 404, body: messagePage(ctx, ctx.t("error_title"), ctx.t("err_no_account", { jid: `${invite.username ?? ""}@${invite.host}` }), undefined, "bad") });
          }
          // The server refused the account as asked (e.g. a password its SASLprep rejects):
          // nothing was created, the use was given back, the visitor can try again.
          if (err.code === "admin.refused" && invite) return again(422, ctx.t("err_server_refused"));
          // A veto from a user-registering handler: its message is meant for the visitor.
          if (err.status < 500 && invite) return again(err.status, ctx.t("err_refused", { reason: err.message }));
        }
        const page = pages.failurePage(ctx, caught);
        mod.log[page.status === 503 ? "warn" : "error"]({ err: caught, code: err?.code }, "registration failed");
        send(res, page);
      }
    });

    return { account: (jid) => accounts.get(jid.toLowerCase()) } satisfies InvitesRegisterApi;
  },
});
