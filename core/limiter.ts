// Rate limits for modules (mod.limiter): fixed windows of `points` per `durationMs` per key,
// from rate-limiter-flexible. With PostgreSQL every instance counts in one table
// (core_rate_limits), so N instances do not give an attacker N allowances. Otherwise the
// counts live in this process's memory, bounded: past `maxKeys` the least recently used key
// that is not over its limit is forgotten first, and a blocked key only when every key is
// blocked, so a flood of fresh addresses cannot buy a blocked one a new window.
import { createHash } from "node:crypto";
import { createRequire } from "node:module";
import ipaddr from "ipaddr.js";
import type pg from "pg";
import { RateLimiterPostgres, RateLimiterRes, type RateLimiterStoreAbstract } from "rate-limiter-flexible";
import { coreErrors } from "./errors.js";

export interface LimiterOptions {
  /** Points per window per key; 0 or less: no limit. */
  points: number;
  durationMs: number;
  /** Keys kept in memory at most (in-memory limiter only; default 100,000). */
  maxKeys?: number;
}

export type LimitResult = { ok: true; remaining: number } | { ok: false; retryAfterS: number };

export interface Limiter {
  /** Takes `points` (default 1): ok, or refused with the seconds until the window ends. */
  consume(key: string, points?: number): Promise<LimitResult>;
  /** Whether the key has a point left, without taking one. */
  check(key: string): Promise<LimitResult>;
  /** Forgets the key's count. */
  reset(key: string): Promise<void>;
}

/**
 * The key for per-address limits: IPv4 addresses as they are (IPv4-mapped IPv6 included),
 * IPv6 addresses by their /64, the smallest block one subscriber usually gets: rotating
 * through addresses of one's own /64 gives no fresh allowance.
 */
export function addressKey(ip: string): string {
  if (!ipaddr.isValid(ip)) return `?${ip.slice(0, 100)}`;
  let addr = ipaddr.parse(ip);
  if (addr instanceof ipaddr.IPv6 && addr.isIPv4MappedAddress()) addr = addr.toIPv4Address();
  if (addr instanceof ipaddr.IPv4) return addr.toString();
  return `${(addr as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16)).join(":")}::/64`;
}

const require = createRequire(import.meta.url);
// Not exported by the package's index, but its documented base for custom stores.
const StoreAbstract = require("rate-limiter-flexible/lib/RateLimiterStoreAbstract.js") as typeof RateLimiterStoreAbstract;

interface Entry { points: number; expire: number }

/** rate-limiter-flexible's store contract over two insertion-ordered maps (open, then blocked). */
class BoundedMemoryStore extends StoreAbstract {
  private readonly open = new Map<string, Entry>();
  private readonly blocked = new Map<string, Entry>();
  constructor(opts: { points: number; duration: number; keyPrefix: string }, private readonly maxKeys: number, private readonly now: () => number) {
    super({ ...opts, storeClient: {}, inMemoryBlockOnConsumed: 0 });
  }

  get size(): number { return this.open.size + this.blocked.size; }

  private find(key: string): Entry | undefined {
    const e = this.open.get(key) ?? this.blocked.get(key);
    if (e && e.expire <= this.now()) { this.open.delete(key); this.blocked.delete(key); return undefined; }
    return e;
  }

  async _upsert(key: string, points: number, msDuration: number, forceExpire = false): Promise<Entry> {
    const now = this.now();
    const cur = this.find(key);
    const e: Entry = !cur || forceExpire ? { points, expire: now + msDuration } : { points: cur.points + points, expire: cur.expire };
    // Re-inserted at the end: the maps' order is then least recently used first.
    this.open.delete(key);
    this.blocked.delete(key);
    (e.points > this.points ? this.blocked : this.open).set(key, e);
    while (this.size > this.maxKeys) {
      const from = this.open.size > 0 ? this.open : this.blocked;
      from.delete(from.keys().next().value!);
    }
    return e;
  }

  async _get(key: string): Promise<Entry | null> { return this.find(key) ?? null; }

  async _delete(key: string): Promise<boolean> { return this.open.delete(key) || this.blocked.delete(key); }

  _getRateLimiterRes(_key: string, changed: number, e: Entry): RateLimiterRes {
    return new RateLimiterRes(Math.max(this.points - e.points, 0), Math.max(e.expire - this.now(), 0), e.points, changed === e.points);
  }
}

type Backend = Pick<RateLimiterStoreAbstract, "consume" | "get" | "delete"> & { points: number };

function wrap(backend: Backend, name: string): Limiter {
  const short = (key: string) => (key.length > 180 ? `sha256:${createHash("sha256").update(key).digest("base64url")}` : key);
  const refused = (msBeforeNext: number): LimitResult => ({ ok: false, retryAfterS: Math.max(1, Math.ceil(msBeforeNext / 1000)) });
  return {
    async consume(key, points = 1) {
      try {
        const r = await backend.consume(short(key), points);
        return { ok: true, remaining: r.remainingPoints };
      } catch (e) {
        if (e instanceof RateLimiterRes) return refused(e.msBeforeNext);
        throw coreErrors.store(`The rate limit ${name} could not be checked`, { op: "limit" }, { cause: e });
      }
    },
    async check(key) {
      let r: RateLimiterRes | null;
      try { r = await backend.get(short(key)); } catch (e) {
        throw coreErrors.store(`The rate limit ${name} could not be checked`, { op: "limit" }, { cause: e });
      }
      if (!r || r.consumedPoints < backend.points) return { ok: true, remaining: r ? backend.points - r.consumedPoints : backend.points };
      return refused(r.msBeforeNext);
    },
    async reset(key) {
      try { await backend.delete(short(key)); } catch (e) {
        throw coreErrors.store(`The rate limit ${name} could not be reset`, { op: "limit" }, { cause: e });
      }
    },
  };
}

const unlimited: Limiter = {
  consume: async () => ({ ok: true, remaining: Number.POSITIVE_INFINITY }),
  check: async () => ({ ok: true, remaining: Number.POSITIVE_INFINITY }),
  reset: async () => {},
};

export interface LimiterFactoryOptions {
  /** The pool when the store is PostgreSQL: limits are then shared by every instance. */
  pool?: pg.Pool;
  /** The clock of in-memory limiters (tests). */
  now?: () => number;
}

export function createLimiter(name: string, opts: LimiterOptions, f: LimiterFactoryOptions = {}): Limiter {
  if (!(opts.points > 0)) return unlimited;
  if (!(opts.durationMs > 0)) throw new Error(`limiter ${name}: durationMs must be positive`);
  const base = { points: opts.points, duration: opts.durationMs / 1000, keyPrefix: name };
  if (f.pool) {
    return wrap(new RateLimiterPostgres({ ...base, storeClient: f.pool, storeType: "pool", tableName: "core_rate_limits", tableCreated: true, clearExpiredByTimeout: true }), name);
  }
  return wrap(new BoundedMemoryStore(base, opts.maxKeys ?? 100_000, f.now ?? Date.now), name);
}
