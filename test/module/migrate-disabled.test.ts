// A module with tables can be disabled later: the store still opens, although its applied
// migrations are no longer among those the host knows (and they never run again).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { defineModule } from "../../core/types.js";
import { startTestHost } from "../helpers/host.js";

let ran = 0;
const tables = defineModule({
  name: "with_tables",
  migrations: [{ name: "0001_create_things", async up(db) { ran++; await db.schema.createTable("things").addColumn("id", "text", (c) => c.primaryKey()).execute(); } }],
  setup() { return {}; },
});

describe("migrations of a module that is no longer enabled", () => {
  it("opens the store without the module, and does not run its migration again once it is back", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xi-migrate-"));
    try {
      const first = await startTestHost({ dataDir: dir, store: "sqlite", modules: [tables], enabled: ["invites", "with_tables"] });
      await first.stop();
      const without = await startTestHost({ dataDir: dir, store: "sqlite", enabled: ["invites"] });
      await without.stop();
      const again = await startTestHost({ dataDir: dir, store: "sqlite", modules: [tables], enabled: ["invites", "with_tables"] });
      await again.stop();
      expect(ran).to.equal(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
