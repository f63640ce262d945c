// HTTP helpers for the suite: the registration form as a browser uses it (GET for the CSRF
// cookie and token, then POST), and the JSON API.
import { randomBytes } from "node:crypto";
import { remember, sleep, type ServerProcess } from "./server.js";
import { registerInApp, StanzaRefusal } from "../harness/xmpp-stream.js";

export interface Answer { status: number; body: string; type: string }

/** A password used by the suite (remembered, so the log check looks for it). */
export function newPassword(): string {
  return remember(`pw-${randomBytes(12).toString("base64url")}`);
}

/** GETs the form for `token` and returns a submit function bound to its cookie and CSRF token. */
export async function openForm(baseUrl: string, token: string): Promise<(user: string, password: string) => Promise<Answer>> {
  const url = new URL(`register?t=${encodeURIComponent(token)}`, baseUrl);
  const res = await fetch(url);
  const html = await res.text();
  if (res.status !== 200) throw new Error(`GET /register: ${res.status}`);
  const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return async (user, password) => {
    const r = await fetch(url, {
      method: "POST", redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ csrf, token, user, password }),
    });
    return { status: r.status, body: await r.text(), type: r.headers.get("content-type") ?? "" };
  };
}

/** Loads the form once per registration, then sends every POST at the same moment. */
export async function registerAtOnce(baseUrl: string, token: string, users: string[], password: string): Promise<Answer[]> {
  const forms = await Promise.all(users.map(() => openForm(baseUrl, token)));
  return Promise.all(forms.map((submit, i) => submit(users[i]!, password)));
}

export async function api(baseUrl: string, key: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await fetch(new URL(`invites_api${path}`, baseUrl), {
    method,
    headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await r.text();
  let json: Record<string, unknown> = {};
  try { json = JSON.parse(text) as Record<string, unknown>; } catch { /* not JSON */ }
  return { status: r.status, json };
}

/** Creates an account invite through the JSON API; returns its id and token (remembered). */
export async function createInvite(baseUrl: string, key: string, body: Record<string, unknown> = {}): Promise<{ id: string; token: string }> {
  const r = await api(baseUrl, key, "POST", "/v1/invites", body);
  if (r.status !== 201) throw new Error(`POST /v1/invites: ${r.status} ${JSON.stringify(r.json)}`);
  const id = (r.json["invite"] as { id: string }).id;
  return { id, token: remember(r.json["token"] as string) };
}

export async function inviteUses(baseUrl: string, key: string, id: string): Promise<{ pending: number; completed: number; allowed: number | null }> {
  const r = await api(baseUrl, key, "GET", `/v1/invites/${id}`);
  if (r.status !== 200) throw new Error(`GET /v1/invites/${id}: ${r.status} ${JSON.stringify(r.json)}`);
  const i = r.json["invite"] as { uses_pending: number; uses_completed: number; uses_allowed: number | null };
  return { pending: i.uses_pending, completed: i.uses_completed, allowed: i.uses_allowed };
}

/** Waits until the server process offers in-app paths: Prosody's mod_xmpp_invites has announced itself to it. */
export async function inAppReady(server: ServerProcess): Promise<void> {
  const made = await server.ctl(["invite", "create_account", "localhost"]);
  const link = made.stdout.split("\n").find((l) => l.startsWith("http"));
  if (!link) throw new Error(`invitectl invite create_account failed: ${made.stderr}`);
  remember(link.slice(link.indexOf("?") + 1));
  for (let i = 0; i < 200; i++) {
    if ((await (await fetch(link)).text()).includes("Open in my app")) return;
    await sleep(50);
  }
  throw new Error("the server module never announced itself to the server process");
}

/** What an app answers after trying to register in-app: "registered", or the server's refusal ("gone", "conflict", …). */
export async function registerInAppAnswer(port: number, token: string, username: string, password: string): Promise<string> {
  try {
    await registerInApp({ port, domain: "localhost", token, username, password });
    return "registered";
  } catch (e) {
    return e instanceof StanzaRefusal ? e.condition : `failed: ${(e as Error).message}`;
  }
}

/** Counts answers by status code, e.g. { 200: 1, 410: 199 }. */
export function byStatus(answers: { status: number }[]): Record<number, number> {
  const out: Record<number, number> = {};
  for (const a of answers) out[a.status] = (out[a.status] ?? 0) + 1;
  return out;
}
