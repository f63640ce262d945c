// Password policy for web registration and resets (Prosody's password_policy option:
// { length = 8 }; exclude_username as in mod_password_policy).
import { illegalXmlChar } from "../../core/types.js";
import type { Key } from "../../web/i18n.js";

export interface PasswordPolicy {
  /** Minimum length in characters. */
  length: number;
  /** Maximum length in characters (servers and hashing have limits too). */
  max_length: number;
  /** Refuse passwords that contain the username. */
  exclude_username: boolean;
}

export const DEFAULT_POLICY: PasswordPolicy = { length: 8, max_length: 1000, exclude_username: true };

export function checkPolicyOption(raw: unknown): string | undefined {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return "expected a mapping such as { length: 10 }";
  for (const [k, v] of Object.entries(raw)) {
    if (k === "length" || k === "max_length") {
      if (typeof v !== "number" || !Number.isInteger(v) || v < 1 || v > 4096) return `${k}: expected a whole number from 1 to 4096`;
    } else if (k === "exclude_username") {
      if (typeof v !== "boolean") return "exclude_username: expected true or false";
    } else {
      return `unknown key "${k}" (known: length, max_length, exclude_username)`;
    }
  }
  const p = { ...DEFAULT_POLICY, ...(raw as Partial<PasswordPolicy>) };
  return p.length > p.max_length ? "length must not be greater than max_length" : undefined;
}

/** Why a password is refused (an i18n key and its values), or undefined when it is fine. */
export function checkPassword(password: string, username: string, policy: PasswordPolicy): { key: Key; vars?: Record<string, number | string> } | undefined {
  // Sent to the server inside a stanza, and through SASLprep / OpaqueString at login: control
  // characters and what XML cannot carry (U+FFFF, lone surrogates) could never work.
  const bad = illegalXmlChar(password) ?? /\p{Cc}/u.exec(password)?.[0];
  if (bad !== undefined) return { key: "err_pw_char", vars: { char: bad.startsWith("U+") ? bad : `U+${bad.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}` } };
  const length = [...password].length;
  if (length < policy.length) return { key: "err_pw_short", vars: { n: policy.length } };
  if (length > policy.max_length) return { key: "err_pw_long", vars: { n: policy.max_length } };
  if (policy.exclude_username && username !== "" && password.toLowerCase().includes(username.toLowerCase())) return { key: "err_pw_username" };
  return undefined;
}
