// Short codes (30 to 40 bits) must not be recoverable from the database: the store keeps an
// HMAC keyed by the host's secret, which lives outside it (secret_key, or data_dir/secret.key).
import { expect } from "chai";
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { InvitesApi } from "../../modules/invites/types.js";
import { startTestHost } from "../helpers/host.js";

describe("short codes and the host secret", () => {
  it("stores only a keyed hash of a short code, with the key in a 0600 file outside the database", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xi-secret-"));
    const t = await startTestHost({ enabled: ["invites", "invites_page"], store: "sqlite", dataDir: dir });
    const code = (await t.api<InvitesApi>("invites").createAccount({ host: "localhost", source: "test", shortCode: true })).invite.shortCode!;
    expect((await t.api<InvitesApi>("invites").resolveShortCode(code)).ok).to.equal(true);
    expect(statSync(join(dir, "secret.key")).mode & 0o777).to.equal(0o600);
    await t.stop();
    const db = new Database(join(dir, "invites.sqlite"), { readonly: true });
    const stored = (db.prepare("SELECT code_hash FROM invite_codes").all() as { code_hash: string }[]).map((r) => r.code_hash);
    db.close();
    expect(stored).to.have.length(1);
    // Not the plain SHA-256 an attacker could compute for all 32^8 codes.
    expect(stored[0]).to.not.equal(createHash("sha256").update(code).digest("hex"));
    expect(readFileSync(join(dir, "invites.sqlite")).includes(Buffer.from(code))).to.equal(false);
    rmSync(dir, { recursive: true, force: true });
  });

  it("resolves a code only with the same host secret: the database alone opens nothing", async () => {
    const first = mkdtempSync(join(tmpdir(), "xi-secret-"));
    const a = await startTestHost({ enabled: ["invites", "invites_page"], store: "sqlite", dataDir: first, config: { secret_key: "k".repeat(40) } });
    const code = (await a.api<InvitesApi>("invites").createAccount({ host: "localhost", source: "test", shortCode: true })).invite.shortCode!;
    await a.stop();
    // The same database under another secret (a copy of the file, say).
    const other = mkdtempSync(join(tmpdir(), "xi-secret-"));
    copyFileSync(join(first, "invites.sqlite"), join(other, "invites.sqlite"));
    const b = await startTestHost({ enabled: ["invites", "invites_page"], store: "sqlite", dataDir: other, config: { secret_key: "x".repeat(40) } });
    try {
      expect((await b.api<InvitesApi>("invites").resolveShortCode(code)).ok).to.equal(false);
    } finally {
      await b.stop();
    }
    const same = await startTestHost({ enabled: ["invites", "invites_page"], store: "sqlite", dataDir: other, config: { secret_key: "k".repeat(40) } });
    try {
      expect((await same.api<InvitesApi>("invites").resolveShortCode(code)).ok).to.equal(true);
    } finally {
      await same.stop();
      rmSync(first, { recursive: true, force: true });
      rmSync(other, { recursive: true, force: true });
    }
  });
});
