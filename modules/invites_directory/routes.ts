// The directory's HTTP side, under /pairing (Plexus's pairing service): registered servers
// POST a URL and get a code; anyone GETs /pairing/CODE and is sent (302) where it leads;
// /pairing is the page where a person types a code. A code this directory does not know
// goes on to the next handler of /pairing/CODE (invites_page's own short codes, on an
// instance that is both), which asks back through the "pairing-code-miss" event.
import { addressKey, type HttpRequest, type HttpResponse, type Limiter, type Logger, type NextFunction, type Router } from "../../core/types.js";
import { normalizeCode } from "../invites/index.js";
import { html } from "../../web/html.js";
import { layout, messagePage, pageCtx, sendPage, type Site } from "../../web/layout.js";
import type { DirectoryCodes } from "./codes.js";
import type { RegisteredServer, Servers } from "./servers.js";

export interface DirectoryDeps {
  servers: Servers;
  codes: DirectoryCodes;
  lookups: Limiter;
  publishes: Limiter;
  maxTtlMs: number;
  site: Site;
  css: string;
  log: Logger;
  now(): number;
  clientIp(req: HttpRequest): string;
  /** Public URL of /pairing/CODE on this directory. */
  codeUrl(code: string): string;
}

const fail = (res: HttpResponse, status: number, error: string, message: string) => {
  res.status(status).json({ success: false, error: `invites_directory.${error}`, message });
};

function page(d: DirectoryDeps, req: HttpRequest, res: HttpResponse, status: number, error?: string, value = ""): void {
  const ctx = pageCtx(req, res, d.site);
  const { t } = ctx;
  const body = html`<section class="card hero">
<h1>${t("dir_title")}</h1>
<p class="lead">${t("dir_intro")}</p>
<form class="code-form" method="get" action="${new URL(d.codeUrl("x")).pathname.replace(/\/x$/, "")}">
${error ? html`<p class="alert" role="alert">${error}</p>` : ""}
<label for="code">${t("code_label")}</label>
<div class="row">
<input id="code" name="code" value="${value.slice(0, 20)}" autocomplete="off" autocapitalize="characters" spellcheck="false" maxlength="20" required placeholder="ABCD-2345">
<button type="submit">${t("code_submit")}</button>
</div>
<p class="hint">${t("code_help")}</p>
</form>
</section>`;
  sendPage(res, status, layout(ctx, { title: t("dir_title"), body }), d.site.policy);
}

async function authenticated(d: DirectoryDeps, req: HttpRequest, res: HttpResponse): Promise<RegisteredServer | undefined> {
  const header = req.get("authorization") ?? "";
  const m = /^Bearer (\S+)$/.exec(header);
  const server = m ? await d.servers.authenticate(m[1]!) : undefined;
  if (!server) {
    res.setHeader("WWW-Authenticate", 'Bearer realm="invites_directory"');
    fail(res, 401, "bad_key", "Send Authorization: Bearer ID/SECRET, a key made by invitectl mod_invites_directory add");
    return undefined;
  }
  const r = await d.publishes.consume(server.id);
  if (!r.ok) {
    res.setHeader("Retry-After", String(r.retryAfterS));
    fail(res, 429, "rate_limited", "Too many requests with this key; try again in a minute");
    return undefined;
  }
  return server;
}

