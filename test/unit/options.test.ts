import { expect } from "chai";
import { opt, readOptions } from "../../core/options.js";
import { parseDuration, parseTimeSpec, formatDuration } from "../../core/duration.js";

describe("durations", () => {
  it("parses the short and long unit forms admins write", () => {
    expect(parseDuration("15d")).to.equal(15 * 86_400_000);
    expect(parseDuration("2h")).to.equal(7_200_000);
    expect(parseDuration("30min")).to.equal(1_800_000);
    expect(parseDuration("1w")).to.equal(604_800_000);
    expect(parseDuration("1 week")).to.equal(604_800_000);
    expect(parseDuration("1w 2d")).to.equal(604_800_000 + 2 * 86_400_000);
    expect(parseDuration("90")).to.equal(90_000);
    expect(parseDuration(3600)).to.equal(3_600_000);
  });
  it("rejects text that is not a duration", () => {
    for (const bad of ["", "soon", "10 parsecs", "-1d", "1d-", "d", "1e9y", "１d", "99999999999999999999", "4000000000"]) expect(parseDuration(bad), bad).to.equal(undefined);
    // Plain seconds are bounded like the rest (100 years), so no date downstream is out of range.
    expect(parseDuration(1e20)).to.equal(undefined);
  });
  it("takes absolute ISO 8601 dates as time specs", () => {
    const now = Date.UTC(2026, 0, 1);
    expect(parseTimeSpec("2026-12-01T10:00:00Z", now)).to.equal(Date.UTC(2026, 11, 1, 10));
    expect(parseTimeSpec("2h", now)).to.equal(now + 7_200_000);
    expect(parseTimeSpec("2026-13-45", now)).to.equal(undefined);
    expect(parseTimeSpec("tomorrow", now)).to.equal(undefined);
  });
  it("formats durations largest unit first", () => {
    expect(formatDuration(90_061_000)).to.equal("1d 1h 1min 1s");
    expect(formatDuration(0)).to.equal("0s");
  });
});

describe("option getters", () => {
  const specs = {
    invite_expiry: opt.period({ default: "1 week", min: "1 minute", max: "1 year" }),
    max_uses: opt.integer({ default: 1, min: 1, max: 1000 }),
    enabled: opt.boolean({ default: true }),
    site_name: opt.string({ default: "Invites", maxLength: 10 }),
    mode: opt.enum({ values: ["a", "b"] as const, default: "a" }),
    tags: opt.list({ default: [] }),
  };

  it("fills defaults for absent options, already parsed", () => {
    const { values, problems } = readOptions(specs, {}, "/etc/x.yml");
    expect(problems).to.deep.equal([]);
    expect(values).to.deep.equal({ invite_expiry: 604_800_000, max_uses: 1, enabled: true, site_name: "Invites", mode: "a", tags: [] });
  });

  it("parses periods and whole numbers given as text", () => {
    const { values } = readOptions(specs, { invite_expiry: "2 days", max_uses: "5" }, "f");
    expect(values["invite_expiry"]).to.equal(2 * 86_400_000);
    expect(values["max_uses"]).to.equal(5);
  });

  it("reports one problem per bad option, naming the option and the file", () => {
    const { problems } = readOptions(specs, { invite_expiry: "10 seconds", max_uses: 0, enabled: "yes", site_name: "far too long a name", mode: "c", tags: [1] }, "/etc/x.yml");
    expect(problems).to.have.length(6);
    expect(problems[0]).to.equal('/etc/x.yml: option "invite_expiry": must be at least 1min, got 10s');
    expect(problems[1]).to.equal('/etc/x.yml: option "max_uses": must be at least 1, got 0');
    expect(problems[2]).to.match(/"enabled": expected true or false/);
    expect(problems[3]).to.match(/"site_name": longer than 10/);
    expect(problems[4]).to.match(/"mode": expected one of a, b, got "c"/);
    expect(problems[5]).to.match(/"tags": item 1: expected a string/);
  });

  it("enforces the upper bound of a period", () => {
    const { problems } = readOptions(specs, { invite_expiry: "2 years" }, "f");
    expect(problems[0]).to.match(/must be at most 1y/);
  });
});
