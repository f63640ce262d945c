// The files the compiled product reads beside its code (the config schema, the stylesheet,
// static scripts such as the claim page's): every file of the compiled folders that is not
// TypeScript or documentation, and config/schema.json, copied into dist/ at the same place.
import { copyFileSync, mkdirSync, readdirSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const copy = (file) => {
  const to = join(root, "dist", relative(root, file));
  mkdirSync(dirname(to), { recursive: true });
  copyFileSync(file, to);
};
for (const top of ["core", "web", "modules", "cli"]) {
  for (const entry of readdirSync(join(root, top), { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && !/\.(ts|md)$/.test(entry.name)) copy(join(entry.parentPath, entry.name));
  }
}
copy(join(root, "config/schema.json"));
