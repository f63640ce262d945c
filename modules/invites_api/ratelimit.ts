// Token buckets in memory, one per API key (requests) and one per client address (failed
// authentication). They are per process: a restart forgets them, which is harmless for
// limits measured in minutes.
import { parseDuration } from "../../core/types.js";

export interface Rate { count: number; perMs: number }

const PER: Record<string, number> = { second: 1_000, sec: 1_000, s: 1_000, minute: 60_000, min: 60_000, m: 60_000, hour: 3_600_000, h: 3_600_000, day: 86_400_000, d: 86_400_000 };

/** "60/minute", "5/30s", "1000/hour" -> { count, perMs }; undefined when it is not a rate. */
export function parseRate(text: unknown): Rate | undefined {
  if (typeof text !== "string") return undefined;
  const m = /^\s*(\d{1,9})\s*\/\s*(.+?)\s*$/.exec(text);
  if (!m) return undefined;
  const count = Number(m[1]);
  const perMs = PER[m[2]!.toLowerCase()] ?? parseDuration(m[2]!);
  if (count < 1 || perMs === undefined || perMs <= 0) return undefined;
  return { count, perMs };
}

export type Take = { ok: true } | { ok: false; retryAfterS: number };

interface Bucket { tokens: number; at: number }

export class Buckets {
  private readonly buckets = new Map<string, Bucket>();
  private readonly perMs: number;

  constructor(rate: Rate, readonly burst: number, private readonly maxEntries = 100_000) {
    this.perMs = rate.count / rate.perMs;
  }

  private current(key: string, now: number): Bucket {
    const b = this.buckets.get(key);
    if (!b) return { tokens: this.burst, at: now };
    return { tokens: Math.min(this.burst, b.tokens + (now - b.at) * this.perMs), at: now };
  }

  private retryAfter(b: Bucket): number {
    return Math.max(1, Math.ceil((1 - b.tokens) / this.perMs / 1000));
  }

  /** Takes one token; refuses (without taking) when the bucket is empty. */
  take(key: string, now = Date.now()): Take {
    const b = this.current(key, now);
    if (b.tokens < 1) { this.buckets.set(key, b); return { ok: false, retryAfterS: this.retryAfter(b) }; }
    b.tokens -= 1;
    this.store(key, b);
    return { ok: true };
  }

  /** Whether a token is left, without taking it. */
  check(key: string, now = Date.now()): Take {
    if (!this.buckets.has(key)) return { ok: true };
    const b = this.current(key, now);
    return b.tokens >= 1 ? { ok: true } : { ok: false, retryAfterS: this.retryAfter(b) };
  }

  get size(): number { return this.buckets.size; }

  private store(key: string, b: Bucket): void {
    this.buckets.delete(key); // re-insert: Map order is then least recently used first
    if (this.buckets.size >= this.maxEntries) {
      // Full buckets carry no information; forget them first, then the oldest.
      for (const k of this.buckets.keys()) if (this.current(k, b.at).tokens >= this.burst) this.buckets.delete(k);
      if (this.buckets.size >= this.maxEntries) this.buckets.delete(this.buckets.keys().next().value!);
    }
    this.buckets.set(key, b);
  }
}
