// What the HTTP benchmarks share: servers in child processes (so the load generator does
// not share their event loop), the load generator (Debian's wrk, installed from apt when
// missing and running as root; else autocannon in worker threads), the printed line, and a
// throwaway Prosody with its own invite modules for the side-by-side figures.
import { fork, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "../test/harness/ports.js";

export const CONNECTIONS = 16;
export const SECONDS = Number(process.env["BENCH_SECONDS"] ?? 10);

interface Result { requests: { average: number; total: number }; latency: { p50: number; p99: number }; non2xx: number; errors: number; timeouts: number }
type Autocannon = (opts: { url: string; connections: number; duration: number; headers?: Record<string, string>; workers?: number }) => Promise<Result>;
const autocannon = createRequire(import.meta.url)("autocannon") as Autocannon;

let generator: "wrk" | "autocannon" | undefined;
/** wrk when it is there or can be installed (apt-get, as root), else autocannon in worker threads. */
export function loadGenerator(): "wrk" | "autocannon" {
  if (generator) return generator;
  const has = () => spawnSync("sh", ["-c", "command -v wrk"]).status === 0;
  if (!has() && process.getuid?.() === 0 && !process.env["BENCH_NO_INSTALL"]) {
    process.stdout.write("bench: installing Debian's wrk (apt-get install wrk)\n");
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    if (spawnSync("apt-get", ["install", "-y", "-q", "wrk"], { stdio: "ignore", env }).status !== 0) {
      spawnSync("apt-get", ["update", "-q"], { stdio: "ignore", env });
      spawnSync("apt-get", ["install", "-y", "-q", "wrk"], { stdio: "ignore", env });
    }
  }
  generator = has() ? "wrk" : "autocannon";
  return generator;
}

const ms = (text: string): number => {
  const m = /^([\d.]+)(us|ms|s)$/.exec(text.trim());
  if (!m) return Number.NaN;
  return Number(m[1]) * (m[2] === "us" ? 0.001 : m[2] === "s" ? 1000 : 1);
};

/** One wrk run (2 threads); parses its rate, latency percentiles and failures. */
function wrk(url: string, headers: Record<string, string>, connections: number, seconds: number): Promise<Measured> {
  const args = ["-t", String(Math.min(2, connections)), "-c", String(connections), "-d", `${seconds}s`, "--latency", ...Object.entries(headers).flatMap(([k, v]) => ["-H", `${k}: ${v}`]), url];
  return new Promise((resolve, reject) => {
    const p = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    p.stdout.on("data", (b: Buffer) => { out += b.toString(); });
    p.stderr.on("data", (b: Buffer) => { out += b.toString(); });
    p.once("error", reject);
    p.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`wrk exited with ${code}: ${out}`));
      const num = (re: RegExp) => Number(re.exec(out)?.[1] ?? 0);
      const total = num(/(\d+) requests in/);
      const bad = num(/Non-2xx or 3xx responses: (\d+)/) + [...out.matchAll(/(?:connect|read|write|timeout) (\d+)/g)].reduce((n, m) => n + Number(m[1]), 0);
      resolve({ rate: num(/Requests\/sec:\s+([\d.]+)/), p50: ms(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ""), p99: ms(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ""), ok: total - bad, bad, connections });
    });
  });
}

export interface Measured { rate: number; p50: number; p99: number; ok: number; bad: number; connections?: number }
export type Child<R> = R & { proc: ChildProcess };

/** Forks `script --serve ...args` under tsx and waits for its first message (what it serves). */
export function startChild<R>(script: string, args: string[], execArgv: string[] = []): Promise<Child<R>> {
  const proc = fork(script, ["--serve", ...args], { execArgv: ["--import", "tsx", ...execArgv], stdio: ["ignore", "inherit", "inherit", "ipc"] });
  return new Promise((resolve, reject) => {
    proc.once("message", (m) => resolve({ proc, ...(m as R) }));
    proc.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
  });
}

export function stopChild(c: { proc: ChildProcess }): Promise<void> {
  return new Promise((resolve) => { c.proc.once("exit", () => resolve()); c.proc.disconnect(); setTimeout(() => c.proc.kill(), 5000).unref(); });
}

/** One warm-up second, then SECONDS of load at `connections` (default CONNECTIONS). */
export async function load(url: string, headers: Record<string, string> = {}, connections = CONNECTIONS): Promise<Measured> {
  if (loadGenerator() === "wrk") {
    await wrk(url, headers, connections, 1);
    return wrk(url, headers, connections, SECONDS);
  }
  await autocannon({ url, connections, duration: 1, headers, workers: 2 });
  const r = await autocannon({ url, connections, duration: SECONDS, headers, workers: 2 });
  return { rate: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, ok: r.requests.total - r.non2xx, bad: r.non2xx + r.errors + r.timeouts, connections };
}

/** Several URLs loaded at the same time (connections split between them): rates add up, the worst p99 counts. */
export async function loadTogether(urls: string[], headers: Record<string, string>): Promise<Measured> {
  const each = await Promise.all(urls.map((u) => load(u, headers, Math.max(1, Math.round(CONNECTIONS / urls.length)))));
  return {
    rate: each.reduce((n, m) => n + m.rate, 0), p50: Math.max(...each.map((m) => m.p50)), p99: Math.max(...each.map((m) => m.p99)),
    ok: each.reduce((n, m) => n + m.ok, 0), bad: each.reduce((n, m) => n + m.bad, 0), connections: each.reduce((n, m) => n + (m.connections ?? 0), 0),
  };
}

export const line = (label: string, m: Measured) =>
  `${label}: ${m.rate.toFixed(0)} req/s, p50 ${m.p50.toFixed(2)} ms, p99 ${m.p99.toFixed(2)} ms (${m.ok} ok, ${m.bad} not 2xx or failed; ${m.connections ?? CONNECTIONS} connections, ${SECONDS} s, ${loadGenerator()})`;

/** "met", or by how much it is not. */
export function aim(label: string, value: number, target: number, unit: string, atLeast: boolean): string {
  const met = atLeast ? value >= target : value <= target;
  const fmt = (v: number) => `${unit === "%" ? (v * 100).toFixed(0) : v.toFixed(unit === "ms" ? 2 : 0)}${unit === "%" ? "%" : ` ${unit}`}`;
  return `  aim ${label} ${atLeast ? "at least" : "at most"} ${fmt(target)}: ${fmt(value)}, ${met ? "met" : `NOT met by ${fmt(Math.abs(value - target))}`}`;
}

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
