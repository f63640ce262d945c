// core's rate limiters in memory (core/limiter.ts), with an injected clock.
import { expect } from "chai";
import { addressKey, createLimiter } from "../../core/limiter.js";

describe("rate limits: client address keys", () => {
  it("groups IPv6 addresses by /64, and keeps IPv4 (also IPv4-mapped) as it is", () => {
    expect(addressKey("2001:db8:1:2::1")).to.equal("2001:db8:1:2::/64");
    expect(addressKey("2001:db8:1:2:ffff:ffff:ffff:ffff")).to.equal(addressKey("2001:db8:1:2::1"));
    expect(addressKey("2001:db8:1:3::1")).to.not.equal(addressKey("2001:db8:1:2::1"));
    expect(addressKey("127.0.0.2")).to.equal("127.0.0.2");
    expect(addressKey("::ffff:127.0.0.2")).to.equal("127.0.0.2");
    expect(addressKey("not an address")).to.equal("?not an address");
  });
});

describe("rate limits: the in-memory limiter", () => {
  it("counts points per key per window and says when to retry", async () => {
    let now = 1_000_000;
    const l = createLimiter("t.window", { points: 3, durationMs: 60_000 }, { now: () => now });
    const hits = [];
    for (let i = 0; i < 4; i++) hits.push((await l.consume("1.2.3.4")).ok);
    expect(hits).to.deep.equal([true, true, true, false]);
    expect((await l.consume("5.6.7.8")).ok).to.equal(true);
    now += 30_000;
    expect(await l.check("1.2.3.4")).to.deep.equal({ ok: false, retryAfterS: 30 });
    now += 30_001;
    expect((await l.consume("1.2.3.4")).ok).to.equal(true);
    await l.reset("1.2.3.4");
    expect(await l.check("1.2.3.4")).to.deep.include({ ok: true, remaining: 3 });
  });

  it("with points 0 limits nothing", async () => {
    const l = createLimiter("t.off", { points: 0, durationMs: 60_000 });
    for (let i = 0; i < 100; i++) expect((await l.consume("x")).ok).to.equal(true);
  });

  it("stays bounded, forgetting the least recently used keys that are not blocked", async () => {
    const now = 0;
    const l = createLimiter("t.lru", { points: 1, durationMs: 60_000, maxKeys: 100 }, { now: () => now });
    await l.consume("blocked");
    await l.consume("blocked");
    expect((await l.check("blocked")).ok).to.equal(false);
    for (let i = 0; i < 1000; i++) await l.consume(`k${i}`);
    // The blocked key, the oldest of all, is still blocked; the first open keys were forgotten.
    expect((await l.check("blocked")).ok).to.equal(false);
    expect((await l.check("k0")).ok, "k0 was forgotten: it has its point again").to.equal(true);
    expect((await l.check("k999")).ok).to.equal(false);
  });

  it("does not forget a blocked address after 50,000 others (the page limiter once started over)", async () => {
    const l = createLimiter("t.flood", { points: 60, durationMs: 60_000 }, { now: () => 0 });
    for (let i = 0; i < 61; i++) await l.consume("203.0.113.9");
    expect((await l.check("203.0.113.9")).ok).to.equal(false);
    for (let i = 0; i < 50_001; i++) await l.consume(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);
    expect((await l.check("203.0.113.9")).ok).to.equal(false);
  });
});
