// HTTP around the metrics: request latency of every answer, and /metrics itself, either on a
// listener of its own (metrics.listen) or on the main listener to the addresses of
// metrics.allow (the client address as http.trust_proxy reads it).
import { createServer, type Server } from "node:http";
import type { Request, Response, NextFunction, RequestHandler } from "express";
import ipaddr from "ipaddr.js";
import type { HostMetrics } from "./metrics.js";

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);
const owners = new WeakMap<Response, string>();

/** Marks the answers of one mount as its module's (the last mount to see a request wins). */
export function tagOwner(owner: string): RequestHandler {
  return (_req, res, next) => { owners.set(res, owner); next(); };
}

/** Observes each answer's duration by method, module and status once it is sent. */
export function requestTimer(metrics: HostMetrics): RequestHandler {
  const h = metrics.histogram("http_request_duration_seconds", "HTTP answers, by method, the module that answered (core, or none for 404) and status", ["method", "module", "status"]);
  return (req: Request, res: Response, next: NextFunction) => {
    const start = process.hrtime.bigint();
    res.once("finish", () => {
      h.observe({ method: METHODS.has(req.method) ? req.method : "other", module: owners.get(res) ?? "core", status: String(res.statusCode) }, Number(process.hrtime.bigint() - start) / 1e9);
    });
    next();
  };
}

/** Whether an address is in a list of addresses and CIDR ranges; IPv4-mapped IPv6 counts as IPv4. */
export function allowList(entries: readonly string[]): (ip: string) => boolean {
  const ranges = entries.map((e) => (e.includes("/") ? ipaddr.parseCIDR(e) : (() => { const a = ipaddr.parse(e); return [a, a.kind() === "ipv4" ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number]; })()));
  return (ip) => {
    if (!ipaddr.isValid(ip)) return false;
    let addr = ipaddr.parse(ip);
    if (addr.kind() === "ipv6" && (addr as ipaddr.IPv6).isIPv4MappedAddress()) addr = (addr as ipaddr.IPv6).toIPv4Address();
    return ranges.some(([range, bits]) => range.kind() === addr.kind() && addr.match(range, bits));
  };
}

/** Checks one metrics.allow entry; a message when it is not an address or a CIDR range. */
export function badAllowEntry(entry: string): string | undefined {
  try {
    if (entry.includes("/")) ipaddr.parseCIDR(entry);
    else ipaddr.parse(entry);
    return undefined;
  } catch {
    return `not an IP address or CIDR range: ${JSON.stringify(entry)}`;
  }
}

async function answer(metrics: HostMetrics, res: Response | import("node:http").ServerResponse): Promise<void> {
  const text = await metrics.text();
  res.statusCode = 200;
  res.setHeader("Content-Type", metrics.contentType);
  res.setHeader("Cache-Control", "no-store");
  res.end(text);
}

/** GET /metrics on the main listener, for the allowed addresses only. */
export function metricsRoute(metrics: HostMetrics, allowed: (ip: string) => boolean, clientIp: (req: Request) => string): RequestHandler {
  return (req, res, next) => {
    if (!allowed(clientIp(req))) {
      res.status(403).json({ error: "core.forbidden", message: "Metrics are served only to the addresses in metrics.allow" });
      return;
    }
    answer(metrics, res).catch(next);
  };
}

/** A listener of its own that serves GET /metrics and nothing else. */
export function listenMetrics(metrics: HostMetrics, host: string, port: number): Promise<Server> {
  const server = createServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== "/metrics" || (req.method !== "GET" && req.method !== "HEAD")) {
      res.statusCode = 404;
      res.setHeader("Content-Type", "text/plain");
      res.end("Only GET /metrics here\n");
      return;
    }
    answer(metrics, res).catch(() => { res.statusCode = 500; res.end(); });
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => { server.off("error", reject); resolve(server); });
  });
}
