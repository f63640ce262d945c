// `npm run bench`: every benchmark in one process tree, each printing its rates and its
// ratios against baselines run alongside it (a bare express route; Prosody's own modules
// when prosody is installed). Nothing here is a test: figures are printed, not asserted.
import { cpus, loadavg, totalmem } from "node:os";

type Bench = (report: (line: string) => void) => Promise<void>;

const suites: { name: string; file: string; fn: string }[] = [
  { name: "invites (store)", file: "./invites.js", fn: "benchInvites" },
  { name: "invites_api (HTTP)", file: "./invites-api.js", fn: "benchInvitesApi" },
  { name: "pages and registration", file: "./pages.js", fn: "benchPages" },
];

const only = process.argv.slice(2);
const report = (line: string) => process.stdout.write(`${line}\n`);
// The cores may be shared: the load average says how much else ran (figures are comparable only side by side).
const load = () => loadavg().map((l) => l.toFixed(1)).join(" ");
report(`machine: ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, node ${process.version}; load average ${load()} at the start`);
let failed = false;
for (const s of suites) {
  if (only.length && !only.some((o) => s.name.includes(o))) continue;
  report(`\n== ${s.name}`);
  try {
    const mod = (await import(s.file)) as Record<string, Bench>;
    await mod[s.fn]!(report);
  } catch (e) {
    failed = true;
    report(`FAILED: ${(e as Error).stack ?? String(e)}`);
  }
}
report(`\nload average ${load()} at the end`);
process.exitCode = failed ? 1 : 0;
