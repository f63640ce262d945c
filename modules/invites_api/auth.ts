// Who is calling: the API key from `Authorization: Bearer ID/SECRET` (RFC 6750 §2.1) or,
// on the Prosody-compatible endpoint, from `?key=ID/SECRET`. Every request reads the key
// from the store (no cache), so a key made or deleted by the ctl takes effect at once.
import type { HttpRequest, HttpResponse } from "../../core/types.js";
import type { ModuleError } from "../../core/types.js";
import { errors } from "./errors.js";
import { parsePresented, secretMatches, type ApiKey, type KeyStore } from "./keys.js";
import type { Buckets } from "./ratelimit.js";

export interface AuthDeps {
  keys: KeyStore;
  /** Per key: requests. */
  requests: Buckets;
  /** Per client address: failed authentications. */
  failures: Buckets;
  realm: string;
  /** The client's address (mod.clientIp). */
  clientIp(req: HttpRequest): string;
  /** The host's clock (mod.now). */
  now(): number;
  log: { warn(obj: object, msg: string): void };
}

/** The key as presented, from the header or the query; throws a 400/401 for a bad shape. */
export function presentedKey(header: string | undefined, queryKey: string | undefined): string | undefined {
  if (header !== undefined && queryKey !== undefined) {
    throw errors.bad_request("Give the API key once: in the Authorization header or in ?key=, not both");
  }
  if (header === undefined) return queryKey === "" ? undefined : queryKey;
  const m = /^([A-Za-z]+) +([^ ]+) *$/.exec(header);
  if (!m) throw errors.bad_key("Malformed Authorization header: expected \"Bearer ID/SECRET\"");
  if (m[1]!.toLowerCase() !== "bearer") throw errors.bad_key(`Unsupported authorization scheme ${JSON.stringify(m[1]!.slice(0, 20))}: use Bearer`);
  return m[2];
}


export function createAuthenticator(d: AuthDeps) {
  const challenge = (err: ModuleError) => (err.code === errors.codes.no_key
    ? `Bearer realm="${d.realm}"`
    : `Bearer realm="${d.realm}", error="invalid_token"`);

  /** Resolves the caller's key or throws 400/401/429. Counts failures per client address. */
  return async function authenticate(req: HttpRequest, res: HttpResponse, queryKey: string | undefined): Promise<ApiKey> {
    const ip = d.clientIp(req);
    const blocked = d.failures.check(ip);
    if (!blocked.ok) {
      res.setHeader("Retry-After", String(blocked.retryAfterS));
      throw errors.auth_rate_limited(undefined, { retryAfter: blocked.retryAfterS });
    }
    const fail = (err: ModuleError): never => {
      d.failures.take(ip);
      if (err.status === 401) res.setHeader("WWW-Authenticate", challenge(err));
      throw err;
    };
    let presented: string | undefined;
    try {
      presented = presentedKey(req.headers.authorization, queryKey);
    } catch (err) {
      return fail(err as ModuleError);
    }
    if (presented === undefined) return fail(errors.no_key());
    const parsed = parsePresented(presented);
    if (!parsed.ok) return fail(errors.bad_key(parsed.reason));
    const key = await d.keys.get(parsed.id);
    if (!secretMatches(key, parsed.secret) || !key) {
      d.log.warn({ keyId: parsed.id, ip }, "API request with an unknown or wrong key");
      return fail(errors.bad_key());
    }
    const now = d.now();
    if (key.expiresAt !== null && now >= key.expiresAt) return fail(errors.key_expired());
    const taken = d.requests.take(key.id, now);
    if (!taken.ok) {
      res.setHeader("Retry-After", String(taken.retryAfterS));
      throw errors.rate_limited(`Too many requests with this API key; retry in ${taken.retryAfterS} s`, { retryAfter: taken.retryAfterS });
    }
    await d.keys.touch(key.id, now);
    return key;
  };
}
