// The JSON API that `invitectl invite greet` and `invitectl invite claim` talk to (and any
// other client): each side authenticates with the secret it holds (the greeter with the
// invitation token, the claimer with the link's token) as `Authorization: Bearer TOKEN`, takes
// its seat, then names its session in `X-Greeting-Session`. See docs/greeting.md.
import { addressKey, illegalXmlChar, type HttpRequest, type HttpResponse, type Limiter, type Router } from "../../core/types.js";
import { errors } from "./errors.js";
import type { Action, Side } from "./machine.js";
import { isKey, usableKey } from "./sas.js";
import type { Greetings, Who } from "./service.js";
import { viewOf } from "./view.js";

export interface ApiDeps {
  greetings: Greetings;
  /** Failed authentications per client address, and how many a minute are allowed (0: no limit). */
  /** Failed token checks per address (greeting_rate_limit a minute). */
  failures: Limiter;
  clientIp(req: HttpRequest): string;
  /** Where this API lives (absolute URL), for the claimer's first request. */
  apiUrl(): string;
  /** Longest a state request waits for a change. */
  maxWaitMs: number;
}

const MAX_WAIT_MS = 25_000;
const body = (req: HttpRequest): Record<string, unknown> => {
  const b: unknown = req.body;
  if (b === undefined || b === null || (typeof b === "object" && !Array.isArray(b) && Object.keys(b as object).length === 0 && !req.is("application/json"))) return {};
  if (!req.is("application/json") || typeof b !== "object" || Array.isArray(b)) throw errors.bad_request("Send a JSON object with Content-Type: application/json");
  return b as Record<string, unknown>;
};

function text(b: Record<string, unknown>, field: string, max: number, required = true): string {
  const v = b[field];
  if (v === undefined && !required) return "";
  if (typeof v !== "string") throw errors.bad_request(`${field}: expected text`, { field });
  if (v.length > max) throw errors.bad_request(`${field}: at most ${max} characters`, { field });
  const bad = illegalXmlChar(v);
  if (bad) throw errors.bad_request(`${field} contains ${bad}, a character XML cannot carry`, { field });
  return v;
}

function key(b: Record<string, unknown>, field: string): string {
  if (!isKey(b[field])) throw errors.bad_request(`${field}: expected 32 bytes in base64url (43 characters)`, { field });
  return b[field] as string;
}

function only(b: Record<string, unknown>, allowed: string[]): void {
  const extra = Object.keys(b).find((k) => !allowed.includes(k));
  if (extra !== undefined) throw errors.bad_request(`unknown field ${JSON.stringify(extra.slice(0, 40))}${allowed.length ? ` (allowed: ${allowed.join(", ")})` : ""}`, { field: extra.slice(0, 40) });
}

