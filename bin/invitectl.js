#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, from any working directory.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../cli/invitectl.ts");
const code = await main(process.argv.slice(2), {
  stdout: (t) => process.stdout.write(t),
  stderr: (t) => process.stderr.write(t),
});
process.exitCode = code;
