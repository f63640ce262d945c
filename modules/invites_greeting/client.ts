// The HTTP client of the greeting API (api-routes.ts), for the ctl's greet and claim: the ctl
// is a separate process from the server and talks to it only through this API.
import { errors } from "./errors.js";
import type { Side } from "./machine.js";
import type { GreetingView } from "./view.js";

export class Remote extends Error {
  constructor(readonly status: number, readonly code: string, message: string) { super(message); }
}

export class GreetingClient {
  session: string | undefined;
  constructor(private readonly api: string, private readonly side: Side, private readonly token: string, private readonly signal?: AbortSignal) {}

  private async call<T>(method: string, path: string, body?: unknown, timeoutMs = 15_000, abortable = true): Promise<T> {
    const headers: Record<string, string> = { authorization: `Bearer ${this.token}`, accept: "application/json" };
    if (this.session) headers["x-greeting-session"] = this.session;
    if (body !== undefined) headers["content-type"] = "application/json";
    const signals = [AbortSignal.timeout(timeoutMs), ...(this.signal && abortable ? [this.signal] : [])];
    let res: Response;
    try {
      res = await fetch(`${this.api}/${this.side}/${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }), signal: AbortSignal.any(signals) });
    } catch (e) {
      if (abortable && this.signal?.aborted) throw e;
      throw errors.server(`Cannot reach the invites server at ${this.api}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
    }
    const text = await res.text();
    let json: Record<string, unknown> = {};
    try { json = JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON */ }
    if (!res.ok) throw new Remote(res.status, String(json["error"] ?? "error"), String(json["message"] ?? `HTTP ${res.status}`));
    return json as T;
  }

  private beat: NodeJS.Timeout | undefined;

  async join(key: string): Promise<GreetingView> {
    const v = await this.call<GreetingView & { session: string }>("POST", "join", { key });
    this.session = v.session;
    // While a person answers a prompt, this side still tells the server it is there.
    this.beat = setInterval(() => { void this.call("GET", "state", undefined, 5_000).catch(() => undefined); }, Math.max(500, Math.floor(v.liveness_ms / 3)));
    this.beat.unref();
    return v;
  }

  stop(): void {
    clearInterval(this.beat);
  }

  state(since: number, waitMs: number): Promise<GreetingView> {
    return this.call("GET", `state?since=${since}&wait=${waitMs}`, undefined, waitMs + 15_000);
  }

  step(name: string, body: Record<string, unknown> = {}): Promise<GreetingView> {
    return this.call("POST", name, body, 60_000);
  }

  /** Tells the server (and so the other side) this side gives up; never throws. */
  async cancel(): Promise<void> {
    this.stop();
    if (!this.session) return;
    await this.call("POST", "cancel", {}, 5_000, false).catch(() => undefined);
  }

  /** Waits until `ready(view)` (each answer may be a long poll of up to 20 s). */
  async until(view: GreetingView, ready: (v: GreetingView) => boolean): Promise<GreetingView> {
    let v = view;
    for (;;) {
      if (v.phase === "ended" || v.phase === "cancelled") throw new Remote(409, "invites_greeting.ended", v.ended?.message ?? "This attempt has ended");
      if (ready(v)) return v;
      v = await this.state(v.version, 20_000);
    }
  }
}

/** The invitation behind a claim URL: the same URL answers JSON to a terminal. */
export async function invitation(url: string): Promise<{ greeter: string; host: string; bound_username: string | null; api: string; token: string }> {
  let u: URL;
  try { u = new URL(url); } catch { throw errors.bad_request(`${JSON.stringify(url.slice(0, 80))} is not a URL: give the Invitation URL`); }
  const token = u.search.slice(1).split("&").find((p) => p !== "" && !p.includes("=")) ?? new URLSearchParams(u.search).get("t") ?? "";
  if (!/^[A-Za-z0-9_-]{16,128}$/.test(token)) throw errors.bad_request("This URL carries no invite token: give the Invitation URL as it was printed");
  let res: Response;
  try {
    res = await fetch(u, { headers: { accept: "application/json" }, signal: AbortSignal.timeout(15_000) });
  } catch (e) {
    throw errors.server(`Cannot reach ${u.origin}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`);
  }
  const json = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  if (!res.ok) throw new Remote(res.status, String(json["error"] ?? "error"), String(json["message"] ?? `HTTP ${res.status}`));
  if (typeof json["api"] !== "string") throw errors.server(`${u.origin} did not answer with a greeted invitation`);
  return { ...(json as { greeter: string; host: string; bound_username: string | null; api: string }), token };
}
