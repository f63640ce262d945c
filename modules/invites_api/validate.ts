// Request validation: ajv over the schemas in schemas.ts, turned into one clear 400 that
// names the field, plus the few value parsers the query-string endpoint needs.
import { Ajv2020, type ErrorObject } from "ajv/dist/2020.js";
import { parseUses as parseUsesValue, parseWhen } from "../invites/index.js";
import type { InviteType } from "../invites/types.js";
import { errors } from "./errors.js";
import { INVITE_TYPES } from "./scope.js";
import { quoteName } from "./params.js";

const bodies = new Ajv2020({ allErrors: false, strict: false, verbose: true });
const queries = new Ajv2020({ allErrors: false, strict: false, verbose: true, coerceTypes: true, useDefaults: true });

function message(where: string, e: ErrorObject): string {
  const field = e.instancePath === "" ? where : `${where}.${e.instancePath.slice(1).replace(/\//g, ".")}`;
  const described = (e.parentSchema as { description?: string } | undefined)?.description;
  switch (e.keyword) {
    case "additionalProperties": return `${where}: unknown field ${quoteName(String(e.params["additionalProperty"]))}`;
    case "minProperties": return `${where}: give at least one field`;
    case "enum": return `${field}: must be one of ${(e.params["allowedValues"] as unknown[]).join(", ")}`;
    case "anyOf": return `${field}: expected ${described ?? "another value"}`;
    case "type": return `${field}: must be ${String(e.params["type"]).replace(/,/g, " or ")}`;
    default: return `${field}: ${e.message ?? "invalid"}`;
  }
}

/** Compiles a validator that returns the (coerced) value or throws a 400 naming the field. */
export function validator<T>(schema: object, where: "body" | "query"): (value: unknown) => T {
  const check = (where === "query" ? queries : bodies).compile(schema);
  return (value) => {
    if (check(value)) return value as T;
    const errs = check.errors ?? [];
    const e = errs.find((x) => x.keyword === "anyOf") ?? errs[0];
    const field = e ? e.instancePath.slice(1).replace(/\//g, ".") || (e.params["additionalProperty"] as string | undefined) : undefined;
    throw errors.bad_parameter(e ? message(where, e) : `invalid ${where}`, field ? { field } : undefined);
  };
}

/** Uses as every front end reads them (modules/invites/parse.ts). */
export function parseUses(value: unknown, name: string): number | null {
  return parseUsesValue(value, name);
}

export function parseType(value: string | undefined, name: string): InviteType {
  if (value === undefined) return "account";
  if (!(INVITE_TYPES as readonly string[]).includes(value)) throw errors.bad_parameter(`${name}: must be one of ${INVITE_TYPES.join(", ")}, got ${quoteName(value)}`, { field: name });
  return value as InviteType;
}

/** Expiry from a duration ("7d") or an ISO date; at most one of the two. */
export function parseExpiry(after: string | undefined, at: string | undefined, names: [string, string], now = Date.now()): number | undefined {
  if (after !== undefined && at !== undefined) throw errors.bad_parameter(`Give ${names[0]} or ${names[1]}, not both`, { field: names[0] });
  if (after !== undefined) return parseWhen(after, names[0], now, "duration");
  if (at !== undefined) return parseWhen(at, names[1], now, "date");
  return undefined;
}