export function directoryRoutes(router: Router, d: DirectoryDeps): void {
  /** Counts a lookup; false (with the 429 sent) when this address is over its limit. */
  const limited = async (req: HttpRequest, res: HttpResponse, asPage: boolean) => {
    const r = await d.lookups.consume(addressKey(d.clientIp(req)));
    if (r.ok) return false;
    res.setHeader("Retry-After", String(r.retryAfterS));
    if (asPage) {
      const ctx = pageCtx(req, res, d.site);
      sendPage(res, 429, messagePage(ctx, ctx.t("too_many_title"), ctx.t("too_many_text")), d.site.policy);
    } else fail(res, 429, "rate_limited", "Too many lookups from this address; try again in a minute");
    return true;
  };

  const go = (res: HttpResponse, location: string) => {
    res.setHeader("Cache-Control", "no-store");
    res.setHeader("Referrer-Policy", "no-referrer");
    res.redirect(302, location);
  };

  router.get("/style.css", (_req: HttpRequest, res: HttpResponse) => {
    res.setHeader("Cache-Control", "public, max-age=3600");
    res.type("text/css").send(d.css);
  });

  // The page where a person types a code; ?code= is its answer.
  router.get("/", async (req: HttpRequest, res: HttpResponse) => {
    const given = req.query["code"];
    if (given === undefined) return page(d, req, res, 200);
    if (typeof given !== "string") return page(d, req, res, 400, pageCtx(req, res, d.site).t("err_field_once", { field: "code" }));
    if (await limited(req, res, true)) return;
    const code = normalizeCode(given);
    const location = code ? await d.codes.resolve(code, d.now()) : undefined;
    if (location) return go(res, location);
    page(d, req, res, 404, pageCtx(req, res, d.site).t("dir_unknown"), given);
  });

  router.get("/:code", async (req: HttpRequest, res: HttpResponse, next: NextFunction) => {
    const code = normalizeCode(String(req.params["code"]));
    if (!code) return next();
    if (await limited(req, res, false)) return;
    const location = await d.codes.resolve(code, d.now());
    if (location) return go(res, location);
    next();
  });

  // Plexus: POST {"url": ...} -> {success, code, pairing_url, redirect_url}; here with a
  // key, a ttl (seconds, bounded) and the entry to withdraw it by.
  router.post("/", async (req: HttpRequest, res: HttpResponse) => {
    const server = await authenticated(d, req, res);
    if (!server) return;
    if (!req.is("application/json")) return fail(res, 400, "bad_request", "Send a JSON object {\"url\": ..., \"ttl\": seconds} with Content-Type: application/json");
    const body = req.body as Record<string, unknown> | undefined;
    const url = body?.["url"], ttl = body?.["ttl"];
    if (typeof url !== "string" || url.length > 2000) return fail(res, 400, "bad_url", "url: the address the code leads to (at most 2000 characters)");
    let target: URL;
    try { target = new URL(url); } catch { return fail(res, 400, "bad_url", `url: not a URL: ${JSON.stringify(url.slice(0, 100))}`); }
    if (target.origin !== server.origin) return fail(res, 403, "wrong_origin", `url: this key publishes only addresses on ${server.origin}`);
    const maxS = Math.floor(d.maxTtlMs / 1000);
    if (typeof ttl !== "number" || !Number.isInteger(ttl) || ttl < 1) return fail(res, 400, "bad_ttl", `ttl: a whole number of seconds, 1 to ${maxS}`);
    const now = d.now();
    // The TTL the server asked for, bounded by directory_max_ttl.
    const expiresAt = now + Math.min(ttl, maxS) * 1000;
    const { code, entry } = await d.codes.publish(server.id, target.href, expiresAt, now);
    d.log.info({ server: server.id, entry, expiresAt }, "pairing code published");
    res.setHeader("Cache-Control", "no-store");
    res.status(201).json({
      success: true, code, pairing_url: d.codeUrl(code), redirect_url: target.href,
      expires_at: new Date(expiresAt).toISOString(), id: entry, withdraw_url: d.codeUrl(`entries/${entry}`),
    });
  });

  router.delete("/entries/:entry", async (req: HttpRequest, res: HttpResponse) => {
    const server = await authenticated(d, req, res);
    if (!server) return;
    const entry = String(req.params["entry"]);
    if (!/^[A-Za-z0-9_-]{16}$/.test(entry) || !(await d.codes.withdraw(server.id, entry))) return fail(res, 404, "not_found", "No such entry of this server (withdrawn already, or expired)");
    d.log.info({ server: server.id, entry }, "pairing code withdrawn");
    res.json({ success: true });
  });
}
