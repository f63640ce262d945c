// Who is calling: the API key from `Authorization: Bearer ID/SECRET` (RFC 6750 §2.1) or,
// on the Prosody-compatible endpoint, from `?key=ID/SECRET`. Every request reads the key
// from the store (no cache), so a key made or deleted by the ctl takes effect at once.
//
// Failed authentications are limited in two separate counts, so that failures from an
// address never lock a valid key out (issue: ten failures once locked every key behind a
// proxy out): a request that names no existing key (none, malformed, unknown id) counts
// against its client address; a wrong secret for an existing key counts against that key id
// from that address, and once over the limit that key's secret is not even checked from
// there. A valid key from an address that sent junk is served; guessing one key's secret is
// limited from every address. Secrets are 256 bits: the limits stop noise and load, and
// make guessing slower still.
import type { HttpRequest, HttpResponse, Limiter } from "../../core/types.js";
import type { ModuleError } from "../../core/types.js";
import { addressKey } from "../../core/types.js";
import { errors } from "./errors.js";
import { parsePresented, secretMatches, type ApiKey, type KeyStore } from "./keys.js";

export interface AuthDeps {
  keys: KeyStore;
  /** Per key: requests. */
  requests: Limiter;
  /** Per client address (IPv6 by /64): failures that name no existing key. */
  addressFailures: Limiter;
  /** Per key id and address: wrong secrets for an existing key. */
  keyFailures: Limiter;
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
  const tooMany = (res: HttpResponse, retryAfterS: number): never => {
    res.setHeader("Retry-After", String(retryAfterS));
    throw errors.auth_rate_limited(undefined, { retryAfter: retryAfterS });
  };

  /** Resolves the caller's key or throws 400/401/429. */
  return async function authenticate(req: HttpRequest, res: HttpResponse, queryKey: string | undefined): Promise<ApiKey> {
    const ip = d.clientIp(req);
    const address = addressKey(ip);
    /** Counts one failure on `limiter`; 429 once over it, else the error itself. */
    const fail = async (limiter: Limiter, key: string, err: ModuleError): Promise<never> => {
      const taken = await limiter.consume(key);
      if (!taken.ok) tooMany(res, taken.retryAfterS);
      if (err.status === 401) res.setHeader("WWW-Authenticate", challenge(err));
      throw err;
    };
    let presented: string | undefined;
    try {
      presented = presentedKey(req.headers.authorization, queryKey);
    } catch (err) {
      return fail(d.addressFailures, address, err as ModuleError);
    }
    if (presented === undefined) return fail(d.addressFailures, address, errors.no_key());
    const parsed = parsePresented(presented);
    if (!parsed.ok) return fail(d.addressFailures, address, errors.bad_key(parsed.reason));
    const pair = `${parsed.id}|${address}`;
    // Both reads at once: with PostgreSQL each is a round trip.
    const [key, blocked] = await Promise.all([d.keys.get(parsed.id), d.keyFailures.check(pair)]);
    if (!key) {
      secretMatches(undefined, parsed.secret); // the same work as for a known id
      d.log.warn({ keyId: parsed.id, ip }, "API request with an unknown key");
      return fail(d.addressFailures, address, errors.bad_key());
    }
    if (!blocked.ok) return tooMany(res, blocked.retryAfterS);
    if (!secretMatches(key, parsed.secret)) {
      d.log.warn({ keyId: parsed.id, ip }, "API request with a wrong secret");
      return fail(d.keyFailures, pair, errors.bad_key());
    }
    const now = d.now();
    if (key.expiresAt !== null && now >= key.expiresAt) return fail(d.keyFailures, pair, errors.key_expired());
    const taken = await d.requests.consume(key.id);
    if (!taken.ok) {
      res.setHeader("Retry-After", String(taken.retryAfterS));
      throw errors.rate_limited(`Too many requests with this API key; retry in ${taken.retryAfterS} s`, { retryAfter: taken.retryAfterS });
    }
    await d.keys.touch(key.id, now);
    return key;
  };
}
