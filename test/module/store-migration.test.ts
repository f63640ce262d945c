// The store of release 0.1 (every invite, token, code, index page and API key a keyv row)
// migrated at start-up without loss: test/fixtures/legacy-0.1/ holds a file made by that
// release's own code (make.ts) and what that code answered about each invite and key. On
// PostgreSQL the same rows are put in a keyv table first, as @keyv/postgres kept them.
import { expect } from "chai";
import { copyFileSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import pg from "pg";
import type { Kysely } from "kysely";
import { startTestHost, storeUri, type TestHost } from "../helpers/host.js";
import { hashToken } from "../../modules/invites/tokens.js";
import { secretMatches, type ApiKey, type KeyStore } from "../../modules/invites_api/keys.js";
import type { InviteTables } from "../../modules/invites/schema.js";
import type { Invite, InvitesApi } from "../../modules/invites/types.js";
import hello from "../fixtures/modules/hello/index.js";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/legacy-0.1");
interface Expected {
  madeAt: number;
  invites: { label: string; token: string; shortCode: string | null; status: string; invite: Invite }[];
  keys: { presented: string; key: ApiKey; lastUsedAt: number | null }[];
  keyv: Record<string, Record<string, unknown>>;
}
const expected = JSON.parse(readFileSync(join(fixtures, "expected.json"), "utf8")) as Expected;
const MODULES = ["invites", "invites_api", "invites_page", "invites_register", "invites_adhoc", "hello"];

async function start(dataDir: string, store: string): Promise<TestHost> {
  return startTestHost({ modules: [hello], enabled: MODULES, hosts: ["example.org", "other.example"], store, dataDir, options: { short_code_ttl: "1 week" } });
}

/** The fixture's keyv rows in a fresh PostgreSQL database's keyv table (as @keyv/postgres kept them). */
async function postgresCopy(): Promise<string> {
  const uri = await storeUri("postgres");
  const rows = new Database(join(fixtures, "legacy-0.1.sqlite"), { readonly: true }).prepare("SELECT key, value FROM keyv").all() as { key: string; value: string }[];
  const c = new pg.Client({ connectionString: uri });
  await c.connect();
  try {
    await c.query("CREATE TABLE keyv (key VARCHAR(255) PRIMARY KEY, value TEXT)");
    for (const r of rows) await c.query("INSERT INTO keyv (key, value) VALUES ($1, $2)", [r.key, r.value]);
  } finally { await c.end(); }
  return uri;
}

for (const kind of ["sqlite", "postgres"] as const) describe(`store migration: release 0.1's keyv layout on ${kind === "sqlite" ? "SQLite" : "PostgreSQL"}`, () => {
  let dir: string;
  let t: TestHost;
  before(async function () {
    this.timeout(60_000);
    dir = mkdtempSync(join(tmpdir(), "xi-migration-"));
    let store = "sqlite://invites.sqlite";
    if (kind === "sqlite") copyFileSync(join(fixtures, "legacy-0.1.sqlite"), join(dir, "invites.sqlite"));
    else store = await postgresCopy();
    t = await start(dir, store);
  });
  after(async () => { await t?.stop(); rmSync(dir, { recursive: true, force: true }); });

  it("applies every migration once, at start-up", () => {
    expect(t.host.storage.migrations.applied).to.include.members(["core:0001_keyv", "invites:0001_create_invites", "invites:0002_import_keyv_layout", "invites_api:0001_create_api_keys", "invites_api:0002_import_keyv_layout"]);
  });

  it(`keeps all ${expected.invites.length} invites, field by field, found by id and by token`, async () => {
    const api = t.api<InvitesApi>("invites");
    for (const e of expected.invites) {
      const now = await api.getById(e.invite.id);
      expect(now, e.label).to.deep.equal(e.invite);
      expect((await api.get(e.token))?.id, e.label).to.equal(e.invite.id);
      expect(api.status(now!, expected.madeAt), e.label).to.equal(e.status);
      // Every reservation holds its use now, including the one release 0.1 had let go.
      expect(now!.usesPending, e.label).to.equal(Object.keys(now!.reservations).length);
    }
  });

  it("keeps the short codes (hashes only) leading to their invites, with their expiry", async () => {
    const db = t.host.storage.database.kysely as Kysely<InviteTables>;
    const withCode = expected.invites.filter((e) => e.shortCode);
    expect(withCode.length).to.be.greaterThan(0);
    for (const e of withCode) {
      const row = await db.selectFrom("invite_codes").selectAll().where("code_hash", "=", hashToken(e.shortCode!)).executeTakeFirst();
      expect(row, e.label).to.deep.equal({ code_hash: hashToken(e.shortCode!), invite_id: e.invite.id, expires_at: e.invite.shortCodeExpiresAt });
    }
  });

  it("keeps the listing order (newest first) and the open reservations for crash recovery", async () => {
    const api = t.api<InvitesApi>("invites");
    const listed = (await api.list({ host: "example.org", limit: 500 })).invites.map((i) => i.id);
    const made = expected.invites.filter((e) => e.invite.host === "example.org").sort((a, b) => b.invite.createdAt - a.invite.createdAt).map((e) => e.invite.id);
    expect(new Set(listed)).to.deep.equal(new Set(made));
    const out = await t.runCtl(["invite", "reservations", "example.org", "--json"]);
    const open = JSON.parse(out.stdout) as { jid: string; owner: string | null }[];
    expect(open.map((r) => r.jid).sort()).to.deep.equal(["abram@example.org", "gregory@example.org", "sampson@example.org"]);
    expect(open.every((r) => r.owner === null), "no live instance owns them: recovery settles them").to.equal(true);
  });

  it("keeps the API keys: the presented secrets still match, with their scope and last use", async () => {
    const keys = t.api<{ keys: KeyStore }>("invites_api").keys;
    for (const e of expected.keys) {
      const [id, secret] = e.presented.split("/") as [string, string];
      const key = await keys.get(id);
      expect(key).to.deep.equal(e.key);
      expect(secretMatches(key, secret)).to.equal(true);
      expect((await keys.list(e.key.host)).find((r) => r.key.id === id)?.lastUsedAt).to.equal(e.lastUsedAt);
    }
  });

  it("keeps the other modules' own keyv values, and no row of the old invite layout", async () => {
    for (const [ns, values] of Object.entries(expected.keyv)) {
      for (const [key, value] of Object.entries(values)) expect(await t.host.storage.open(ns).get(key), `${ns} ${key}`).to.deep.equal(value);
    }
    const db = t.host.storage.database.kysely as Kysely<{ keyv: { key: string } }>;
    const left = await db.selectFrom("keyv").select("key").where((eb) => eb.or([eb("key", "like", "keyv:invites.%"), eb("key", "like", "keyv:invites_api.%")])).execute();
    expect(left).to.deep.equal([]);
  });

  it("applies nothing at the next start", async () => {
    await t.stop();
    t = await start(dir, t.host.config.store);
    expect(t.host.storage.migrations.applied).to.deep.equal([]);
    expect(await t.api<InvitesApi>("invites").getById(expected.invites[0]!.invite.id)).to.deep.equal(expected.invites[0]!.invite);
  });
});
