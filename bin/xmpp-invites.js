#!/usr/bin/env node
// Runs the TypeScript sources directly through tsx, from any working directory.
import { register } from "tsx/esm/api";

register();
const { serve } = await import("../cli/server.ts");
process.exitCode = await serve(process.argv.slice(2));
process.exit();
