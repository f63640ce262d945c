#!/usr/bin/env node
// Runs the compiled server (dist/, made by `npm run build`, which `npm ci` runs): no
// TypeScript is transpiled at run time.
import { existsSync } from "node:fs";

const entry = new URL("../dist/cli/server.js", import.meta.url);
if (!existsSync(entry)) {
  process.stderr.write("xmpp-invites: dist/ is missing; run `npm run build` (npm ci does it)\n");
  process.exit(1);
}
const { serve } = await import(entry.href);
process.exitCode = await serve(process.argv.slice(2));
process.exit();
