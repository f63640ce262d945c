// The API keys table (applied by core at start-up) and the import of release 0.1's keyv
// rows (`invites_api.key`, `key_index`, `key_used`).
import { sql, type Kysely, type Migration } from "../../core/types.js";
import type { Method } from "./keys.js";
import type { Scope } from "./scope.js";

export interface ApiKeyRow {
  id: string;
  host: string;
  name: string | null;
  /** Hex SHA-256 of the secret. */
  secret_hash: string;
  created_at: number;
  expires_at: number | null;
  /** JSON: Method[] and Scope. */
  methods: string;
  scope: string;
  last_used_at: number | null;
  /** The user the key acts for (scope.inviter), so that deactivating them finds their keys. */
  inviter: string | null;
}

export interface ApiTables { api_keys: ApiKeyRow }

interface KeyvTable { keyv: { key: string; value: string | null } }
interface LegacyKey { id: string; host: string; name: string | null; secretHash: string; createdAt: number; expiresAt: number | null; methods: Method[]; scope: Scope }

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration sees the database as it is, not as the module types it today
async function importKeyvLayout(anyDb: Kysely<any>): Promise<void> {
  const db = anyDb as Kysely<ApiTables & KeyvTable>;
  if (!(await db.introspection.getTables()).some((t) => t.name === "keyv")) return;
  const value = <T>(raw: string | null): T | undefined => (JSON.parse(raw ?? "null") as { value?: T } | null)?.value;
  const keys = await db.selectFrom("keyv").select(["key", "value"]).where("key", ">", "keyv:invites_api.key:").where("key", "<", "keyv:invites_api.key;").execute();
  for (const row of keys) {
    const k = value<LegacyKey>(row.value);
    if (!k) continue;
    const used = await db.selectFrom("keyv").select("value").where("key", "=", `keyv:invites_api.key_used:${k.id}`).executeTakeFirst();
    await db.insertInto("api_keys").values({
      id: k.id, host: k.host, name: k.name, secret_hash: k.secretHash, created_at: k.createdAt, expires_at: k.expiresAt,
      methods: JSON.stringify(k.methods), scope: JSON.stringify(k.scope), last_used_at: used ? value<number>(used.value) ?? null : null,
    }).onConflict((oc) => oc.column("id").doNothing()).execute();
  }
  for (const ns of ["key", "key_index", "key_used"]) {
    await db.deleteFrom("keyv").where("key", ">=", `keyv:invites_api.${ns}:`).where("key", "<", `keyv:invites_api.${ns};`).execute();
  }
}

export const migrations: Migration[] = [
  {
    name: "0001_create_api_keys",
    async up(db) {
      await db.schema.createTable("api_keys")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("host", "text", (c) => c.notNull())
        .addColumn("name", "text")
        .addColumn("secret_hash", "text", (c) => c.notNull())
        .addColumn("created_at", "bigint", (c) => c.notNull())
        .addColumn("expires_at", "bigint")
        .addColumn("methods", "text", (c) => c.notNull())
        .addColumn("scope", "text", (c) => c.notNull())
        .addColumn("last_used_at", "bigint")
        .execute();
      await db.schema.createIndex("api_keys_host").on("api_keys").columns(["host", "created_at"]).execute();
    },
  },
  { name: "0002_import_keyv_layout", up: (db) => importKeyvLayout(db) },
  {
    name: "0003_key_inviter",
    async up(anyDb) {
      const db = anyDb as Kysely<ApiTables>;
      await db.schema.alterTable("api_keys").addColumn("inviter", "text").execute();
      await db.schema.createIndex("api_keys_inviter").on("api_keys").column("inviter").where(sql.ref("inviter"), "is not", null).execute();
      // Keys made before: their inviter is in the scope JSON.
      for (const row of await db.selectFrom("api_keys").select(["id", "scope"]).execute()) {
        const inviter = (JSON.parse(row.scope) as Scope).inviter ?? null;
        if (inviter) await db.updateTable("api_keys").set({ inviter }).where("id", "=", row.id).execute();
      }
    },
  },
];
