// The API's rates ("60/minute") and how they become core's rate limiters (mod.limiter): per
// key for requests, and for failed authentications per client address and per key id.
import { parseDuration, type LimiterOptions } from "../../core/types.js";

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

/**
 * A rate with a burst as the fixed window core's limiter counts in: `burst` requests per the
 * time the rate takes to earn that many. 60/minute with a burst of 20 is 20 per 20 s: the
 * same burst, and the same rate over time, as a token bucket.
 */
export function windowOf(rate: Rate, burst: number): LimiterOptions {
  return { points: burst, durationMs: Math.max(1_000, Math.round((burst * rate.perMs) / rate.count)) };
}
