// Finds module definitions and orders them by dependency (fastify's checkDependencies,
// Prosody's module:depends): a missing or cyclic dependency stops start-up, naming it.
import { existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { ModuleDefinition } from "./types.js";

export class LoadError extends Error {
  constructor(readonly code: "module_not_found" | "module_invalid" | "dependency_missing" | "dependency_cycle", message: string) {
    super(message);
    this.name = "LoadError";
  }
}

const BUILTIN_DIR = resolve(dirname(fileURLToPath(import.meta.url)), "../modules");

function candidates(name: string, pluginPaths: readonly string[]): string[] {
  const dirs = [...pluginPaths, BUILTIN_DIR];
  return dirs.flatMap((d) => [join(d, name, "index.ts"), join(d, name, "index.js"), join(d, `mod_${name}`, "index.ts"), join(d, `mod_${name}`, "index.js")]);
}

export function isModuleDefinition(v: unknown): v is ModuleDefinition {
  const d = v as Partial<ModuleDefinition> | undefined;
  return !!d && typeof d === "object" && typeof d.name === "string" && typeof d.setup === "function"
    && (d.dependencies === undefined || (Array.isArray(d.dependencies) && d.dependencies.every((x) => typeof x === "string")))
    && (d.options === undefined || (typeof d.options === "object" && d.options !== null));
}

export async function findModule(name: string, pluginPaths: readonly string[], known: ReadonlyMap<string, ModuleDefinition>): Promise<ModuleDefinition> {
  const given = known.get(name);
  if (given) return given;
  const file = candidates(name, pluginPaths).find((f) => existsSync(f));
  if (!file) {
    throw new LoadError("module_not_found", `unknown module "${name}": no ${name}/index.ts or .js in ${[...pluginPaths, BUILTIN_DIR].join(", ")}`);
  }
  const loaded = (await import(pathToFileURL(file).href)) as { default?: unknown };
  // A plugin in plain JavaScript cannot import the product's files from where it lives: it
  // may export a function that core calls with its helpers (core/types.ts) instead.
  const def = typeof loaded.default === "function" && !isModuleDefinition(loaded.default)
    ? await (loaded.default as (core: unknown) => unknown)(await import("./types.js"))
    : loaded.default;
  if (!isModuleDefinition(def)) {
    throw new LoadError("module_invalid", `${file}: the default export is not a module definition (name, setup, dependencies?, options?), nor a function of core's helpers that returns one`);
  }
  if (def.name !== name) {
    throw new LoadError("module_invalid", `${file}: declares name "${def.name}" but was loaded as "${name}"`);
  }
  return def;
}

/**
 * Resolves the enabled modules and their dependencies, in load order.
 * Dependencies that exist but are not listed are loaded too, as Prosody's module:depends does.
 */
export async function resolveModules(enabled: readonly string[], pluginPaths: readonly string[], known: ReadonlyMap<string, ModuleDefinition> = new Map()): Promise<ModuleDefinition[]> {
  const defs = new Map<string, ModuleDefinition>();
  const queue = [...new Set(enabled)];
  const wantedBy = new Map<string, string>();
  while (queue.length) {
    const name = queue.shift()!;
    if (defs.has(name)) continue;
    let def: ModuleDefinition;
    try {
      def = await findModule(name, pluginPaths, known);
    } catch (e) {
      const by = wantedBy.get(name);
      if (by && e instanceof LoadError && e.code === "module_not_found") {
        throw new LoadError("dependency_missing", `module "${by}" depends on "${name}", which cannot be found (${e.message})`);
      }
      throw e;
    }
    defs.set(name, def);
    for (const dep of def.dependencies ?? []) if (!defs.has(dep)) { wantedBy.set(dep, name); queue.push(dep); }
  }
  return orderByDependencies([...defs.values()]);
}

/** Topological order, stable with respect to the input order. */
export function orderByDependencies(defs: readonly ModuleDefinition[]): ModuleDefinition[] {
  const byName = new Map(defs.map((d) => [d.name, d]));
  const out: ModuleDefinition[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (d: ModuleDefinition, path: string[]) => {
    const s = state.get(d.name);
    if (s === "done") return;
    if (s === "visiting") {
      const cycle = [...path.slice(path.indexOf(d.name)), d.name];
      throw new LoadError("dependency_cycle", `modules depend on each other in a cycle: ${cycle.join(" -> ")}`);
    }
    state.set(d.name, "visiting");
    for (const dep of d.dependencies ?? []) {
      const target = byName.get(dep);
      if (!target) throw new LoadError("dependency_missing", `module "${d.name}" depends on "${dep}", which is not loaded`);
      visit(target, [...path, d.name]);
    }
    state.set(d.name, "done");
    out.push(d);
  };
  for (const d of defs) visit(d, []);
  return out;
}
