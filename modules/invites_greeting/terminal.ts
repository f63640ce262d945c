// Prompts and spinners for greet and claim. In a terminal they come from @clack/prompts
// (a spinner per sync point that ends as "✔ <step>", as Parsec's CLI shows it); when
// standard input is not a terminal (a script, a test), the same questions are asked one line
// at a time, so the commands can be driven through a pipe.
import { createInterface } from "node:readline";
import * as clack from "@clack/prompts";

export class Cancelled extends Error {
  constructor() { super("Cancelled"); }
}

export interface Ui {
  /** Runs a sync point: a spinner, then "✔ label". */
  step<T>(label: string, work: () => Promise<T>): Promise<T>;
  line(text: string): void;
  select(message: string, options: string[]): Promise<string>;
  multiselect(message: string, options: string[]): Promise<string[]>;
  text(message: string, opts?: { initial?: string; required?: boolean }): Promise<string>;
  password(message: string): Promise<string>;
  confirm(message: string): Promise<boolean>;
  close(): void;
}

export function terminalUi(signal: AbortSignal): Ui {
  return process.stdin.isTTY && process.stdout.isTTY ? clackUi(signal) : lineUi(signal);
}

const out = (t: string) => { process.stdout.write(t); };

function clackUi(signal: AbortSignal): Ui {
  const common = { withGuide: false, signal };
  const check = <T,>(v: T | symbol): Exclude<T, symbol> => { if (clack.isCancel(v) || signal.aborted) throw new Cancelled(); return v as Exclude<T, symbol>; };
  return {
    async step(label, work) {
      const s = clack.spinner({ withGuide: false, signal });
      s.start(label);
      try {
        const r = await work();
        s.clear();
        out(`✔ ${label}\n`);
        return r;
      } catch (e) {
        s.clear();
        out(`✖ ${label}\n`);
        throw e;
      }
    },
    line: (t) => out(`${t}\n`),
    select: async (message, options) => check(await clack.select({ ...common, message, options: options.map((o) => ({ value: o, label: o })) })),
    multiselect: async (message, options) => check(await clack.multiselect({ ...common, message, options: options.map((o) => ({ value: o, label: o })), required: false })),
    text: async (message, opts = {}) => check(await clack.text({
      ...common, message, ...(opts.initial === undefined ? {} : { initialValue: opts.initial }),
      validate: (v) => (opts.required !== false && !v?.trim() ? "Required" : undefined),
    })),
    password: async (message) => check(await clack.password({ ...common, message, validate: (v) => (!v ? "Required" : undefined) })),
    confirm: async (message) => check(await clack.confirm({ ...common, message })),
    close: () => undefined,
  };
}

function lineUi(signal: AbortSignal): Ui {
  const rl = createInterface({ input: process.stdin, terminal: false });
  const lines: string[] = [];
  const waiting: ((l: string | undefined) => void)[] = [];
  let ended = false;
  rl.on("line", (l) => { const w = waiting.shift(); if (w) w(l); else lines.push(l); });
  rl.on("close", () => { ended = true; for (const w of waiting.splice(0)) w(undefined); });
  signal.addEventListener("abort", () => { for (const w of waiting.splice(0)) w(undefined); });
  const next = async (prompt: string): Promise<string> => {
    out(`${prompt}\n`);
    const l = lines.shift() ?? (ended ? undefined : await new Promise<string | undefined>((r) => waiting.push(r)));
    if (l === undefined || signal.aborted) throw new Cancelled();
    return l.trim();
  };
  return {
    async step(label, work) {
      try {
        const r = await work();
        out(`✔ ${label}\n`);
        return r;
      } catch (e) {
        out(`✖ ${label}\n`);
        throw e;
      }
    },
    line: (t) => out(`${t}\n`),
    async select(message, options) {
      for (;;) {
        const a = (await next(`${message} (${options.join(" / ")})`)).toUpperCase();
        const n = Number(a);
        const hit = options.find((o) => o.toUpperCase() === a) ?? (Number.isInteger(n) && n >= 1 && n <= options.length ? options[n - 1] : undefined);
        if (hit !== undefined) return hit;
        out(`Choose one of ${options.join(", ")}\n`);
      }
    },
    async multiselect(message, options) {
      for (;;) {
        const a = await next(`${message} (comma-separated, among ${options.join(", ")}; empty for none)`);
        const picked = a.split(",").map((x) => x.trim()).filter(Boolean);
        if (picked.every((p) => options.includes(p))) return [...new Set(picked)];
        out(`Choose among ${options.join(", ")}\n`);
      }
    },
    async text(message, opts = {}) {
      for (;;) {
        const a = await next(opts.initial === undefined ? message : `${message} [${opts.initial}]`);
        const v = a === "" ? opts.initial ?? "" : a;
        if (v !== "" || opts.required === false) return v;
      }
    },
    password: (message) => next(message),
    async confirm(message) {
      const a = (await next(`${message} (y/n)`)).toLowerCase();
      return a === "y" || a === "yes";
    },
    close: () => rl.close(),
  };
}
