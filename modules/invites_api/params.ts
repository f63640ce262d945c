// Query strings read from the raw URL rather than through a lenient parser, so that a
// repeated, unknown or badly encoded parameter is refused with its name instead of being
// silently merged, dropped or turned into U+FFFD.
import { errors } from "./errors.js";

const MAX_PARAMS = 32;
const MAX_VALUE = 2048;

/** A parameter name made safe to quote in a message. */
export function quoteName(name: string): string {
  return JSON.stringify(name.length > 40 ? `${name.slice(0, 40)}…` : name);
}

function decode(text: string): string | undefined {
  try {
    return decodeURIComponent(text.replace(/\+/g, " "));
  } catch {
    return undefined;
  }
}

/** The query part of a request URL ("" when there is none). */
export function rawQuery(url: string): string {
  const q = url.indexOf("?");
  return q < 0 ? "" : url.slice(q + 1);
}

export interface QueryRules {
  /**
   * Read as Prosody's http.formdecode does for mod_invites_api: a part without "=" is no
   * parameter at all, and a name outside `allowed` is ignored (cache-busters such as "_=123",
   * "utm_source"), not refused. Known names are still checked: given once, well encoded.
   */
  prosody?: boolean;
}

/**
 * Parses "a=1&b=2" into { a: "1", b: "2" }, accepting only the `allowed` names, each once.
 * Throws invites_api.unknown_parameter / repeated_parameter / bad_parameter (400).
 */
export function parseQuery(query: string, allowed: readonly string[], rules: QueryRules = {}): Record<string, string> {
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  if (query === "") return out;
  const parts = query.split("&").filter((p) => p !== "");
  if (parts.length > MAX_PARAMS) throw errors.bad_request(`Too many query parameters (at most ${MAX_PARAMS})`);
  for (const part of parts) {
    const eq = part.indexOf("=");
    // Prosody's formdecode matches name=value pairs only: a bare "redirect" is not one.
    if (rules.prosody && eq < 0) continue;
    const rawName = eq < 0 ? part : part.slice(0, eq);
    const name = decode(rawName);
    if (rules.prosody && (name === undefined || !allowed.includes(name))) continue;
    if (name === undefined) throw errors.bad_parameter(`A parameter name is not valid percent-encoded UTF-8: ${quoteName(rawName)}`, { parameter: rawName.slice(0, 40) });
    if (!allowed.includes(name)) {
      throw errors.unknown_parameter(`Unknown parameter ${quoteName(name)}${allowed.length ? ` (allowed: ${allowed.join(", ")})` : " (this endpoint takes none)"}`, { parameter: name.slice(0, 40) });
    }
    if (name in out) throw errors.repeated_parameter(`Parameter ${quoteName(name)} is given more than once`, { parameter: name });
    const rawValue = eq < 0 ? "" : part.slice(eq + 1);
    if (rawValue.length > MAX_VALUE) throw errors.bad_parameter(`Parameter ${quoteName(name)} is too long (at most ${MAX_VALUE} characters)`, { parameter: name });
    const value = decode(rawValue);
    if (value === undefined) throw errors.bad_parameter(`Parameter ${quoteName(name)} is not valid percent-encoded UTF-8`, { parameter: name });
    out[name] = value;
  }
  return out;
}
