#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, from any working directory.
import { register } from "tsx/esm/api";

// `invitectl … | head -1`: the reader went away, nobody is left to read the rest. End quietly
// (as other command-line tools do) instead of dying on an unhandled EPIPE with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

register();
const { main } = await import("../cli/invitectl.ts");
const code = await main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});
process.exitCode = code;
