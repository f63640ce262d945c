// One contract for the modules' key/value stores (mod.openStore), run against every store.
import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openStorage, type Storage } from "../../core/store.js";
import { isModuleError } from "../../core/errors.js";
import { STORES, storeName, storeUri } from "../helpers/host.js";

for (const kind of STORES) {
  describe(`store contract on ${storeName(kind)}`, () => {
    let dir: string;
    let storage: Storage;
    beforeEach(async () => { dir = mkdtempSync(join(tmpdir(), "xi-store-")); storage = await openStorage(await storeUri(kind), dir); });
    afterEach(async () => { await storage.close(); rmSync(dir, { recursive: true, force: true }); });

    it("gets what was set, and undefined for a missing key", async () => {
      const s = storage.open<{ a: number }>("m.s");
      await s.set("k", { a: 1 });
      expect(await s.get("k")).to.deep.equal({ a: 1 });
      expect(await s.get("missing")).to.equal(undefined);
      expect(await s.getMany(["k", "missing"])).to.deep.equal([{ a: 1 }, undefined]);
    });

    it("keeps namespaces apart", async () => {
      await storage.open<number>("a.x").set("k", 1);
      await storage.open<number>("b.x").set("k", 2);
      expect(await storage.open<number>("a.x").get("k")).to.equal(1);
      expect(await storage.open<number>("b.x").get("k")).to.equal(2);
    });

    it("deletes, saying whether there was something to delete", async () => {
      const s = storage.open<number>("m.d");
      await s.set("k", 1);
      expect(await s.delete("k")).to.equal(true);
      expect(await s.delete("k")).to.equal(false);
      expect(await s.get("k")).to.equal(undefined);
    });

    it("expires values set with a time to live", async () => {
      const s = storage.open<number>("m.t");
      await s.set("k", 1, 30_000);
      expect(await s.get("k")).to.equal(1);
      // keyv reads the time from Date.now: moved past the TTL here instead of waiting for it.
      const realNow = Date.now;
      Date.now = () => realNow() + 31_000;
      try {
        expect(await s.get("k")).to.equal(undefined);
      } finally {
        Date.now = realNow;
      }
    });

    it("update creates, changes and deletes atomically under concurrency", async () => {
      const s = storage.open<number>("m.u");
      await Promise.all(Array.from({ length: 200 }, () => s.update("n", (n) => (n ?? 0) + 1)));
      expect(await s.get("n")).to.equal(200);
      expect(await s.update("n", () => undefined)).to.equal(undefined);
      expect(await s.get("n")).to.equal(undefined);
    });
  });
}

for (const kind of ["sqlite", "postgres"] as const) describe(`${storeName(kind)} store shared by two processes' worth of connections`, () => {
  it("update is atomic across connections (compare-and-set)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xi-store-"));
    const uri = await storeUri(kind);
    const a = await openStorage(uri, dir);
    const b = await openStorage(uri, dir);
    try {
      const sa = a.open<number>("m.c"), sb = b.open<number>("m.c");
      await Promise.all(Array.from({ length: 100 }, (_, i) => (i % 2 ? sa : sb).update("n", async (n) => {
        await new Promise((r) => setImmediate(r)); // widen the window between read and write
        return (n ?? 0) + 1;
      })));
      expect(await sa.get("n")).to.equal(100);
    } finally {
      await a.close(); await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SQLite group commit", () => {
  it("settles a write only once it is committed: another connection sees it at once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xi-store-"));
    const a = await openStorage("sqlite://shared.sqlite", dir);
    const b = await openStorage("sqlite://shared.sqlite", dir);
    try {
      const sa = a.open<number>("m.g"), sb = b.open<number>("m.g");
      await Promise.all(Array.from({ length: 50 }, async (_, i) => {
        await sa.set(`k${i}`, i);
        expect(await sb.get(`k${i}`)).to.equal(i);
      }));
    } finally {
      await a.close(); await b.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("store failures", () => {
  it("surface as core.store errors, never as a missing key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xi-store-"));
    writeFileSync(join(dir, "broken.sqlite"), "this is not a database, just some bytes ".repeat(100));
    let caught: unknown;
    try {
      const storage = await openStorage("sqlite://broken.sqlite", dir);
      await storage.open<number>("m.x").get("k");
    } catch (e) { caught = e; }
    rmSync(dir, { recursive: true, force: true });
    expect(caught, "a broken database must throw").to.not.equal(undefined);
    expect(isModuleError(caught, "core.store"), String(caught)).to.equal(true);
    expect((caught as Error).message).to.match(/Cannot open the store sqlite:\/\/broken\.sqlite: .*not a database/);
  });
});
