// One error type for the whole host: each code carries both its HTTP status and its
// XMPP stanza error (RFC 6120 §8.3), so a module defines a failure once and every
// surface (HTTP, ad-hoc, IQ, ctl) reports it the same way.

export type XmppErrorType = "auth" | "cancel" | "continue" | "modify" | "wait";
export type XmppCondition =
  | "bad-request" | "conflict" | "feature-not-implemented" | "forbidden" | "gone"
  | "internal-server-error" | "item-not-found" | "jid-malformed" | "not-acceptable"
  | "not-allowed" | "not-authorized" | "policy-violation" | "recipient-unavailable"
  | "remote-server-not-found" | "remote-server-timeout" | "resource-constraint"
  | "service-unavailable" | "undefined-condition" | "unexpected-request";

export interface ErrorSpec {
  status: number;
  type: XmppErrorType;
  condition: XmppCondition;
  message: string;
}

const BRAND = Symbol.for("xmpp-invites.ModuleError");

export class ModuleError extends Error {
  /**
   * Recognised by brand rather than by class identity: a loader (tsx in tests, or two copies
   * of this file in node_modules) may evaluate this module twice.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
  readonly [BRAND] = true;
  readonly code: string;
  readonly status: number;
  readonly type: XmppErrorType;
  readonly condition: XmppCondition;
  /** Extra machine-readable detail (e.g. the option or field at fault). Never secrets. */
  readonly detail: Record<string, unknown> | undefined;
  constructor(code: string, spec: ErrorSpec, message?: string, detail?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message ?? spec.message, options);
    this.name = "ModuleError";
    this.code = code;
    this.status = spec.status;
    this.type = spec.type;
    this.condition = spec.condition;
    this.detail = detail;
  }
}

export type ErrorFactory = (message?: string, detail?: Record<string, unknown>, options?: { cause?: unknown }) => ModuleError;

/**
 * Declares a module's error registry: `const errors = defineErrors("invites", { expired: {...} })`
 * then `throw errors.expired()`. Each module documents its codes (modules/invites/README.md,
 * docs/invites-api.md, docs/adhoc.md); docs/modules.md says how errors reach each surface.
 */
export function defineErrors<K extends string>(prefix: string, specs: Record<K, ErrorSpec>): Record<K, ErrorFactory> & { codes: Record<K, string> } {
  const out = {} as Record<K, ErrorFactory>;
  const codes = {} as Record<K, string>;
  for (const key of Object.keys(specs) as K[]) {
    const code = `${prefix}.${key}`;
    codes[key] = code;
    out[key] = (message, detail, options) => new ModuleError(code, specs[key], message, detail, options);
  }
  return Object.assign(out, { codes });
}

export function isModuleError(e: unknown, code?: string): e is ModuleError {
  return e instanceof ModuleError && (code === undefined || e.code === code);
}

/** Errors core itself raises. */
export const coreErrors = defineErrors("core", {
  bad_request: { status: 400, type: "modify", condition: "bad-request", message: "Bad request" },
  forbidden: { status: 403, type: "auth", condition: "forbidden", message: "Forbidden" },
  not_found: { status: 404, type: "cancel", condition: "item-not-found", message: "Not found" },
  unavailable: { status: 503, type: "wait", condition: "service-unavailable", message: "The XMPP server is not reachable; try again shortly" },
  store: { status: 503, type: "wait", condition: "internal-server-error", message: "The invite store failed; try again shortly" },
  config: { status: 500, type: "cancel", condition: "internal-server-error", message: "Invalid configuration" },
  internal: { status: 500, type: "cancel", condition: "internal-server-error", message: "Internal error" },
});
