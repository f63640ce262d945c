import js from "@eslint/js";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // legacy-0.1/make.ts runs only on release 0.1 (it made the migration test's fixture).
  { ignores: ["node_modules/**", "docs/**", "coverage/**", "tmp/**", ".demo/**", "test/fixtures/legacy-0.1/make.ts"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { process: "readonly", console: "readonly", setTimeout: "readonly", clearTimeout: "readonly", URL: "readonly", Buffer: "readonly" } },
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
      "@typescript-eslint/no-explicit-any": "error",
      "no-restricted-imports": ["error", { paths: [] }],
    },
  },
  {
    files: ["**/*.cjs"],
    languageOptions: { sourceType: "commonjs", globals: { require: "readonly", module: "writable", process: "readonly" } },
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
  {
    // Only core/ may know about sockets, express, databases and the XMPP library; a module
    // reaches core through core/types.ts and a sibling module through its index.ts or types.ts.
    files: ["modules/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["express", "keyv", "@keyv/*", "@xmpp/component", "@xmpp/client", "net", "node:net", "sqlite3", "better-sqlite3", "pg", "kysely"], message: "Modules use core/ for HTTP, storage and the XMPP link." },
          { regex: "^(\\.\\./)+core/(?!types\\.js$)", message: "A module imports core only through core/types.ts." },
          { regex: "^\\.\\./(?!\\.\\./)[^/]+/(?!(index|types)\\.js$)", message: "A module imports another module only through its index.ts or types.ts (its public API)." },
          { regex: "^(\\.\\./)+(cli|test|bench|scripts)/", message: "Modules do not depend on the executables, tests or tools." },
        ],
      }],
    },
  },
  {
    // web/ is a page library for modules: it knows core's types only, and no module.
    files: ["web/**/*.ts"],
    rules: {
      "no-restricted-imports": ["error", {
        patterns: [
          { group: ["express", "keyv", "@keyv/*", "@xmpp/*", "net", "node:net", "better-sqlite3", "pg", "kysely"], message: "web/ renders pages; core/ owns HTTP, storage and XMPP." },
          { regex: "^(\\.\\./)+core/(?!types\\.js$)", message: "web/ imports core only through core/types.ts." },
          { regex: "^(\\.\\./)+modules/", message: "web/ is a library for modules, not one of them." },
        ],
      }],
    },
  },
);
