// A real `invitectl` process driven through its standard input and output, one line at a
// time (the greet and claim commands ask their questions line by line when stdin is not a
// terminal): wait for a line, answer a prompt, read the exit code.
import { spawn, type ChildProcess } from "node:child_process";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

export interface CtlProcess {
  readonly child: ChildProcess;
  /** Everything printed so far (stdout). */
  out(): string;
  err(): string;
  /** Waits for a stdout line matching `re` (after those already matched) and returns its match. */
  line(re: RegExp, ms?: number): Promise<RegExpExecArray>;
  answer(text: string): void;
  exit(ms?: number): Promise<number>;
  kill(signal?: NodeJS.Signals): void;
}

/** Without a config path, it runs where no config file is to be found (an invitee's machine). */
export function startCtl(configPath: string | undefined, args: string[]): CtlProcess {
  const { XMPP_INVITES_CONFIG: _ignored, ...env } = process.env;
  const child = spawn(process.execPath, [join(root, "bin/invitectl.js"), ...(configPath === undefined ? [] : ["--config", configPath]), ...args], {
    stdio: ["pipe", "pipe", "pipe"], env, cwd: configPath === undefined ? tmpdir() : root,
  });
  let out = "", err = "";
  let read = 0;
  const waiters = new Set<() => void>();
  child.stdout!.on("data", (b: Buffer) => { out += b.toString(); for (const w of [...waiters]) w(); });
  child.stderr!.on("data", (b: Buffer) => { err += b.toString(); for (const w of [...waiters]) w(); });
  const exited = new Promise<number>((r) => child.once("exit", (code, signal) => { for (const w of [...waiters]) w(); r(code ?? (signal ? 128 : -1)); }));
  return {
    child,
    out: () => out,
    err: () => err,
    line(re, ms = 30_000) {
      return new Promise((resolvePromise, reject) => {
        const check = () => {
          const lines = out.split("\n");
          for (let i = read; i < lines.length - (out.endsWith("\n") ? 1 : 0); i++) {
            const m = re.exec(lines[i]!);
            if (m) { read = i + 1; waiters.delete(check); clearTimeout(timer); resolvePromise(m); return; }
          }
          if (child.exitCode !== null) { waiters.delete(check); clearTimeout(timer); reject(new Error(`invitectl exited (${child.exitCode}) before printing ${re}\nstdout:\n${out}\nstderr:\n${err}`)); }
        };
        const timer = setTimeout(() => { waiters.delete(check); reject(new Error(`no line ${re} within ${ms} ms\nstdout:\n${out}\nstderr:\n${err}`)); }, ms);
        waiters.add(check);
        check();
      });
    },
    answer(text) { child.stdin!.write(`${text}\n`); },
    async exit(ms = 30_000) {
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([exited, new Promise<number>((_, reject) => { timer = setTimeout(() => reject(new Error(`invitectl did not exit within ${ms} ms\nstdout:\n${out}\nstderr:\n${err}`)), ms); })]);
      clearTimeout(timer);
      return code;
    },
    kill(signal = "SIGINT") { child.kill(signal); },
  };
}
