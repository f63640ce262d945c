// The claimer in a browser: GET/POST /invites_greeting/claim?TOKEN (the "Invitation URL"),
// its event stream, and claim.js. The claimer's session secret lives in an HttpOnly,
// SameSite=Strict cookie for this invite; the server acts for the browser in the key
// exchange (service.ts: the agent). Taking the claimer's seat needs a click (a POST): link
// previews and prefetchers that GET the URL take nothing.
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { addressKey, isModuleError, type HttpRequest, type HttpResponse, type Limiter, type Logger, type ModuleContext, type Router } from "../../core/types.js";
import { tokenFromQuery } from "../invites_page/index.js";
import type { InvitesPageApi } from "../invites_page/types.js";
import type { InvalidReason } from "../invites/types.js";
import { messagePage, sendPage, type PageCtx } from "../../web/layout.js";
import { CSRF_COOKIE, CsrfSigner, readCookie, setCookie } from "../../web/security.js";
import { phaseOf, type GreetingRecord } from "./machine.js";
import { claimPage, type ClaimData } from "./pages.js";
import type { Greetings, Who } from "./service.js";
import { texts } from "./texts.js";
import { hashSecret } from "./seal.js";

const SCRIPT = readFileSync(join(dirname(fileURLToPath(import.meta.url)), "static/claim.js"), "utf8");
const REASONS = new Set(["invalid", "expired", "not_yet_valid", "revoked", "used_up"]);
const SINGLE = ["do", "csrf", "code", "user", "password", "display_name"];

export interface PageDeps {
  mod: Pick<ModuleContext, "url" | "clientIp" | "log">;
  greetings: Greetings;
  pages: InvitesPageApi;
  csrf: CsrfSigner;
  /** Failed token lookups per client address, and how many a minute are allowed (0: no limit). */
  /** Failed token checks per address (greeting_rate_limit a minute). */
  failures: Limiter;
  log: Logger;
  apiUrl(): string;
  /** Path the module is mounted at (for cookies). */
  mountPath(): string;
}

/** Which page a record shows (the same for several phases: claim.js reloads only when it changes). */
export function pageKind(rec: GreetingRecord): ClaimData["phase"] {
  switch (phaseOf(rec)) {
    case "claimer_pick": return "pick";
    case "greeter_pick": return "show_code";
    case "claimer_info": return "info";
    case "greeter_review": case "creating": return "review";
    case "done": return "done";
    case "cancelled": return "revoked";
    default: return "waiting";
  }
}

