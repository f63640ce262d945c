import { expect } from "chai";
import { IndexPages, PAGE_SIZE, type IndexHead, type Page } from "../../modules/invites/pages.js";
import { InviteRepo, type Stores } from "../../modules/invites/repo.js";
import { listInvites, MAX_PAGES_PER_LIST } from "../../modules/invites/list.js";
import type { Store } from "../../core/types.js";
import type { Invite } from "../../modules/invites/types.js";

/** A Map-backed Store with the same per-key serialization of update() as core's. */
function fakeStore<T>(): Store<T> & { map: Map<string, T>; reads: number } {
  const map = new Map<string, T>();
  const tails = new Map<string, Promise<unknown>>();
  const copy = (v: T | undefined) => (v === undefined ? undefined : (structuredClone(v) as T));
  const store = {
    map, reads: 0,
    async get(key: string) { store.reads++; return copy(map.get(key)); },
    async getMany(keys: string[]) { store.reads += keys.length; return keys.map((k) => copy(map.get(k))); },
    async set(key: string, value: T) { map.set(key, copy(value)!); },
    async delete(key: string) { return map.delete(key); },
    update(key: string, fn: (cur: T | undefined) => T | undefined | Promise<T | undefined>) {
      const run = (tails.get(key) ?? Promise.resolve()).then(async () => {
        const next = await fn(copy(map.get(key)));
        if (next === undefined) map.delete(key); else map.set(key, copy(next)!);
        return next;
      });
      tails.set(key, run.catch(() => {}));
      return run;
    },
  };
  return store;
}

function stores(): Stores & { records: ReturnType<typeof fakeStore<Invite>> } {
  return { records: fakeStore(), tokens: fakeStore(), codes: fakeStore(), pages: fakeStore<Page>(), heads: fakeStore<IndexHead>() } as never;
}

const rec = (id: string, host = "a.example", over: Partial<Invite> = {}): Invite => ({
  id, tokenHash: `h-${id}`, type: "account", host, username: null, email: null, inviter: null, source: "test", roles: [], groups: [],
  note: null, usesAllowed: 1, usesPending: 0, usesCompleted: 0, reservations: {}, createdAt: 0, notBefore: null,
  expiresAt: 10_000, revokedAt: null, usedAt: null, shortCode: null, shortCodeHash: null, shortCodeExpiresAt: null, extra: {}, ...over,
});

describe("invites: index pages", () => {
  it("hands out consecutive slots to concurrent appends, each written once", async () => {
    const s = stores();
    const pages = new IndexPages(s.pages, s.heads);
    const slots = await Promise.all(Array.from({ length: 600 }, (_, i) => pages.append("all", `id${i}`)));
    expect([...slots].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 600 }, (_, i) => i));
    const p0 = await pages.readPage("all", 0);
    const p2 = await pages.readPage("all", 2);
    expect(p0).to.have.length(PAGE_SIZE);
    expect(p2).to.have.length(600 - 2 * PAGE_SIZE);
    expect(new Set([...(p0 ?? []), ...((await pages.readPage("all", 1)) ?? []), ...(p2 ?? [])]).size).to.equal(600);
  });

  it("drops a page whose slots are all cleared and moves the tail past it", async () => {
    const s = stores();
    const pages = new IndexPages(s.pages, s.heads);
    for (let i = 0; i < 3 * PAGE_SIZE; i++) await pages.append("all", `id${i}`);
    for (let i = 0; i < PAGE_SIZE; i++) await pages.clear("all", i, `id${i}`);
    expect(await pages.readPage("all", 0)).to.equal(undefined);
    expect((await pages.head("all")).tail).to.equal(1);
  });

  it("ignores a clear for a slot that holds another id", async () => {
    const s = stores();
    const pages = new IndexPages(s.pages, s.heads);
    await pages.append("all", "one");
    await pages.clear("all", 0, "other");
    expect(await pages.readPage("all", 0)).to.deep.equal(["one"]);
  });
});

describe("invites: listing over index pages", () => {
  it("lists newest first and continues with the cursor, reading only what it returns", async () => {
    const s = stores();
    const repo = new InviteRepo(s);
    for (let i = 0; i < 700; i++) await repo.insert(rec(`id${String(i).padStart(4, "0")}`));
    s.records.reads = 0;
    const first = await listInvites(repo, { limit: 10 }, 0);
    expect(first.invites.map((i) => i.id)).to.deep.equal(Array.from({ length: 10 }, (_, k) => `id${String(699 - k).padStart(4, "0")}`));
    expect(s.records.reads).to.equal(10);
    const seen = new Set(first.invites.map((i) => i.id));
    let cursor = first.cursor;
    while (cursor) {
      const page = await listInvites(repo, { limit: 100, cursor }, 0);
      for (const i of page.invites) { expect(seen.has(i.id)).to.equal(false); seen.add(i.id); }
      cursor = page.cursor;
    }
    expect(seen.size).to.equal(700);
  });

  it("filters by host through the host index", async () => {
    const s = stores();
    const repo = new InviteRepo(s);
    for (let i = 0; i < 20; i++) await repo.insert(rec(`id${i}`, i % 2 ? "b.example" : "a.example"));
    const page = await listInvites(repo, { host: "b.example", limit: 50 }, 0);
    expect(page.invites).to.have.length(10);
    expect(page.invites.every((i) => i.host === "b.example")).to.equal(true);
    expect(page.cursor).to.equal(undefined);
  });

  it("stops a sparse status filter after a bounded number of pages and returns a cursor", async () => {
    const s = stores();
    const repo = new InviteRepo(s);
    const total = (MAX_PAGES_PER_LIST + 2) * PAGE_SIZE;
    for (let i = 0; i < total; i++) await repo.insert(rec(`id${i}`, "a.example", i === 0 ? { revokedAt: 1 } : {}));
    const first = await listInvites(repo, { status: "revoked", limit: 5 }, 0);
    expect(first.invites).to.have.length(0);
    expect(first.cursor).to.be.a("string");
    let cursor = first.cursor;
    const found: Invite[] = [];
    while (cursor) {
      const page = await listInvites(repo, { status: "revoked", limit: 5, cursor }, 0);
      found.push(...page.invites);
      cursor = page.cursor;
    }
    expect(found.map((i) => i.id)).to.deep.equal(["id0"]);
  });

  it("skips removed invites and refuses a malformed cursor", async () => {
    const s = stores();
    const repo = new InviteRepo(s);
    for (let i = 0; i < 5; i++) await repo.insert(rec(`id${i}`));
    await repo.remove("id3");
    const page = await listInvites(repo, {}, 0);
    expect(page.invites.map((i) => i.id)).to.deep.equal(["id4", "id2", "id1", "id0"]);
    try {
      await listInvites(repo, { cursor: "nope" }, 0);
      expect.fail("should throw");
    } catch (e) {
      expect((e as Error).message).to.include("cursor");
    }
  });
});
