import { expect } from "chai";
import { Buckets, parseRate } from "../../modules/invites_api/ratelimit.js";

describe("invites_api rate limits (unit)", () => {
  it("parses rates", () => {
    expect(parseRate("60/minute")).to.deep.equal({ count: 60, perMs: 60_000 });
    expect(parseRate("5 / 30s")).to.deep.equal({ count: 5, perMs: 30_000 });
    expect(parseRate("1000/hour")).to.deep.equal({ count: 1000, perMs: 3_600_000 });
    for (const bad of ["", "60", "0/minute", "x/minute", "60/fortnightish", 60]) expect(parseRate(bad), String(bad)).to.equal(undefined);
  });

  it("allows the burst, then refuses with Retry-After until tokens refill", () => {
    const b = new Buckets({ count: 60, perMs: 60_000 }, 3);
    const t0 = 1_000_000;
    for (let i = 0; i < 3; i++) expect(b.take("k", t0).ok).to.equal(true);
    const refused = b.take("k", t0);
    expect(refused).to.deep.equal({ ok: false, retryAfterS: 1 });
    expect(b.take("other", t0).ok).to.equal(true);
    expect(b.take("k", t0 + 1000).ok).to.equal(true);
    expect(b.take("k", t0 + 1000).ok).to.equal(false);
  });

  it("check() does not take a token", () => {
    const b = new Buckets({ count: 1, perMs: 60_000 }, 1);
    expect(b.check("ip", 0).ok).to.equal(true);
    expect(b.check("ip", 0).ok).to.equal(true);
    b.take("ip", 0);
    expect(b.check("ip", 0)).to.deep.equal({ ok: false, retryAfterS: 60 });
  });

  it("stays bounded in memory", () => {
    const b = new Buckets({ count: 1, perMs: 60_000 }, 1, 100);
    for (let i = 0; i < 1000; i++) b.take(`ip${i}`, 0);
    expect(b.size).to.be.at.most(100);
  });
});
