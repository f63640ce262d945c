// Recognizes a ModuleError by shape as well as by class: a module loaded from a plugin
// path (or through another module loader) may carry its own copy of core/errors.ts, and
// its vetoes must still reach the visitor with their message and status.
import { isModuleError } from "../../core/errors.js";

export interface ErrorLike { code: string; status: number; message: string }

export function asModuleError(err: unknown): ErrorLike | undefined {
  if (isModuleError(err)) return err;
  if (!(err instanceof Error) || err.name !== "ModuleError") return undefined;
  const e = err as Error & Partial<ErrorLike>;
  return typeof e.code === "string" && typeof e.status === "number" ? (e as ErrorLike) : undefined;
}
