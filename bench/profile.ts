// Summarizes a V8 CPU profile (node --cpu-prof; BENCH_PROFILE=DIR npm run bench invites_api
// writes one of the server under load): self time by package or project folder, and the
// functions that cost the most. What docs/storage.md says costs the time comes from here.
//   npx tsx bench/profile.ts DIR/CPU.*.cpuprofile
import { readFileSync } from "node:fs";

interface Node { id: number; callFrame: { functionName: string; url: string; lineNumber: number }; children?: number[] }
interface Profile { nodes: Node[]; samples: number[]; timeDeltas: number[] }

/** Where a function lives: a package, a folder of this project, node's own code, or V8 itself. */
function owner(url: string, name: string): string {
  if (!url) return name === "(garbage collector)" ? "(garbage collector)" : name.startsWith("(") ? name : "(native)";
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1]!;
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[0]}`;
  const own = /\/(core|modules|web|bench|test)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]!.split("/")[0]}` : url;
}

export function summarize(file: string, top = 20): string[] {
  const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const total = [...self.values()].reduce((a, b) => a + b, 0);
  const idle = [...self].filter(([id]) => byId.get(id)!.callFrame.functionName === "(idle)").reduce((a, [, t]) => a + t, 0);
  const busy = total - idle;
  const groups = new Map<string, number>();
  const fns = new Map<string, number>();
  for (const [id, t] of self) {
    const f = byId.get(id)!.callFrame;
    if (f.functionName === "(idle)") continue;
    const o = owner(f.url, f.functionName);
    groups.set(o, (groups.get(o) ?? 0) + t);
    const key = `${f.functionName || "(anonymous)"} ${o}:${f.lineNumber + 1}`;
    fns.set(key, (fns.get(key) ?? 0) + t);
  }
  const pct = (t: number) => `${((t / busy) * 100).toFixed(1)}%`.padStart(6);
  const out = [`profile ${file}: ${(total / 1e6).toFixed(1)} s sampled, ${((busy / total) * 100).toFixed(0)}% busy; self time of the busy part:`];
  for (const [g, t] of [...groups].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${pct(t)}  ${g}`);
  out.push("functions:");
  for (const [f, t] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, top)) out.push(`  ${pct(t)}  ${f}`);
  return out;
}

if (process.argv[1]?.endsWith("profile.ts") && process.argv[2]) for (const l of summarize(process.argv[2])) process.stdout.write(`${l}\n`);