export function pageRoutes(router: Router, d: PageDeps): void {
  const g = d.greetings;
  const cookieName = (w: Who) => `xi_greeting_${w.invite.id}`;
  const secretOf = (req: HttpRequest, w: Who) => {
    const v = readCookie(req, cookieName(w));
    return v !== undefined && /^[A-Za-z0-9_-]{43}$/.test(v) ? v : undefined;
  };
  const csrfFor = (req: HttpRequest, res: HttpResponse, token: string) => {
    let cookie = readCookie(req, CSRF_COOKIE);
    if (!cookie || cookie.length > 64) {
      cookie = CsrfSigner.newCookieValue();
      setCookie(res, CSRF_COOKIE, cookie, { path: d.mountPath(), maxAgeS: 86400, secure: d.pages.site.secure });
    }
    return d.csrf.sign(cookie, token);
  };
  const policy = () => ({ ...d.pages.site.policy, scripts: true });
  const send = (res: HttpResponse, status: number, body: string) => sendPage(res, status, body, policy());

  /** The page for this claimer now (creating the account when it is the claimer's turn to). */
  async function show(req: HttpRequest, res: HttpResponse, ctx: PageCtx, w: Who, token: string, extra: { error?: string; message?: string; status?: number; username?: string; displayName?: string } = {}): Promise<void> {
    const t = texts(ctx.lang);
    let rec = await g.record(w);
    const secret = secretOf(req, w);
    const sid = secret === undefined ? undefined : hashSecret(secret);
    const base: Omit<ClaimData, "phase" | "livePhase"> = {
      greeter: rec.greeterName, host: w.invite.host, boundUsername: w.invite.username, csrf: csrfFor(req, res, token), action: ctx.path,
      eventsUrl: `${d.mod.url("/claim/events")}?${token}`, scriptUrl: d.mod.url("/static/claim.js"), ...extra,
    };
    let phase: ClaimData["phase"];
    let seated = secret !== undefined && rec.claimer?.sid === sid;
    if (seated) {
      try {
        rec = await g.view(w, secret!);
        if (phaseOf(rec) === "creating") rec = await g.create(w, secret!, token, d.mod.clientIp(req));
      } catch (err) {
        // The attempt ended just now (a timeout, the greeter): the page says why.
        if (!isModuleError(err) || !["invites_greeting.ended", "invites_greeting.no_session", "invites_greeting.finished"].includes(err.code)) throw err;
        rec = await g.record(w);
        seated = false;
      }
    }
    if (seated) phase = pageKind(rec);
    else if (sid !== undefined && rec.done?.sids.includes(sid)) phase = "done";
    else if (sid !== undefined && rec.ended?.sids.includes(sid)) { phase = "ended"; base.message ??= rec.ended.message; }
    else if (rec.revoked) { phase = "revoked"; base.message ??= rec.ended?.message; }
    else phase = rec.claimer ? "busy" : extra.message ? "ended" : "intro";
    const steps = [{ label: t("step_info"), done: true }, { label: t("step_greeter"), done: phase !== "waiting" }];
    if (phase === "show_code" || phase === "review") steps.push({ label: t("step_wait"), done: false });
    const codes = phase === "show_code" && secret ? g.agentCodes(rec, secret) : undefined;
    const data: ClaimData = {
      ...base, phase, livePhase: phase, steps,
      ...(rec.choices ? { choices: rec.choices } : {}),
      ...(codes ? { claimerCode: codes.claimer } : {}),
      ...(phase === "done" ? { jid: rec.done?.jid ?? "" } : {}),
      ...(phase === "review" && rec.info ? { jid: `${rec.info.username}@${w.invite.host}`, ...(rec.problem ? { error: rec.problem } : {}) } : {}),
    };
    send(res, extra.status ?? (phase === "busy" ? 409 : phase === "revoked" ? 410 : 200), claimPage(ctx, t, data));
  }

  /** Runs a page handler: an unusable invite gets its page, a failure the failure page, never a trace. */
  const page = (fn: (req: HttpRequest, res: HttpResponse, ctx: PageCtx, w: Who, token: string) => Promise<void>) => async (req: HttpRequest, res: HttpResponse) => {
    const ctx = d.pages.ctx(req, res);
    try {
      // Only failed lookups count (a waiting page reloads itself every two seconds).
      const ip = addressKey(d.mod.clientIp(req));
      const allowed = await d.failures.check(ip);
      if (!allowed.ok) {
        res.setHeader("Retry-After", String(allowed.retryAfterS));
        const p = d.pages.tooManyPage(ctx);
        return send(res, p.status, p.body);
      }
      const token = tokenFromQuery(req.originalUrl) ?? "";
      let w: Who;
      try {
        w = await g.claimer(token);
      } catch (err) {
        // Not a greeted invite: its own landing page says what it is.
        if (isModuleError(err) && err.code === "invites_greeting.not_greeted") { res.setHeader("Cache-Control", "no-store"); return res.redirect(303, d.pages.landingUrl(token)); }
        await d.failures.consume(ip);
        throw err;
      }
      await fn(req, res, ctx, w, token);
    } catch (err) {
      if (isModuleError(err) && err.code.startsWith("invites.") && REASONS.has(err.code.slice(8))) {
        const p = d.pages.invalidPage(ctx, err.code.slice(8) as InvalidReason);
        return send(res, p.status, p.body);
      }
      if (isModuleError(err) && err.status < 500) return send(res, err.status, messagePage(ctx, ctx.t("error_title"), err.message, undefined, "bad"));
      const p = d.pages.failurePage(ctx, err);
      d.log[p.status === 503 ? "warn" : "error"]({ err }, "claim page failed");
      send(res, p.status, p.body);
    }
  };

  router.get("/static/claim.js", (_req, res) => {
    res.setHeader("Cache-Control", "public, max-age=3600");
    res.type("text/javascript; charset=utf-8").send(SCRIPT);
  });

  router.get("/claim", async (req, res, next) => {
    // A terminal claimer (invitectl invite claim URL) asks the same URL for JSON.
    if (req.accepts(["text/html", "application/json"]) !== "application/json") return next();
    const token = tokenFromQuery(req.originalUrl) ?? "";
    const w = await g.claimer(token);
    const rec = await g.record(w);
    res.setHeader("Cache-Control", "no-store");
    res.json({ greeter: rec.greeterName, host: w.invite.host, bound_username: w.invite.username, api: d.apiUrl(), expires_at: new Date(w.invite.expiresAt).toISOString() });
  });

  router.get("/claim", page(async (req, res, ctx, w, token) => show(req, res, ctx, w, token)));

  router.post("/claim", page(async (req, res, ctx, w, token) => {
    const t = texts(ctx.lang);
    const body = (req.body ?? {}) as Record<string, unknown>;
    const twice = SINGLE.find((f) => Array.isArray(body[f]));
    if (twice !== undefined) return show(req, res, ctx, w, token, { status: 400, message: ctx.t("err_field_once", { field: twice }) });
    const str = (f: string) => (typeof body[f] === "string" ? (body[f] as string) : "");
    if (!d.csrf.verify(readCookie(req, CSRF_COOKIE), token, body["csrf"])) return show(req, res, ctx, w, token, { status: 403, message: ctx.t("err_csrf") });
    const again = () => { res.setHeader("Cache-Control", "no-store"); res.redirect(303, ctx.path); };
    const action = str("do");
    if (action === "join") {
      let joined: { secret: string };
      try {
        joined = await g.join(w, undefined, true);
      } catch (err) {
        if (isModuleError(err) && err.code === "invites_greeting.claimer_busy") return show(req, res, ctx, w, token);
        throw err;
      }
      const left = Math.max(60, Math.min(86400, Math.floor((w.invite.expiresAt - Date.now()) / 1000)));
      setCookie(res, cookieName(w), joined.secret, { path: d.mountPath(), maxAgeS: left, secure: d.pages.site.secure });
      return again();
    }
    const secret = secretOf(req, w);
    if (secret === undefined) return show(req, res, ctx, w, token, { status: 409, message: t("ended_title") });
    try {
      switch (action) {
        case "pick": {
          const rec = await g.view(w, secret);
          const codes = g.agentCodes(rec, secret);
          await g.act(w, secret, { do: "trust", ok: codes !== undefined && str("code") === codes.greeter });
          return again();
        }
        case "info":
          try {
            await g.info(w, secret, { username: str("user"), password: str("password"), displayName: str("display_name").trim().slice(0, 200) });
          } catch (err) {
            if (isModuleError(err) && err.status < 500 && !err.code.startsWith("invites_greeting.")) {
              return show(req, res, ctx, w, token, { status: err.status, error: err.message, username: str("user"), displayName: str("display_name") });
            }
            throw err;
          }
          return again();
        case "cancel":
          await g.act(w, secret, { do: "cancel" });
          return show(req, res, ctx, w, token, { message: t("cancelled_text") });
        default:
          return show(req, res, ctx, w, token, { status: 400, message: `Unknown action ${JSON.stringify(action.slice(0, 20))}` });
      }
    } catch (err) {
      // The attempt ended meanwhile (the greeter cancelled, a timeout): the page says why.
      if (isModuleError(err) && (err.code === "invites_greeting.ended" || err.code === "invites_greeting.no_session" || err.code === "invites_greeting.out_of_turn")) return show(req, res, ctx, w, token);
      throw err;
    }
  }));

  // Server-sent events for claim.js: the page kind each time the greeting changes.
  router.get("/claim/events", async (req, res) => {
    const token = tokenFromQuery(req.originalUrl) ?? "";
    res.status(200).setHeader("Content-Type", "text/event-stream; charset=utf-8");
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("X-Accel-Buffering", "no");
    res.flushHeaders();
    const gone = new AbortController();
    req.on("close", () => gone.abort());
    const write = (event: string, data: string) => { if (!gone.signal.aborted) res.write(`event: ${event}\ndata: ${data}\n\n`); };
    try {
      const w = await g.claimer(token);
      const secret = secretOf(req, w);
      if (secret === undefined) { write("end", "no-session"); return; }
      // A page with a live stream is expected to keep it: once it closes, the claimer has gone.
      let rec = await g.view(w, secret, false);
      let shown = pageKind(rec);
      write("phase", shown);
      while (!gone.signal.aborted && shown !== "done" && shown !== "revoked") {
        rec = await g.wait(w, secret, rec.version, 15_000, gone.signal);
        if (phaseOf(rec) === "creating") rec = await g.create(w, secret, token, d.mod.clientIp(req));
        const kind = pageKind(rec);
        if (kind !== shown) { shown = kind; write("phase", kind); } else if (!gone.signal.aborted) res.write(": still here\n\n");
      }
    } catch (err) {
      if (!isModuleError(err) || err.status >= 500) d.log.warn({ err }, "claim event stream failed");
      write("end", isModuleError(err) ? err.code : "error");
    } finally {
      res.end();
    }
  });
}
