// What every route family of this module shares: running a page handler so that any failure
// becomes a friendly page, the per-address lookup limit, and the invalid-invite answer.
import { addressKey, type HttpRequest, type HttpResponse, type Limiter, type Logger, type ModuleContext } from "../../core/types.js";
import type { InvalidReason, Invite, InvitesApi, Validation } from "../invites/types.js";
import { sendPage, type PageCtx } from "../../web/layout.js";
import type { InvitesPageApi } from "./types.js";

const TOKEN_SHAPE = /^[A-Za-z0-9_-]{8,200}$/;

export interface Kit {
  invites: InvitesApi;
  api: InvitesPageApi;
  /** Wraps a handler: a throw becomes the failure page (503 for an outage), never JSON or a trace. */
  page(fn: (req: HttpRequest, res: HttpResponse, ctx: PageCtx) => Promise<void>): (req: HttpRequest, res: HttpResponse) => Promise<void>;
  /** Counts a lookup; when over the limit, sends the 429 page and says so. */
  limited(req: HttpRequest, res: HttpResponse, ctx: PageCtx): Promise<boolean>;
  /** Counts a lookup from this address: undefined when allowed, else the seconds to wait. */
  overLimit(req: HttpRequest): Promise<number | undefined>;
  sendInvalid(res: HttpResponse, ctx: PageCtx, reason: InvalidReason, invite?: Invite): void;
  /** A token of the right shape is looked up; anything else is "invalid" without a store read. */
  validate(token: string | undefined): Promise<Validation>;
  send(res: HttpResponse, status: number, body: string): void;
}

export function makeKit(d: { invites: InvitesApi; api: InvitesPageApi; limiter: Limiter; log: Logger; clientIp: ModuleContext["clientIp"] }): Kit {
  const { invites, api } = d;
  const send = (res: HttpResponse, status: number, body: string) => sendPage(res, status, body, api.site.policy);
  // IPv6 addresses count by their /64 (core's addressKey).
  const overLimit = async (req: HttpRequest) => {
    const r = await d.limiter.consume(addressKey(d.clientIp(req)));
    return r.ok ? undefined : r.retryAfterS;
  };
  return {
    invites, api, send,
    page: (fn) => async (req, res) => {
      const ctx = api.ctx(req, res);
      try {
        await fn(req, res, ctx);
      } catch (err) {
        const { status, body } = api.failurePage(ctx, err);
        d.log[status >= 500 && status !== 503 ? "error" : "warn"]({ err, path: req.path }, "landing page failed");
        send(res, status, body);
      }
    },
    overLimit,
    async limited(req, res, ctx) {
      const wait = await overLimit(req);
      if (wait === undefined) return false;
      res.setHeader("Retry-After", String(wait));
      const { status, body } = api.tooManyPage(ctx);
      send(res, status, body);
      return true;
    },
    sendInvalid(res, ctx, reason, invite) {
      const { status, body } = api.invalidPage(ctx, reason, invite);
      send(res, status, body);
    },
    validate: async (token) => (token && TOKEN_SHAPE.test(token) ? invites.validate(token) : { ok: false, reason: "invalid" }),
  };
}
