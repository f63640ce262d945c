// What the HTTP benchmarks share: servers in child processes (so the load generator does
// not share their event loop), autocannon runs, the printed line, and a throwaway Prosody
// with its own invite modules for the side-by-side figures.
import { fork, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../test/harness/ports.js";

export const CONNECTIONS = 16;
export const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 10);

interface Result { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; timeouts: number }
type Autocannon = (opts: { url: string; connections: number; duration: number; headers?: Record<string, string> }) => Promise<Result>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

export interface Measured { rate: number; p50: number; p99: number; ok: number; bad: number }
export type Child<R> = R & { proc: ChildProcess };

/** Forks `script --serve ...args` under tsx and waits for its first message (what it serves). */
export function startChild<R>(script: string, args: string[]): Promise<Child<R>> {
  const proc = fork(script, ["--serve", ...args], { execArgv: ["--import", "tsx"], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    proc.once("message", (m) => resolve({ proc, ...(m as R) }));
    proc.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

export function stopChild(c: { proc: ChildProcess }): Promise<void> {
  return new Promise((resolve) => { c.proc.once("exit", () => resolve()); c.proc.disconnect(); setTimeout(() => c.proc.kill(), 5000).unref(); });
}

/** One warm-up second, then SECONDS of load at CONNECTIONS. */
export async function load(url: string, headers: Record<string, string> = {}): Promise<Measured> {
  await autocannon({ url, connections: CONNECTIONS, duration: 1, headers });
  const r = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, headers });
  return { rate: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, ok: r.requests.total - r.non2xx, bad: r.non2xx + r.errors + r.timeouts };
}

export const line = (label: string, m: Measured) =>
  `${label}: ${m.rate.toFixed(0)} req/s, p50 ${m.p50} ms, p99 ${m.p99} ms (${m.ok} ok, ${m.bad} not 2xx or failed; ${CONNECTIONS} connections, ${SECONDS} s)`;

export const ratio = (a: Measured, b: Measured) => `${((a.rate / b.rate) * 100).toFixed(0)}%`;

export const haveProsody = () => spawnSync("which", ["prosody"]).status === 0;

/**
 * Writes a config for a throwaway Prosody (no component) with the given modules on loopback
 * ports, in a fresh folder that prosodyctl (which drops to user prosody) can write.
 */
export async function prosodyBenchConfig(prefix: string, modules: string[], extra: string[] = []): Promise<{ dir: string; cfg: string; http: number }> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const [c2s, http] = [await freePort(), await freePort()];
  const cfg = join(dir, "prosody.cfg.lua");
  writeFileSync(cfg, [
    `pidfile = "${dir}/prosody.pid"`, `data_path = "${dir}"`, "daemonize = false",
    `log = { warn = "${dir}/prosody.log" }`, `interfaces = { "127.0.0.1" }`,
    `c2s_ports = { ${c2s} }; s2s_ports = { }; component_ports = { }`, `http_ports = { ${http} }; http_interfaces = { "127.0.0.1" }; https_ports = { }`,
    `plugin_paths = { "/usr/lib/prosody/modules" }`, `modules_enabled = { ${modules.map((m) => `"${m}"`).join("; ")} }`,
    ...extra.map((l) => l.replaceAll("{dir}", dir).replaceAll("{http}", String(http))),
    `VirtualHost "localhost"`,
  ].join("\n"));
  if (process.getuid?.() === 0) spawnSync("chown", ["-R", "prosody:prosody", dir]);
  else chownSync(dir, process.getuid!(), process.getgid!());
  return { dir, cfg, http };
}
