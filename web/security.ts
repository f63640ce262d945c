// What every page sends and checks: security headers, cookies and CSRF tokens (per-address
// rate limits are core's: mod.limiter). No session store: the CSRF token is an HMAC of a cookie value and the
// invite token, so a form only works in the browser that loaded it, for that invite.
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { HttpRequest, HttpResponse } from "../core/types.js";

export interface PagePolicy {
  /** Extra origins allowed for images (configured app logos or avatars). */
  imgOrigins?: readonly string[];
  /** Extra origins a form may be sent or redirected to (an app's login link). */
  formOrigins?: readonly string[];
  /** The page loads scripts from this site (static files, never inline) and listens to its events. */
  scripts?: boolean;
}

/** Headers for every HTML page: no inline script, nothing from elsewhere, never indexed. */
export function setPageHeaders(res: HttpResponse, policy: PagePolicy = {}): void {
  const img = ["'self'", "data:", ...(policy.imgOrigins ?? [])].join(" ");
  const form = ["'self'", ...(policy.formOrigins ?? [])].join(" ");
  const scripts = policy.scripts ? "; script-src 'self'; connect-src 'self'" : "";
  res.setHeader("Content-Security-Policy",
    `default-src 'none'; style-src 'self'; img-src ${img}; form-action ${form}; frame-ancestors 'none'; base-uri 'none'${scripts}`);
  res.setHeader("Referrer-Policy", "no-referrer");
  res.setHeader("X-Robots-Tag", "noindex, nofollow");
  res.setHeader("X-Frame-Options", "DENY");
  // Pages carry invite tokens (and the success page an address): keep them out of caches.
  res.setHeader("Cache-Control", "no-store");
}

/** The origin of an absolute http(s) URL, for CSP lists; undefined otherwise. */
export function originOf(url: string | undefined): string | undefined {
  if (!url || !/^https?:\/\//i.test(url)) return undefined;
  try { return new URL(url).origin; } catch { return undefined; }
}

export function readCookie(req: HttpRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      try { return decodeURIComponent(part.slice(eq + 1).trim()); } catch { return undefined; }
    }
  }
  return undefined;
}

export function setCookie(res: HttpResponse, name: string, value: string, opts: { path: string; maxAgeS: number; secure: boolean; httpOnly?: boolean }): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${opts.path}`, `Max-Age=${opts.maxAgeS}`, "SameSite=Strict"];
  if (opts.httpOnly !== false) parts.push("HttpOnly");
  if (opts.secure) parts.push("Secure");
  res.append("Set-Cookie", parts.join("; "));
}


export const CSRF_COOKIE = "xi_csrf";

export class CsrfSigner {
  constructor(private readonly secret: Buffer) {}

  static newCookieValue(): string {
    return randomBytes(18).toString("base64url");
  }

  sign(cookieValue: string, boundTo: string): string {
    return createHmac("sha256", this.secret).update(`${cookieValue}\n${boundTo}`).digest("base64url");
  }

  verify(cookieValue: string | undefined, boundTo: string, given: unknown): boolean {
    if (!cookieValue || typeof given !== "string" || given.length > 100) return false;
    const want = Buffer.from(this.sign(cookieValue, boundTo));
    const got = Buffer.from(given);
    return want.length === got.length && timingSafeEqual(want, got);
  }
}
