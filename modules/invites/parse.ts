// One parser per value, for every front end (invitectl, the HTTP API, ad-hoc forms): the
// same words are accepted everywhere and a refusal reads the same, naming the caller's
// field ("--uses", "uses", "expires-after").
import { formatDuration, parseDate, parseDuration } from "../../core/types.js";
import { errors } from "./errors.js";

export const MAX_USES = 1_000_000_000;
const UNLIMITED = /^(unlimited|infinite|∞)$/i;

const show = (v: unknown) => (typeof v === "string" ? JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v) : String(v));

// Each parser names `field` in the error's detail and starts its message with `label`
// (default: the field), e.g. "--uses" on the command line or 'Field "uses"' in a form.

/** A number of uses: a whole number from 1, or "unlimited" / "infinite" / "∞" (any case) for null. */
export function parseUses(input: unknown, field = "uses", label = field): number | null {
  const text = typeof input === "number" ? String(input) : typeof input === "string" ? input.trim() : undefined;
  if (text !== undefined && UNLIMITED.test(text)) return null;
  if (text === undefined || !/^\d{1,10}$/.test(text) || Number(text) < 1 || Number(text) > MAX_USES) {
    throw errors.bad_uses(`${label}: expected a whole number from 1 to ${MAX_USES} or "unlimited", got ${show(input)}`, { field });
  }
  return Number(text);
}

/** A length of time ("15d", "2h", "30min", "1 week", or seconds): milliseconds, more than 0. */
export function parseLifetime(input: unknown, field: string, label = field): number {
  const ms = typeof input === "string" || typeof input === "number" ? parseDuration(input) : undefined;
  if (ms === undefined || ms <= 0) throw errors.bad_duration(`${label}: expected a duration such as "15d", "12h" or "1 week", got ${show(input)}`, { field });
  return ms;
}

export type WhenForm = "duration or date" | "duration" | "date";

/**
 * A moment in the future, given as a duration from now ("7d"), an ISO 8601 date
 * ("2026-12-01", "2026-12-01T10:00:00Z"), or either; epoch milliseconds.
 */
export function parseWhen(input: unknown, field: string, now: number, form: WhenForm = "duration or date", label = field): number {
  const text = typeof input === "string" ? input.trim() : typeof input === "number" && form !== "date" ? String(input) : undefined;
  const rel = text === undefined || form === "date" ? undefined : parseDuration(text);
  const abs = text === undefined || rel !== undefined || form === "duration" ? undefined : parseDate(text)?.getTime();
  if (rel === undefined && abs === undefined) {
    const expected = form === "date" ? "an ISO 8601 date such as 2026-12-01T10:00:00Z"
      : form === "duration" ? 'a duration such as "15d", "12h" or "1 week"'
      : 'a duration such as "15d", "12h" or "1 week", or a date such as 2026-12-01';
    throw errors.bad_duration(`${label}: expected ${expected}, got ${show(input)}`, { field });
  }
  const at = rel === undefined ? abs! : now + rel;
  if (at <= now) throw errors.bad_duration(`${label}: ${show(input)} is not in the future`, { field });
  return at;
}

/** Refuses a moment further than `maxMs` from now, naming the limit and where it comes from. */
export function requireWithin(at: number, now: number, maxMs: number, field: string, limit: string, label = field): void {
  if (at - now > maxMs) throw errors.bad_duration(`${label}: at most ${formatDuration(maxMs)} from now is allowed (${limit})`, { field, limit });
}
