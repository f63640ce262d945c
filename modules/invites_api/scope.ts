// What an API key may do: operations, invite types, and bounds on the invites it makes.
// Written on the command line as `--scope create,list --types account,contact
// --max-uses 10 --max-expiry 30d --roles r --groups g`, stored as a Scope.
import { formatDuration } from "../../core/types.js";
import { parseLifetime, parseUses } from "../invites/index.js";
import type { InviteType } from "../invites/types.js";
import { errors } from "./errors.js";

export const OPERATIONS = ["create", "list", "read", "update", "revoke"] as const;
export type Operation = (typeof OPERATIONS)[number];
export const INVITE_TYPES: readonly InviteType[] = ["account", "contact", "account_and_contact", "reset"];

export interface Scope {
  operations: Operation[];
  types: InviteType[];
  /** Most uses one invite may allow; null = no bound (unlimited invites allowed). */
  maxUses: number | null;
  /** Longest time from now an invite may stay valid; null = only the invites module's own bound. */
  maxExpiryMs: number | null;
  /** Roles the key may put on invites ("*" = any). Default none: a key cannot hand out admin. */
  roles: string[];
  /** Groups the key may put on invites ("*" = any). */
  groups: string[];
}

/** What a key made without --scope may do: what a Prosody key does (single-use account invites). */
export const DEFAULT_SCOPE: Scope = { operations: ["create"], types: ["account"], maxUses: 1, maxExpiryMs: null, roles: [], groups: [] };

export interface ScopeFlags {
  scope?: unknown;
  types?: unknown;
  maxUses?: unknown;
  maxExpiry?: unknown;
  roles?: unknown;
  groups?: unknown;
}

/** "a,b" or ["a", "b,c"] -> ["a", "b", "c"]; undefined when the flag is absent. */
export function splitList(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const parts = (Array.isArray(value) ? value : [value]).flatMap((v) => String(v).split(","));
  return [...new Set(parts.map((p) => p.trim()).filter((p) => p !== ""))];
}

function pick<T extends string>(flag: string, value: unknown, allowed: readonly T[], fallback: T[]): T[] {
  const list = splitList(value);
  if (list === undefined) return fallback;
  if (list.includes("all") || list.includes("*")) return [...allowed];
  const bad = list.filter((x) => !(allowed as readonly string[]).includes(x));
  if (bad.length) throw errors.bad_scope(`--${flag}: unknown ${bad.map((b) => JSON.stringify(b)).join(", ")} (choose from ${allowed.join(", ")}, or all)`, { flag });
  if (list.length === 0) throw errors.bad_scope(`--${flag}: name at least one of ${allowed.join(", ")}`, { flag });
  return list as T[];
}

export function parseScope(flags: ScopeFlags): Scope {
  const maxExpiryMs = flags.maxExpiry === undefined ? DEFAULT_SCOPE.maxExpiryMs : parseLifetime(String(flags.maxExpiry), "--max-expiry");
  return {
    operations: pick("scope", flags.scope, OPERATIONS, DEFAULT_SCOPE.operations),
    types: pick("types", flags.types, INVITE_TYPES, DEFAULT_SCOPE.types),
    maxUses: flags.maxUses === undefined ? DEFAULT_SCOPE.maxUses : parseUses(String(flags.maxUses), "--max-uses"),
    maxExpiryMs,
    roles: splitList(flags.roles) ?? [],
    groups: splitList(flags.groups) ?? [],
  };
}

/** One line for humans, in the same words as the flags. */
export function formatScope(s: Scope): string {
  const parts = [s.operations.join(","), `types=${s.types.join(",")}`, `max-uses=${s.maxUses ?? "unlimited"}`];
  if (s.maxExpiryMs !== null) parts.push(`max-expiry=${formatDuration(s.maxExpiryMs).replace(/ /g, "")}`);
  if (s.roles.length) parts.push(`roles=${s.roles.join(",")}`);
  if (s.groups.length) parts.push(`groups=${s.groups.join(",")}`);
  return parts.join(" ");
}

// The checks below throw invites_api.out_of_scope (403), naming what the key lacks.

export function requireOperation(s: Scope, op: Operation): void {
  if (!s.operations.includes(op)) throw errors.out_of_scope(`This API key may not ${op} invites (its scope: ${s.operations.join(", ")})`, { operation: op });
}

export function requireType(s: Scope, type: InviteType): void {
  if (!s.types.includes(type)) throw errors.out_of_scope(`This API key may not make ${type} invites (its types: ${s.types.join(", ")})`, { field: "type" });
}

export function requireUses(s: Scope, uses: number | null): void {
  if (s.maxUses === null) return;
  if (uses === null || uses > s.maxUses) {
    throw errors.out_of_scope(`uses ${uses ?? "unlimited"} is more than this API key allows (at most ${s.maxUses})`, { field: "uses" });
  }
}

export function requireExpiry(s: Scope, expiresAt: number, now: number): void {
  if (s.maxExpiryMs !== null && expiresAt - now > s.maxExpiryMs) {
    throw errors.out_of_scope(`An expiry ${formatDuration(expiresAt - now)} away is longer than this API key allows (at most ${formatDuration(s.maxExpiryMs)})`, { field: "expires" });
  }
}

function requireLabels(allowed: string[], wanted: string[], field: "roles" | "groups"): void {
  if (allowed.includes("*")) return;
  const bad = wanted.filter((w) => !allowed.includes(w));
  if (bad.length) {
    throw errors.out_of_scope(`This API key may not assign ${field} ${bad.map((b) => JSON.stringify(b)).join(", ")}${allowed.length ? ` (allowed: ${allowed.join(", ")})` : ""}`, { field });
  }
}

export function requireRoles(s: Scope, roles: string[]): void { requireLabels(s.roles, roles, "roles"); }
export function requireGroups(s: Scope, groups: string[]): void { requireLabels(s.groups, groups, "groups"); }
