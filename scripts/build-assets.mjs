// The files the compiled product reads beside its code: the config schema (core/config.ts)
// and the stylesheet (invites_page), copied into dist/ where the compiled files look for them.
import { copyFileSync, mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
for (const file of ["config/schema.json", "web/style.css"]) {
  mkdirSync(dirname(join(root, "dist", file)), { recursive: true });
  copyFileSync(join(root, file), join(root, "dist", file));
}
