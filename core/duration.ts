// Durations as admins write them: "1 week", "15d", "2h", "30min", "90s", "1w 2d",
// plain seconds (a number, as Prosody's get_option_period takes), or "never".

const UNITS: Record<string, number> = {
  s: 1_000, sec: 1_000, secs: 1_000, second: 1_000, seconds: 1_000,
  m: 60_000, min: 60_000, mins: 60_000, minute: 60_000, minutes: 60_000,
  h: 3_600_000, hr: 3_600_000, hrs: 3_600_000, hour: 3_600_000, hours: 3_600_000,
  d: 86_400_000, day: 86_400_000, days: 86_400_000,
  w: 604_800_000, week: 604_800_000, weeks: 604_800_000,
  mo: 2_592_000_000, month: 2_592_000_000, months: 2_592_000_000,
  y: 31_536_000_000, year: 31_536_000_000, years: 31_536_000_000,
};

const PART = /(\d+(?:\.\d+)?)\s*([a-z]+)/gy;

/** Parses a relative duration to milliseconds; returns undefined when it is not one. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === "number") return Number.isFinite(input) && input >= 0 && input * 1000 <= 100 * UNITS.y! ? input * 1000 : undefined;
  const text = input.trim().toLowerCase();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) {
    const ms = Number(text) * 1000;
    return ms <= 100 * UNITS.y! ? Math.round(ms) : undefined;
  }
  let total = 0;
  let pos = 0;
  const compact = text.replace(/\s*,\s*|\s+and\s+/g, " ");
  while (pos < compact.length) {
    while (compact[pos] === " ") pos++;
    if (pos >= compact.length) break;
    PART.lastIndex = pos;
    const m = PART.exec(compact);
    if (!m) return undefined;
    const unit = UNITS[m[2]!];
    if (unit === undefined) return undefined;
    total += Number(m[1]) * unit;
    pos = PART.lastIndex;
  }
  return Number.isFinite(total) && total <= 100 * UNITS.y! ? Math.round(total) : undefined;
}

/** An absolute ISO 8601 date-time ("2026-12-01", "2026-12-01T10:00:00Z"), or undefined. */
export function parseDate(input: string): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(input.trim())) return undefined;
  const d = new Date(input.trim());
  return Number.isNaN(d.getTime()) ? undefined : d;
}

/**
 * A point in time given either as a duration from `now` or as an absolute date.
 * Returns epoch milliseconds, or undefined when the text is neither.
 */
export function parseTimeSpec(input: string | number, now = Date.now()): number | undefined {
  const rel = parseDuration(input);
  if (rel !== undefined) return now + rel;
  if (typeof input === "string") return parseDate(input)?.getTime();
  return undefined;
}

/** Human form of a duration, largest units first: 90061000 -> "1d 1h 1min 1s". */
export function formatDuration(ms: number): string {
  const parts: string[] = [];
  let rest = Math.round(ms / 1000);
  for (const [unit, secs] of [["y", 31536000], ["w", 604800], ["d", 86400], ["h", 3600], ["min", 60], ["s", 1]] as const) {
    if (rest >= secs) { parts.push(`${Math.floor(rest / secs)}${unit}`); rest %= secs; }
  }
  return parts.length ? parts.join(" ") : "0s";
}
