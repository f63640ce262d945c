// `invitectl migrate` on a store of release 0.1: applies every pending migration once and
// says which; a second run finds nothing to do.
import { expect } from "chai";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { stringify } from "yaml";
import { main } from "../../cli/invitectl.js";

const fixture = join(dirname(fileURLToPath(import.meta.url)), "../fixtures/legacy-0.1/legacy-0.1.sqlite");

describe("invitectl migrate", () => {
  it("migrates release 0.1's store, saying what it applied, then finds it up to date", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xi-migrate-"));
    try {
      copyFileSync(fixture, join(dir, "invites.sqlite"));
      const config = join(dir, "config.yml");
      writeFileSync(config, stringify({
        hosts: ["example.org", "other.example"], component: { jid: "invites.example.org", secret: "s" },
        data_dir: dir, store: "sqlite://invites.sqlite", modules_enabled: ["invites", "invites_api"], short_code_ttl: "1 week",
      }));
      const run = async (...argv: string[]) => {
        let out = "", err = "";
        const code = await main(["--config", config, ...argv], { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
        return { code, out, err };
      };
      const first = await run("migrate");
      expect(first.code, first.err).to.equal(0);
      expect(first.out).to.match(/^store sqlite:\/\/\S+invites\.sqlite: applied \d+ migration\(s\): .*invites:0002_import_keyv_layout/);
      const second = await run("migrate");
      expect(second.out).to.match(/schema up to date \(\d+ migrations\)/);
      const list = await run("invite", "list", "example.org", "--json");
      expect((JSON.parse(list.out) as { invites: unknown[] }).invites).to.have.length(17);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
