#!/usr/bin/env node
// `npm run demo`, through tsx so the TypeScript sources run as they are.
import { register } from "tsx/esm/api";

register();
await import("../scripts/demo.ts");
