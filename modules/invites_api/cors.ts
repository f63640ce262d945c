// CORS as Prosody's mod_http sends it (Access-Control-Allow-Origin, -Methods, -Headers,
// -Max-Age), with Authorization added to the allowed headers so that a browser tool can
// send a Bearer key, and an answer to the OPTIONS preflight.
import type { HttpRequest, HttpResponse } from "../../core/types.js";

export interface CorsSettings {
  enabled: boolean;
  /** ["*"] = any origin. */
  origins: string[];
  maxAgeS: number;
}

/** Sets the CORS headers for a path whose allowed methods are `methods`. */
export function applyCors(req: HttpRequest, res: HttpResponse, s: CorsSettings, methods: string): void {
  if (!s.enabled) return;
  const origin = req.headers.origin;
  if (!s.origins.includes("*")) {
    if (origin === undefined || !s.origins.includes(origin)) return;
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Vary", "Origin");
  } else {
    res.setHeader("Access-Control-Allow-Origin", "*");
  }
  res.setHeader("Access-Control-Allow-Methods", methods);
  res.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type");
  res.setHeader("Access-Control-Max-Age", String(s.maxAgeS));
}
