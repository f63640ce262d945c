// invites_api: Prosody's mod_invites_api as a drop-in (GET/POST /invites_api with an API
// key -> 201 + Location), plus a JSON API under /v1 for admins' tools. See README.md and
// docs/invites-api.md.
import { defineModule, type HttpRequest, type HttpResponse, type NextFunction } from "../../core/types.js";
import { opt } from "../../core/types.js";
import type { InvitesApi } from "../invites/types.js";
import { createAuthenticator } from "./auth.js";
import { applyCors } from "./cors.js";
import { ctlCommands } from "./ctl.js";
import { errors } from "./errors.js";
import { KeyStore } from "./keys.js";
import { migrations, type ApiTables } from "./schema.js";
import { legacyHandler } from "./legacy.js";
import { openApiDocument } from "./openapi.js";
import { parseRate, windowOf, type Rate } from "./ratelimit.js";
import { v1Handlers } from "./v1.js";
import { requireOperation } from "./scope.js";
import type { ApiRoute, InvitesApiModule } from "./types.js";

export type * from "./types.js";

const rateOption = (def: string, describe: string) => opt.custom<string>({
  default: def, describe,
  check: (raw) => (parseRate(raw) ? undefined : `expected a rate such as "60/minute" or "10/30s", got ${JSON.stringify(raw)}`),
});

/** Routes other modules added (route()), as path patterns and their methods. */
type Added = { pattern: RegExp; methods: Set<string> }[];

/** Allowed methods per path, for CORS preflight and 405 answers. */
function methodsFor(path: string, extra: Added): string | undefined {
  const added = extra.find((e) => e.pattern.test(path));
  if (added) return [...added.methods, "OPTIONS"].join(", ");
  if (path === "/" || path === "") return "GET, POST, OPTIONS";
  if (path === "/v1/invites" || path === "/v1/invites/") return "GET, POST, OPTIONS";
  if (/^\/v1\/invites\/[^/]+\/?$/.test(path)) return "GET, PATCH, DELETE, OPTIONS";
  if (path === "/v1/openapi.json") return "GET, OPTIONS";
  return undefined;
}

export default defineModule({
  name: "invites_api",
  description: "Authenticated HTTP API for creating and managing invites (Prosody mod_invites_api compatible)",
  dependencies: ["invites"],
  migrations,
  options: {
    invites_api_rate_limit: rateOption("60/minute", "Requests per API key"),
    invites_api_rate_burst: opt.integer({ default: 20, min: 1, max: 1_000_000, describe: "Requests a key may make at once before the rate applies" }),
    invites_api_auth_failure_limit: rateOption("10/minute", "Failed authentications per client address, and per key id from one address"),
    invites_api_auth_failure_burst: opt.integer({ default: 10, min: 1, max: 1_000_000, describe: "Failed authentications before the rate applies" }),
    invites_api_cors: opt.boolean({ default: true }),
    invites_api_cors_origins: opt.list({ default: ["*"], describe: "Origins allowed to call the API from a browser; * = any" }),
    invites_api_cors_max_age: opt.period({ default: "2 hours", max: "1 day", describe: "How long browsers may cache a preflight answer" }),
  },
  setup(mod) {
    const o = mod.options;
    const invites = mod.depends<InvitesApi>("invites");
    const keys = new KeyStore(mod.db<ApiTables>());
    for (const cmd of ctlCommands(keys, mod.config.hosts, () => mod.now(), (n) => invites.checkUsername(n))) mod.provideCtl(cmd);

    const failures = windowOf(parseRate(o.invites_api_auth_failure_limit) as Rate, o.invites_api_auth_failure_burst);
    const authenticate = createAuthenticator({
      keys,
      requests: mod.limiter("requests", windowOf(parseRate(o.invites_api_rate_limit) as Rate, o.invites_api_rate_burst)),
      addressFailures: mod.limiter("auth_failures_address", failures),
      keyFailures: mod.limiter("auth_failures_key", failures),
      realm: "invites_api",
      clientIp: (req) => mod.clientIp(req),
      now: () => mod.now(),
      log: mod.log,
    });
    const cors = { enabled: o.invites_api_cors, origins: o.invites_api_cors_origins, maxAgeS: Math.round(o.invites_api_cors_max_age / 1000) };

    const router = mod.router();
    const extra: Added = [];
    router.use((req: HttpRequest, res: HttpResponse, next: NextFunction) => {
      const methods = methodsFor(req.path, extra);
      if (methods === undefined) return next();
      applyCors(req, res, cors, methods);
      if (req.method === "OPTIONS") { res.setHeader("Allow", methods); res.status(204).end(); return; }
      next();
    });

    const deps = { invites, isAdmin: (jid: string) => mod.isAdmin(jid) };
    const legacy = legacyHandler(deps, authenticate, () => mod.now());
    router.get("/", legacy);
    router.post("/", legacy);

    const v1 = v1Handlers(deps, authenticate, () => mod.now());
    router.post("/v1/invites", v1.create);
    router.get("/v1/invites", v1.list);
    router.get("/v1/invites/:id", v1.read);
    router.patch("/v1/invites/:id", v1.update);
    router.delete("/v1/invites/:id", v1.revoke);
    let doc: string | undefined;
    const added: ApiRoute[] = [];
    router.get("/v1/openapi.json", (_req: HttpRequest, res: HttpResponse) => {
      doc ??= JSON.stringify(openApiDocument(mod.url(), added));
      res.type("application/json").send(doc);
    });

    // A known path with a method it does not have: 405 naming the allowed ones. Routes other
    // modules add come after this: a method they serve goes on to them.
    router.use((req: HttpRequest, res: HttpResponse, next: NextFunction) => {
      const methods = methodsFor(req.path, extra);
      if (methods === undefined || extra.some((e) => e.pattern.test(req.path) && e.methods.has(req.method))) return next();
      res.setHeader("Allow", methods);
      next(errors.method_not_allowed(`${req.method} is not allowed here (allowed: ${methods})`));
    });

    const api: InvitesApiModule & { keys: KeyStore } = {
      keys,
      removeKeysOf: (jid) => keys.removeForInviter(jid),
      route(r) {
        if (!r.path.startsWith("/v1/")) throw new Error(`invites_api route ${r.path}: routes of other modules live under /v1/`);
        added.push(r);
        const pattern = new RegExp(`^${r.path.replace(/:\w+/g, "[^/]+")}/?$`);
        const known = extra.find((e) => e.pattern.source === pattern.source);
        if (known) known.methods.add(r.method.toUpperCase());
        else extra.push({ pattern, methods: new Set([r.method.toUpperCase()]) });
        router[r.method](r.path, async (req: HttpRequest, res: HttpResponse) => {
          if (/(^|&)key=/.test(req.originalUrl.split("?")[1] ?? "")) throw errors.bad_request("The JSON API takes the key only in Authorization: Bearer ID/SECRET (keys in URLs end up in logs)");
          const key = await authenticate(req, res, undefined);
          requireOperation(key.scope, r.operation);
          const out = await r.handle(req, { id: key.id, host: key.host, name: key.name, scope: key.scope });
          res.setHeader("Cache-Control", "no-store");
          res.status(out.status ?? 200).json(out.body);
        });
      },
    };
    return api;
  },
});