export function apiRoutes(router: Router, d: ApiDeps): void {
  const { greetings: g } = d;

  /** Who is asking: Bearer TOKEN for the side named in the path. Failures are counted per address. */
  async function who(req: HttpRequest): Promise<Who> {
    const side = req.params["side"];
    if (side !== "greeter" && side !== "claimer") throw errors.bad_request(`No such side ${JSON.stringify(String(side).slice(0, 20))}: greeter or claimer`);
    const ip = addressKey(d.clientIp(req));
    if (!(await d.failures.check(ip)).ok) throw errors.rate_limited();
    const m = /^Bearer ([A-Za-z0-9_-]{1,200})$/.exec(req.get("authorization") ?? "");
    try {
      if (!m) throw errors.bad_token(`Send the ${side === "greeter" ? "invitation token" : "invite's token"} as Authorization: Bearer TOKEN`);
      return side === "greeter" ? await g.greeter(m[1]) : await g.claimer(m[1]);
    } catch (err) {
      await d.failures.consume(ip);
      throw err;
    }
  }
  const session = (req: HttpRequest): string => {
    const s = req.get("x-greeting-session");
    if (s === undefined || !/^[A-Za-z0-9_-]{43}$/.test(s)) throw errors.no_session("Name your session in X-Greeting-Session (what join answered)");
    return s;
  };
  const token = (req: HttpRequest) => /^Bearer (.+)$/.exec(req.get("authorization") ?? "")![1]!;
  const send = (res: HttpResponse, w: Who, secret: string, rec: Parameters<typeof viewOf>[0], status = 200) => {
    res.setHeader("Cache-Control", "no-store");
    res.status(status).json(viewOf(rec, w.side, secret, w.invite, g.limits));
  };

  router.get("/api/claimer/invitation", async (req, res) => {
    (req.params as Record<string, string>)["side"] = "claimer";
    const w = await who(req);
    const rec = await g.record(w);
    res.setHeader("Cache-Control", "no-store");
    res.json({ greeter: rec.greeterName, host: w.invite.host, bound_username: w.invite.username, api: d.apiUrl(), expires_at: new Date(w.invite.expiresAt).toISOString() });
  });

  router.post("/api/:side/join", async (req, res) => {
    const w = await who(req);
    const b = body(req);
    only(b, ["key"]);
    const k = key(b, "key");
    if (!usableKey(k)) throw errors.bad_request("key: not a usable X25519 public key", { field: "key" });
    const { secret, rec } = await g.join(w, k, false);
    res.setHeader("X-Greeting-Session", secret);
    res.setHeader("Cache-Control", "no-store");
    res.status(201).json({ session: secret, ...viewOf(rec, w.side, secret, w.invite, g.limits) });
  });

  router.get("/api/:side/state", async (req, res) => {
    const w = await who(req);
    const secret = session(req);
    const since = req.query["since"] === undefined ? -1 : Number(req.query["since"]);
    const wait = req.query["wait"] === undefined ? 0 : Number(req.query["wait"]);
    if (!Number.isInteger(since) || since < -1) throw errors.bad_request("since: expected a version number", { field: "since" });
    if (!Number.isInteger(wait) || wait < 0 || wait > MAX_WAIT_MS) throw errors.bad_request(`wait: expected milliseconds from 0 to ${MAX_WAIT_MS}`, { field: "wait" });
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    const rec = wait > 0 ? await g.wait(w, secret, since, Math.min(wait, d.maxWaitMs), gone.signal) : await g.view(w, secret);
    send(res, w, secret, rec);
  });

  const steps: Record<string, { side: Side; fields: string[]; run(w: Who, secret: string, b: Record<string, unknown>, req: HttpRequest): ReturnType<Greetings["view"]> }> = {
    commit: { side: "greeter", fields: ["commitment"], run: (w, s, b) => g.act(w, s, { do: "commit", commitment: key(b, "commitment") }) },
    reveal: { side: "greeter", fields: ["nonce"], run: (w, s, b) => g.act(w, s, { do: "reveal", nonce: key(b, "nonce"), matches: false } satisfies Action) },
    nonce: { side: "claimer", fields: ["nonce"], run: (w, s, b) => g.act(w, s, { do: "nonce", nonce: key(b, "nonce") }) },
    info: { side: "claimer", fields: ["username", "password", "display_name"], run: (w, s, b) => g.info(w, s, { username: text(b, "username", 1023), password: text(b, "password", 4096), displayName: text(b, "display_name", 200, false).trim() }) },
    confirm: {
      side: "greeter", fields: ["username", "roles"],
      run(w, s, b) {
        const roles = b["roles"] ?? [];
        if (!Array.isArray(roles) || roles.length > 32 || roles.some((r) => typeof r !== "string" || r.length > 256)) throw errors.bad_request("roles: expected a list of role names", { field: "roles" });
        return g.confirm(w, s, { username: text(b, "username", 1023), roles: roles as string[] });
      },
    },
    create: { side: "claimer", fields: [], run: (w, s, _b, req) => g.create(w, s, token(req), d.clientIp(req)) },
  };

  router.post("/api/:side/trust", async (req, res) => {
    const w = await who(req);
    const secret = session(req);
    const b = body(req);
    only(b, ["ok"]);
    if (typeof b["ok"] !== "boolean") throw errors.bad_request("ok: expected true (the code given was among the choices and picked) or false", { field: "ok" });
    send(res, w, secret, await g.act(w, secret, { do: "trust", ok: b["ok"] }));
  });

  router.post("/api/:side/cancel", async (req, res) => {
    const w = await who(req);
    const secret = session(req);
    only(body(req), []);
    send(res, w, secret, await g.act(w, secret, { do: "cancel" }));
  });

  router.post("/api/:side/:step", async (req, res) => {
    const step = steps[String(req.params["step"])];
    if (!step) throw errors.bad_request(`No such step ${JSON.stringify(String(req.params["step"]).slice(0, 20))}`);
    const w = await who(req);
    if (w.side !== step.side) throw errors.out_of_turn(`The ${w.side} does not ${String(req.params["step"])}`);
    const secret = session(req);
    const b = body(req);
    only(b, step.fields);
    send(res, w, secret, await step.run(w, secret, b, req));
  });
}

