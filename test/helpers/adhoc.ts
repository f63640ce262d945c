// Runs ad-hoc commands through core's service in-process, as the component link does
// (stages, form checks, sessions), and reads the refusal a command answered with.
import type { ModuleError } from "../../core/errors.js";
import type { AdhocResponse, DataForm } from "../../core/types.js";
import { AdhocService, type CommandCall } from "../../core/xmpp/adhoc.js";
import type { TestHost } from "./host.js";

export interface Runner {
  /** Executes a command; when it answers with a form and values are given, submits them in the same session. */
  run(node: string, from: string, values?: Record<string, string | string[]>): Promise<Answer>;
  /** The next request of the session `of` belongs to. */
  step(node: string, from: string, action: "execute" | "next" | "prev" | "complete" | "cancel", of: { sessionId: string }, values?: Record<string, string | string[]>): Promise<Answer>;
  /** A submission with no session, as a client that already knows the form may send it. */
  submit(node: string, from: string, values: Record<string, string | string[]>): Promise<Answer>;
}

export type Answer = AdhocResponse & { sessionId: string };

/** Runs commands through core's ad-hoc service, as the component link does (stages, form checks, sessions). */
export function runner(t: TestHost): Runner {
  const service = new AdhocService({ commands: t.host.commands, hosts: t.host.config.hosts, isAdmin: (j) => t.host.isAdmin(j) });
  const form = (values: Record<string, string | string[]>): DataForm => ({ type: "submit", fields: Object.entries(values).map(([k, v]) => ({ var: k, value: v })) });
  const call = async (from: string, c: CommandCall): Promise<Answer> => {
    const { sessionId, response } = await service.run(`${from}/res`, c);
    return { ...response, sessionId };
  };
  const step: Runner["step"] = (node, from, action, of, values) => call(from, { node, action, sessionId: of.sessionId, ...(values ? { submitted: form(values) } : {}) });
  return {
    step,
    submit: (node, from, values) => call(from, { node, action: "complete", submitted: form(values) }),
    async run(node, from, values) {
      const first = await call(from, { node });
      if (first.status !== "executing" || values === undefined) return first;
      return step(node, from, "complete", first, values);
    },
  };
}

/**
 * The error a handler refused with. Checked by shape: the host imports modules at run time,
 * so under the test runner their ModuleError class can be a second copy of core/errors.ts.
 */
export async function refusal(p: Promise<unknown>): Promise<{ code: string; condition: string; message: string; field: unknown }> {
  try { await p; } catch (e) {
    const m = e as Partial<ModuleError>;
    if (!(e instanceof Error) || m.name !== "ModuleError" || typeof m.code !== "string" || typeof m.condition !== "string") throw e;
    return { code: m.code, condition: m.condition, message: e.message, field: m.detail?.["field"] };
  }
  throw new Error("expected a refusal");
}
