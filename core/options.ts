// Typed module options with defaults, bounds and units, read once at setup.
// A bad value stops start-up with an error naming the option and the config file
// (Prosody only logs and clamps, which is easy to miss).
import { parseDuration, formatDuration } from "./duration.js";

export interface OptionSpec<T> {
  readonly kind: string;
  readonly describe?: string;
  /** Default used when the option is absent (already parsed). */
  readonly fallback: T;
  /** Parses a raw config value; throws OptionError with a reason (the caller adds the name). */
  parse(raw: unknown): T;
  /** Rendered as the default in docs/config. */
  readonly defaultText: string;
}

export type OptionValues<O> = { [K in keyof O]: O[K] extends OptionSpec<infer T> ? T : never };

export class OptionError extends Error {}

const fail = (msg: string): never => { throw new OptionError(msg); };

function spec<T>(kind: string, fallback: T, defaultText: string, parse: (raw: unknown) => T, describe?: string): OptionSpec<T> {
  return { kind, fallback, defaultText, parse, ...(describe === undefined ? {} : { describe }) };
}

interface Base<T> { default: T; describe?: string }

export const opt = {
  string(o: Base<string> & { pattern?: RegExp; maxLength?: number }): OptionSpec<string> {
    return spec("string", o.default, JSON.stringify(o.default), (raw) => {
      if (typeof raw !== "string") fail(`expected a string, got ${typeName(raw)}`);
      const s = raw as string;
      if (o.maxLength !== undefined && s.length > o.maxLength) fail(`longer than ${o.maxLength} characters`);
      if (o.pattern && !o.pattern.test(s)) fail(`does not match ${o.pattern}`);
      return s;
    }, o.describe);
  },
  optionalString(o: { describe?: string; pattern?: RegExp } = {}): OptionSpec<string | undefined> {
    return spec<string | undefined>("string", undefined, "(unset)", (raw) => {
      if (raw === null || raw === undefined) return undefined;
      if (typeof raw !== "string") fail(`expected a string, got ${typeName(raw)}`);
      if (o.pattern && !o.pattern.test(raw as string)) fail(`does not match ${o.pattern}`);
      return raw as string;
    }, o.describe);
  },
  integer(o: Base<number> & { min?: number; max?: number }): OptionSpec<number> {
    return spec("integer", o.default, String(o.default), (raw) => {
      const n = typeof raw === "string" && /^-?\d+$/.test(raw.trim()) ? Number(raw) : raw;
      if (typeof n !== "number" || !Number.isInteger(n)) fail(`expected a whole number, got ${typeName(raw)}`);
      const v = n as number;
      if (o.min !== undefined && v < o.min) fail(`must be at least ${o.min}, got ${v}`);
      if (o.max !== undefined && v > o.max) fail(`must be at most ${o.max}, got ${v}`);
      return v;
    }, o.describe);
  },
  boolean(o: Base<boolean>): OptionSpec<boolean> {
    return spec("boolean", o.default, String(o.default), (raw) => {
      if (typeof raw === "boolean") return raw;
      fail(`expected true or false, got ${typeName(raw)}`);
      return false;
    }, o.describe);
  },
  /** A duration in milliseconds: "1 week", "15d", "2h", or a number of seconds. */
  period(o: { default: string; min?: string; max?: string; describe?: string }): OptionSpec<number> {
    const parseOrThrow = (text: string) => parseDuration(text) ?? fail(`bad period "${text}"`);
    const def = parseOrThrow(o.default);
    const min = o.min === undefined ? undefined : parseOrThrow(o.min);
    const max = o.max === undefined ? undefined : parseOrThrow(o.max);
    return spec("period", def, JSON.stringify(o.default), (raw) => {
      if (typeof raw !== "string" && typeof raw !== "number") fail(`expected a period such as "1 week" or "15d", got ${typeName(raw)}`);
      const ms = parseDuration(raw as string | number);
      if (ms === undefined) fail(`expected a period such as "1 week" or "15d", got ${JSON.stringify(raw)}`);
      if (min !== undefined && ms! < min) fail(`must be at least ${formatDuration(min)}, got ${formatDuration(ms!)}`);
      if (max !== undefined && ms! > max) fail(`must be at most ${formatDuration(max)}, got ${formatDuration(ms!)}`);
      return ms!;
    }, o.describe);
  },
  enum<const V extends string>(o: { values: readonly V[]; default: V; describe?: string }): OptionSpec<V> {
    return spec("enum", o.default, JSON.stringify(o.default), (raw) => {
      if (typeof raw !== "string" || !(o.values as readonly string[]).includes(raw)) fail(`expected one of ${o.values.join(", ")}, got ${JSON.stringify(raw)}`);
      return raw as V;
    }, o.describe);
  },
  /** A list of strings (Prosody's "set" options). */
  list(o: Base<string[]> & { item?: RegExp }): OptionSpec<string[]> {
    return spec("list", o.default, JSON.stringify(o.default), (raw) => {
      if (!Array.isArray(raw)) fail(`expected a list, got ${typeName(raw)}`);
      return (raw as unknown[]).map((v, i) => {
        if (typeof v !== "string") fail(`item ${i + 1}: expected a string, got ${typeName(v)}`);
        if (o.item && !o.item.test(v as string)) fail(`item ${i + 1}: ${JSON.stringify(v)} does not match ${o.item}`);
        return v as string;
      });
    }, o.describe);
  },
  /** Structured data checked by a function that returns an error text or undefined. */
  custom<T>(o: { default: T; check: (raw: unknown) => string | undefined; describe?: string; defaultText?: string }): OptionSpec<T> {
    const shown = o.defaultText ?? JSON.stringify(o.default);
    return spec("custom", o.default, shown === undefined || shown.length > 60 ? "(see docs)" : shown, (raw) => {
      const why = o.check(raw);
      if (why !== undefined) fail(why);
      return raw as T;
    }, o.describe);
  },
};

export function typeName(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  if (typeof v === "string") return `the string ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + "…" : v)}`;
  return `${typeof v} ${String(v)}`;
}

/** Reads every declared option from the raw config; collects one message per bad option. */
export function readOptions(specs: Record<string, OptionSpec<unknown>>, raw: Record<string, unknown>, where: string): { values: Record<string, unknown>; problems: string[] } {
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, s] of Object.entries(specs)) {
    if (!(name in raw) || raw[name] === undefined) { values[name] = s.fallback; continue; }
    try {
      values[name] = s.parse(raw[name]);
    } catch (e) {
      if (!(e instanceof OptionError)) throw e;
      problems.push(`${where}: option "${name}": ${e.message}`);
    }
  }
  return { values, problems };
}
