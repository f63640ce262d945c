import { expect } from "chai";
import { parseRate, windowOf } from "../../modules/invites_api/ratelimit.js";

describe("invites_api rate limits (unit)", () => {
  it("parses rates", () => {
    expect(parseRate("60/minute")).to.deep.equal({ count: 60, perMs: 60_000 });
    expect(parseRate("5 / 30s")).to.deep.equal({ count: 5, perMs: 30_000 });
    expect(parseRate("1000/hour")).to.deep.equal({ count: 1000, perMs: 3_600_000 });
    for (const bad of ["", "60", "0/minute", "x/minute", "60/fortnightish", 60]) expect(parseRate(bad), String(bad)).to.equal(undefined);
  });

  it("turns a rate and a burst into a window of the burst over the time the rate takes to earn it", () => {
    expect(windowOf({ count: 60, perMs: 60_000 }, 20)).to.deep.equal({ points: 20, durationMs: 20_000 });
    expect(windowOf({ count: 10, perMs: 60_000 }, 10)).to.deep.equal({ points: 10, durationMs: 60_000 });
    expect(windowOf({ count: 1, perMs: 86_400_000 }, 20)).to.deep.equal({ points: 20, durationMs: 20 * 86_400_000 });
    expect(windowOf({ count: 1_000_000, perMs: 1_000 }, 1_000_000).durationMs).to.equal(1_000);
  });
});
