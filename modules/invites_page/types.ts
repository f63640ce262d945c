// The public API of invites_page (what mod.depends("invites_page") returns): the site,
// the app chooser, URLs for an invite, and the shared pages other modules' routes send.
import type { HttpRequest, HttpResponse } from "../../core/types.js";
import type { InvalidReason, Invite } from "../invites/types.js";
import type { SiteApp } from "../../web/apps.js";
import type { Html } from "../../web/html.js";
import type { PageCtx, Site } from "../../web/layout.js";

export interface Inviter { jid: string; name: string; avatar: string | undefined }

/** Fired before the landing page of a valid invite is shown: a handler may send the visitor elsewhere. */
export interface LandingQuery {
  invite: Invite;
  token: string;
  /** Where to send the visitor instead (a greeted invite's claim page, invites_greeting). */
  redirect: string | undefined;
}

/** Asked by the landing page: a directory code for this invite, if one was published (invites_pairing). */
export interface PairingQuery { invite: Invite; token: string; pairing?: { code: string; url: string } }
/** Asked by GET /pairing/CODE for a code that is not a local short code (invites_directory answers). */
export interface PairingMissQuery { code: string; location?: string }
/** Asked before a page shows the inviter: handlers may give a better name or an avatar (invites_profile). */
export interface InviterQuery { invite: Invite; inviter: Inviter }

declare module "../../core/events.js" {
  interface ModuleEvents {
    "invite-landing": LandingQuery;
    "invite-pairing": PairingQuery;
    "pairing-code-miss": PairingMissQuery;
    "inviter-shown": InviterQuery;
  }
}

/** A rendered page and the status to send it with. */
export interface Page { status: number; body: string }

export interface InvitesPageApi {
  readonly site: Site;
  readonly apps: readonly SiteApp[];
  app(id: unknown): SiteApp | undefined;
  /** Absolute URL of the landing page for a token (the invites_page template when set). */
  landingUrl(token: string): string;
  /** Absolute URL of web registration for a token and optional app. */
  registerUrl(token: string, app?: SiteApp): string;
  /** Whether apps can use invites in-app on this host: its XMPP server announced the server module (invites_inapp). */
  inApp(host: string): Promise<boolean>;
  /** Where the "I have a code" form posts. */
  readonly codeAction: string;
  ctx(req: HttpRequest, res: HttpResponse): PageCtx;
  inviter(invite: Invite): Inviter | undefined;
  /** Why an invite cannot be used (404/410/403), with the code form for an unknown one. */
  invalidPage(ctx: PageCtx, reason: InvalidReason, invite?: Invite): Page;
  /** A failure that is not the visitor's: 503 for an outage, else 500. */
  failurePage(ctx: PageCtx, err: unknown): Page;
  /** 429: too many attempts from this address. */
  tooManyPage(ctx: PageCtx): Page;
  /** A round picture: the image, or the first letter of the name on a colour. */
  avatar(name: string, image: string | undefined, size?: "big" | "small"): Html;
}
