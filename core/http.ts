// The HTTP side: one express app built separately from listen(), so tests need no port.
// Modules contribute Routers; core adds /health, a JSON 404 and one error handler.
import express, { type Express, type Router, type Request, type Response, type NextFunction } from "express";
import { createServer, IncomingMessage, ServerResponse, type Server } from "node:http";
import type { Logger } from "pino";
import { ModuleError, coreErrors } from "./errors.js";
import type { HostMetrics } from "./metrics.js";
import { metricsRoute, requestTimer, tagOwner } from "./metrics-http.js";

export interface Mount { path: string; router: Router; owner: string }

export interface AppParts {
  log: Logger;
  mounts: readonly Mount[];
  health(): Promise<{ ok: boolean; body: Record<string, unknown> }>;
  trustProxy: boolean | string | number;
  bodyLimit: string;
  /** Request latency always; GET /metrics on this app only for `allowed` addresses (metrics.allow). */
  metrics?: { registry: HostMetrics; allowed?: (ip: string) => boolean };
}

export function newRouter(): Router {
  return express.Router({ mergeParams: true });
}

/** Body parsers shared by modules: JSON and urlencoded forms, bounded. */
export function bodyParsers(limit: string) {
  return [
    express.json({ limit, strict: true, type: ["application/json", "application/*+json"] }),
    express.urlencoded({ limit, extended: false, parameterLimit: 100 }),
  ];
}

/** The client's address (behind a proxy only when http.trust_proxy says so), for per-address limits. */
export function clientIp(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? "unknown";
}

export function sendError(res: Response, err: ModuleError): void {
  if (res.headersSent) return;
  res.status(err.status).type("application/json").send(JSON.stringify({ error: err.code, message: err.message, ...(err.detail ? { detail: err.detail } : {}) }));
}

export function buildApp(parts: AppParts): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("trust proxy", parts.trustProxy);
  app.set("query parser", "simple");
  if (parts.metrics) app.use(requestTimer(parts.metrics.registry));
  app.use((_req, res, next) => {
    res.setHeader("X-Content-Type-Options", "nosniff");
    next();
  });
  if (parts.metrics?.allowed) app.get("/metrics", metricsRoute(parts.metrics.registry, parts.metrics.allowed, clientIp));
  app.use(bodyParsers(parts.bodyLimit));

  app.get("/health", async (_req, res) => {
    const { ok, body } = await parts.health();
    res.status(ok ? 200 : 503).json(body);
  });
  for (const m of parts.mounts) app.use(m.path, tagOwner(m.owner), m.router);

  app.use(tagOwner("none"), (req, res) => sendError(res, coreErrors.not_found(`No such path: ${req.method} ${req.path.slice(0, 200)}`)));

  // One error handler: typed errors keep their status; body-parser's 4xx say what was wrong;
  // anything else is a 500 whose cause goes to the log only.
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    if (err instanceof ModuleError) {
      if (err.status >= 500) parts.log.error({ err: err.cause ?? err, code: err.code, path: req.path }, "request failed");
      return sendError(res, err);
    }
    const e = err as { status?: number; statusCode?: number; type?: string; message?: string };
    const status = e.status ?? e.statusCode;
    if (typeof status === "number" && status >= 400 && status < 500) {
      const message = e.type === "entity.too.large" ? `Request body too large (limit ${parts.bodyLimit})`
        : e.type === "entity.parse.failed" ? "Malformed JSON body"
        : e.type === "encoding.unsupported" || e.type === "charset.unsupported" ? "Unsupported body encoding"
        : e.message ?? "Bad request";
      return sendError(res, coreErrors.bad_request(message));
    }
    parts.log.error({ err, path: req.path }, "unhandled error in request");
    return sendError(res, coreErrors.internal());
  });
  return app;
}

/**
 * Request and response classes whose prototypes are the app's own request and response.
 * Express gives every request the app's prototypes with Object.setPrototypeOf; on objects
 * node made as plain IncomingMessage/ServerResponse that reshapes them on every request and
 * leaves node's HTTP code on slow paths, which cost more than everything else a simple
 * route does (about 4x the CPU of a bare node handler). When node already makes them with
 * those prototypes, express's call changes nothing. The app's request and response stay
 * what they were, one level up the chain, so everything express defines is still there.
 */
interface Classes { IncomingMessage: typeof IncomingMessage; ServerResponse: typeof ServerResponse }
const shaped = new WeakMap<Express, Classes>();
function shapedClasses(app: Express): Classes {
  let classes = shaped.get(app);
  if (!classes) {
    class AppRequest extends IncomingMessage {}
    class AppResponse<R extends IncomingMessage = IncomingMessage> extends ServerResponse<R> {}
    Object.setPrototypeOf(AppRequest.prototype, app.request);
    Object.setPrototypeOf(AppResponse.prototype, app.response);
    app.request = AppRequest.prototype as unknown as Express["request"];
    app.response = AppResponse.prototype as unknown as Express["response"];
    classes = { IncomingMessage: AppRequest, ServerResponse: AppResponse };
    shaped.set(app, classes);
  }
  return classes;
}

export function listen(app: Express, host: string, port: number): Promise<Server> {
  return new Promise((resolveListen, reject) => {
    const server = createServer(shapedClasses(app), app);
    server.keepAliveTimeout = 65_000;
    server.once("error", reject);
    server.listen(port, host, () => { server.off("error", reject); resolveListen(server); });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); });
}
