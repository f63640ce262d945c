#!/usr/bin/env node
// Runs the compiled ctl (dist/, made by `npm run build`, which `npm ci` runs): no
// TypeScript is transpiled at run time.
import { existsSync } from "node:fs";

// `invitectl … | head -1`: the reader went away, nobody is left to read the rest. End quietly
// (as other command-line tools do) instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

const entry = new URL("../dist/cli/invitectl.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("invitectl: dist/ is missing; run `npm run build` (npm ci does it)\n");
  process.exit(1);
}
const { main } = await import(entry.href);
const code = await main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});
process.exitCode = code;
