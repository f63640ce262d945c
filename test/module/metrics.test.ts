// The metrics plumbing without a server: the metrics config, the allow-list, module metrics
// under one prefix, and /metrics absent unless configured.
import { expect } from "chai";
import { checkConfig, ConfigError } from "../../core/config.js";
import { allowList } from "../../core/metrics-http.js";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "kysely";
import { openDatabase } from "../../core/db.js";
import { HostMetrics, meterQueries } from "../../core/metrics.js";
import { startTestHost } from "../helpers/host.js";

const base = { hosts: ["localhost"], component: { jid: "invites.localhost", secret: "s" } };

describe("metrics (module)", () => {
  it("reads metrics.listen and metrics.allow, and refuses an empty section or a bad address, naming it", () => {
    expect(checkConfig(base, "/x/config.yml").metrics).to.equal(undefined);
    expect(checkConfig({ ...base, metrics: { listen: "127.0.0.1:9464" } }, "/x/config.yml").metrics).to.deep.equal({ listen: { host: "127.0.0.1", port: 9464 }, allow: [] });
    const problems = (raw: unknown) => { try { checkConfig(raw, "/x/config.yml"); return []; } catch (e) { return (e as ConfigError).problems; } };
    expect(problems({ ...base, metrics: {} })).to.deep.equal(["/x/config.yml: metrics: give listen (a listener of its own) or allow (addresses that may GET /metrics on the main listener), or remove the key"]);
    expect(problems({ ...base, metrics: { allow: ["10.0.0.0/8", "localhost"] } })).to.deep.equal(['/x/config.yml: metrics: allow: not an IP address or CIDR range: "localhost"']);
  });

  it("matches addresses and ranges, IPv4-mapped IPv6 as IPv4", () => {
    const allowed = allowList(["127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8"]);
    for (const ip of ["127.0.0.1", "::ffff:127.0.0.1", "10.2.3.4", "::1", "fd12::1"]) expect(allowed(ip), ip).to.equal(true);
    for (const ip of ["127.0.0.2", "11.0.0.1", "::2", "fe80::1", "unknown", ""]) expect(allowed(ip), ip).to.equal(false);
  });

  it("gives modules one metric per name under xmpp_invites_, and refuses the same name as another kind", async () => {
    const m = new HostMetrics({ process: false });
    m.counter("things_total", "Things", ["host"]).inc({ host: "a" });
    m.counter("things_total", "Things", ["host"]).inc({ host: "a" }, 2);
    expect(await m.text()).to.contain('xmpp_invites_things_total{host="a"} 3');
    expect(() => m.histogram("things_total", "x")).to.throw(/already a counter/);
    expect(() => m.counter("Bad-Name", "x")).to.throw(/lower case/);
  });

  it("serves no /metrics unless the config says so", async () => {
    const t = await startTestHost({ enabled: ["invites"], http: true });
    try {
      expect((await fetch(`${t.baseUrl}metrics`)).status).to.equal(404);
    } finally { await t.stop(); }
    const allowed = await startTestHost({ enabled: ["invites"], http: true, config: { metrics: { allow: ["127.0.0.1", "::1"] } } });
    try {
      const res = await fetch(`${allowed.baseUrl}metrics`);
      expect(res.status).to.equal(200);
      expect(await res.text()).to.contain("# TYPE xmpp_invites_invites_created_total counter");
    } finally { await allowed.stop(); }
  });

  it("times SQL queries by table, operation and outcome, failed ones as errors", async () => {
    const dir = mkdtempSync(join(tmpdir(), "metrics-sql-"));
    const db = await openDatabase("memory://", dir);
    try {
      const m = new HostMetrics({ process: false });
      meterQueries(db, m);
      await sql`CREATE TABLE things (id text primary key, n integer)`.execute(db.kysely);
      await db.kysely.insertInto("things").values({ id: "a", n: 1 }).execute();
      await db.kysely.updateTable("things as t").set({ n: 2 }).where("t.id", "=", "a").execute();
      await db.kysely.selectFrom("things").selectAll().execute();
      await db.kysely.insertInto("things").values({ id: "a", n: 3 }).execute().catch(() => {});
      await db.kysely.deleteFrom("things").execute();
      const text = await m.text();
      const count = (labels: string) => Number(new RegExp(`xmpp_invites_sql_query_duration_seconds_count\\{${labels}\\} (\\d+)`).exec(text)?.[1] ?? 0);
      expect(count('table="things",op="insert",outcome="ok"')).to.equal(1);
      expect(count('table="things",op="insert",outcome="error"')).to.equal(1);
      expect(count('table="things",op="update",outcome="ok"')).to.equal(1);
      expect(count('table="things",op="select",outcome="ok"')).to.equal(1);
      expect(count('table="things",op="delete",outcome="ok"')).to.equal(1);
      expect(count('table="sql",op="raw",outcome="ok"')).to.equal(1);
    } finally {
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
