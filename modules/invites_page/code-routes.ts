// Short codes: the "I have a code" form (POST /invites_page/code), short links /i/CODE, and
// GET /pairing/CODE (JSON for apps, as Plexus pairing codes; a browser is sent on to the
// landing page; a code that is not ours goes to a pairing directory on this instance). A code resolves to the invite
// through the invites module and to its token through the sealed record in shortcodes.ts.
import type { HttpRequest, HttpResponse, Logger, ModuleContext, Router } from "../../core/types.js";
import { normalizeCode } from "../invites/index.js";
import type { Invite } from "../invites/types.js";
import { layout, type PageCtx } from "../../web/layout.js";
import type { Kit } from "./kit.js";
import { offeredUri } from "./landing.js";
import { codeForm } from "./render.js";
import type { ShortCodes } from "./shortcodes.js";
import type { PairingMissQuery } from "./types.js";

export interface CodeDeps {
  mod: Pick<ModuleContext, "url" | "mount" | "clientIp" | "fire">;
  codes: ShortCodes;
  log: Logger;
  baseUrl: () => string;
}

export function codeRoutes(router: Router, kit: Kit, d: CodeDeps): void {
  const { invites, api } = kit;
  const again = (res: HttpResponse, ctx: PageCtx, status: number, error: string, input: string) =>
    kit.send(res, status, layout(ctx, { title: ctx.t("code_title"), body: codeForm(ctx, api.codeAction, error, input.slice(0, 20)) }));

  /** Code -> landing page: a 303 to it, or the page saying why the code does not work. */
  const openCode = async (res: HttpResponse, ctx: PageCtx, input: string) => {
    const code = normalizeCode(input);
    if (!code) return again(res, ctx, 400, ctx.t("code_bad"), input);
    const v = await invites.resolveShortCode(code);
    if (!v.ok) return kit.sendInvalid(res, ctx, v.reason, v.invite);
    const token = await d.codes.token(code);
    if (!token) return again(res, ctx, 404, ctx.t("code_no_link"), input);
    res.setHeader("Cache-Control", "no-store");
    res.redirect(303, `${d.mod.url()}?${token}`);
  };

  router.post("/code", kit.page(async (req, res, ctx) => {
    if (await kit.limited(req, res, ctx)) return;
    const input = (req.body as Record<string, unknown> | undefined)?.["code"];
    // code=A&code=B: say so, rather than read one of them.
    if (Array.isArray(input)) return again(res, ctx, 400, ctx.t("err_field_once", { field: "code" }), "");
    await openCode(res, ctx, typeof input === "string" ? input : "");
  }));

  d.mod.mount("/i").get("/:code", kit.page(async (req, res, ctx) => {
    if (await kit.limited(req, res, ctx)) return;
    await openCode(res, ctx, String(req.params["code"]));
  }));

  const pairingJson = (invite: Invite, token: string, uri: string | null) => {
    const inviter = api.inviter(invite);
    const abs = (u: string | undefined) => (u && u.startsWith("/") ? `${d.baseUrl()}${u}` : u);
    return {
      type: invite.type,
      landing_url: api.landingUrl(token),
      uri,
      expires: new Date(invite.expiresAt).toISOString(),
      site: { name: api.site.name, logo: abs(api.site.logo) ?? null },
      inviter: inviter ? { jid: inviter.jid || null, name: inviter.name, avatar: abs(inviter.avatar) ?? null } : null,
    };
  };

  d.mod.mount("/pairing").get("/:code", async (req: HttpRequest, res: HttpResponse) => {
    res.setHeader("Cache-Control", "no-store");
    try {
      const wait = await kit.overLimit(req);
      if (wait !== undefined) {
        res.setHeader("Retry-After", String(wait));
        res.status(429).json({ error: "invites_page.rate_limited", message: "Too many lookups; try again in a minute" });
        return;
      }
      const code = normalizeCode(String(req.params["code"]));
      const v = code ? await invites.resolveShortCode(code) : undefined;
      const token = code && v?.ok ? await d.codes.token(code) : undefined;
      if (!v?.ok || !token) {
        // Not one of ours: a pairing directory on this instance may know it (invites_directory).
        const miss: PairingMissQuery = { code: code ?? "" };
        if (code && v && !v.ok && v.reason === "invalid") await d.mod.fire("pairing-code-miss", miss);
        if (miss.location) { res.setHeader("Referrer-Policy", "no-referrer"); res.redirect(302, miss.location); return; }
        res.status(404).json({ error: "invites_page.unknown_code", message: "No usable invite has this code (unknown, expired, revoked or used up)" });
        return;
      }
      // A browser (a person sent here by a pairing directory) goes on to the landing page;
      // an app gets the JSON.
      if (req.accepts(["application/json", "text/html"]) === "text/html") {
        res.redirect(303, api.landingUrl(token));
        return;
      }
      // The xmpp: URI only where an app can use it (the server module announced itself).
      const inAppHere = await api.inApp(v.invite.host);
      res.json({ ...pairingJson(v.invite, token, offeredUri(v.invite, invites.uriFor(v.invite, token), inAppHere) ?? null), in_app: inAppHere });
    } catch (err) {
      d.log.warn({ err }, "pairing lookup failed");
      res.status(503).json({ error: "invites_page.unavailable", message: "The invite store is not reachable; try again shortly" });
    }
  });
}
