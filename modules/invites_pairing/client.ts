// Talking to the pairing directory: publish (POST {url, ttl}) and withdraw (DELETE the entry),
// each bounded by a timeout; publishing is retried with backoff until the code expires.
import type { Logger } from "../../core/types.js";
import type { Pairing } from "./published.js";

export interface DirectoryAnswer extends Pairing { withdrawUrl: string; expiresAt: number }

export class DirectoryError extends Error {
  constructor(message: string, readonly retry: boolean) { super(message); }
}

export interface ClientDeps { url: string; key: string | undefined; timeoutMs: number; log: Logger }

async function call(d: ClientDeps, method: string, url: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(url, {
      method, redirect: "error", signal: AbortSignal.timeout(d.timeoutMs),
      headers: { ...(d.key ? { Authorization: `Bearer ${d.key}` } : {}), ...(body ? { "Content-Type": "application/json" } : {}), Accept: "application/json" },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  } catch (e) {
    throw new DirectoryError(`the pairing directory did not answer (${(e as Error).name === "TimeoutError" ? "timed out" : (e as Error).message})`, true);
  }
}

/** Why a non-2xx answer failed, and whether trying again may help (5xx, 429). */
async function refusal(res: Response, what: string): Promise<DirectoryError> {
  let message = "";
  try { message = String(((await res.json()) as { message?: unknown }).message ?? ""); } catch { /* not JSON */ }
  return new DirectoryError(`the pairing directory refused to ${what}: ${res.status}${message ? ` ${message.slice(0, 200)}` : ""}`, res.status >= 500 || res.status === 429);
}

export async function publish(d: ClientDeps, target: string, ttlS: number): Promise<DirectoryAnswer> {
  const res = await call(d, "POST", d.url, { url: target, ttl: ttlS });
  if (res.status !== 201 && res.status !== 200) throw await refusal(res, "publish the code");
  const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
  const { code, pairing_url: url, withdraw_url: withdrawUrl, expires_at: expires } = body;
  if (body["success"] !== true || typeof code !== "string" || typeof url !== "string") throw new DirectoryError("the pairing directory's answer has no code and pairing_url", false);
  const expiresAt = typeof expires === "string" ? Date.parse(expires) : NaN;
  return { code, url, withdrawUrl: typeof withdrawUrl === "string" ? withdrawUrl : "", expiresAt: Number.isFinite(expiresAt) ? expiresAt : Date.now() + ttlS * 1000 };
}

export async function withdraw(d: ClientDeps, withdrawUrl: string): Promise<void> {
  const res = await call(d, "DELETE", withdrawUrl);
  // 404: gone already (expired, or withdrawn by another process).
  if (!res.ok && res.status !== 404) throw await refusal(res, "withdraw the code");
  await res.arrayBuffer().catch(() => undefined);
}
