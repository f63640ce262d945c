// Versioned schema migrations: core's own tables and each enabled module's, applied in one
// run at start-up (and by `invitectl migrate`). kysely's Migrator records each applied
// migration by name in `schema_migrations` and holds a lock while it runs (a PostgreSQL
// advisory lock; SQLite's write lock), so several instances starting at once apply each
// migration exactly once. Names are "<owner>:<name>"; within an owner they apply in the
// order of their names (use 0001_, 0002_ … prefixes). A module enabled later gets its
// tables then: migrations need not sort after those already applied.
import { Migrator, type Migration as KyselyMigration } from "kysely/migration";
import type { Database } from "./db.js";
import { coreErrors, isModuleError } from "./errors.js";
import type { Migration } from "./types.js";
import { coreMigrations } from "./schema.js";

export interface MigrationSet { owner: string; migrations: readonly Migration[] }

export interface MigrationReport { applied: string[]; total: number }

export function checkMigrationSet(set: MigrationSet): void {
  const seen = new Set<string>();
  let last = "";
  for (const m of set.migrations) {
    if (!/^\d{4}_[a-z0-9_]+$/.test(m.name)) throw new Error(`module "${set.owner}": migration name ${JSON.stringify(m.name)} must look like 0001_create_things`);
    if (seen.has(m.name) || m.name <= last) throw new Error(`module "${set.owner}": migrations must have unique names in increasing order (${m.name})`);
    seen.add(m.name);
    last = m.name;
  }
}

export async function migrate(db: Database, sets: readonly MigrationSet[]): Promise<MigrationReport> {
  const all: Record<string, KyselyMigration> = {};
  for (const set of [{ owner: "core", migrations: coreMigrations }, ...sets]) {
    checkMigrationSet(set);
    for (const m of set.migrations) all[`${set.owner}:${m.name}`] = { up: (k) => m.up(k, db.dialect) };
  }
  // A module that is not enabled now may have applied migrations before: kysely refuses a
  // recorded migration it is not given, so those stay known (as done; they never run again).
  for (const name of await appliedNames(db)) all[name] ??= { up: async () => {} };
  const migrator = new Migrator({
    db: db.kysely,
    provider: { getMigrations: async () => all },
    migrationTableName: "schema_migrations",
    migrationLockTableName: "schema_migrations_lock",
    allowUnorderedMigrations: true,
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName;
    const cause = isModuleError(error) && error.cause ? error.cause : error;
    throw coreErrors.store(`Migrating the store ${db.uri} failed${failed ? ` at ${failed}` : ""}: ${(cause as Error).message ?? String(cause)}`, { migration: failed }, { cause });
  }
  return { applied: (results ?? []).filter((r) => r.status === "Success").map((r) => r.migrationName), total: Object.keys(all).length };
}

/** Names already recorded in schema_migrations (none before the first run). */
async function appliedNames(db: Database): Promise<string[]> {
  const tables = await db.kysely.introspection.getTables();
  if (!tables.some((t) => t.name === "schema_migrations")) return [];
  const rows = await (db.kysely as import("kysely").Kysely<{ schema_migrations: { name: string } }>).selectFrom("schema_migrations").select("name").execute();
  return rows.map((r) => r.name);
}
