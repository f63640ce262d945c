// Forgetting records once their invite is long expired, without scanning the store: each key
// is listed under the day it may go, and a sweep walks the days from its cursor to yesterday.
// The record itself says until when it is kept (an extended invite keeps it longer), so a
// listing under an earlier day only leads to a check.
import type { Store } from "../../core/types.js";

const DAY_MS = 86_400_000;
const dayOf = (t: number) => Math.floor(t / DAY_MS);
/** Days one sweep walks at most. */
const MAX_DAYS = 366;

export class ExpiryIndex {
  constructor(private readonly days: Store<string[]>, private readonly cursor: Store<number>, private readonly now: () => number) {}

  /** Lists `key` under the day of `at` (never a day already swept). */
  async add(key: string, at: number): Promise<void> {
    const day = dayOf(at);
    // The first listing starts the sweep at today: no day before it can hold anything.
    const cursor = await this.cursor.update("cursor", (cur) => cur ?? dayOf(this.now()));
    const target = String(Math.max(day, cursor ?? day));
    await this.days.update(target, (cur) => (cur?.includes(key) ? cur : [...(cur ?? []), key]));
  }

  /** Calls `expire(key, now)` for every key listed under a day that has passed; returns how many. */
  async sweep(now: number, expire: (key: string, now: number) => Promise<void>): Promise<number> {
    const start = await this.cursor.get("cursor");
    if (start === undefined) return 0;
    const until = Math.min(dayOf(now) - 1, start + MAX_DAYS - 1);
    let seen = 0;
    for (let day = start; day <= until; day++) {
      const keys = (await this.days.get(String(day))) ?? [];
      for (const key of keys) await expire(key, now);
      seen += keys.length;
      await this.days.delete(String(day));
      await this.cursor.update("cursor", (cur) => (cur === undefined || cur <= day ? day + 1 : cur));
    }
    return seen;
  }
}
