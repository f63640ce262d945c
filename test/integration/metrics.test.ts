// GET /metrics of the real server process after real traffic (an invite over the API, a
// registration through the web form on the real XMPP server, a refused one, a revoke), read
// with a Prometheus text-format parser: the counters, the latency histograms, the component
// link and the store are all there with the values the traffic implies.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { execFile } from "node:child_process";
import parsePrometheusTextFormat from "parse-prometheus-text-format";
import { stringify } from "yaml";
import { startServer, SERVER_KINDS, SERVER_NAMES, type TestXmppServer } from "../harness/servers.js";
import { freePort } from "../harness/ports.js";
import { loginClient } from "../harness/xmpp-client.js";
import { until } from "../helpers/wait.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");

interface Sample { labels?: Record<string, string>; value?: string }
interface Family { name: string; help: string; type: string; metrics: Sample[] }

for (const kind of SERVER_KINDS) {
describe(`GET /metrics of the server process after real traffic (real ${SERVER_NAMES[kind]})`, function () {
  this.timeout(90_000);
  let xmpp: TestXmppServer;
  let server: ChildProcess;
  let dir: string, config: string, base: string, metricsUrl: string;
  let families: Map<string, Family>;
  let types: Map<string, string>;
  let keyId: string;

  const sum = (name: string, labels: Record<string, string> = {}, field: "value" | "count" = "value") =>
    (families.get(field === "count" ? `${name}_count` : name)?.metrics ?? [])
      .filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v))
      .reduce((n, m) => n + Number(m.value ?? 0), 0);

  before(async () => {
    xmpp = await startServer(kind);
    dir = mkdtempSync(join(tmpdir(), "xi-metrics-"));
    const [port, mport] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}/`;
    metricsUrl = `http://127.0.0.1:${mport}/metrics`;
    config = join(dir, "config.yml");
    writeFileSync(config, stringify({
      hosts: [xmpp.domain],
      component: { jid: xmpp.componentJid, secret: xmpp.componentSecret, server: xmpp.componentServer },
      http: { listen: `127.0.0.1:${port}`, base_url: base },
      data_dir: dir,
      admins: [xmpp.adminJid],
      modules_enabled: ["invites", "invites_api", "invites_page", "invites_register"],
      // Its own listener, and on the main one only to an address range the tests are not in.
      metrics: { listen: `127.0.0.1:${mport}`, allow: ["192.0.2.0/24"] },
      log: { level: "info", file: "server.log" },
      ...xmpp.productConfig,
    }), { mode: 0o600 });
    server = spawn(process.execPath, [join(root, "bin/xmpp-invites.js"), "--config", config], { stdio: "ignore" });
    await until("the component to connect", async () => {
      const body = (await (await fetch(`${base}health`)).json()) as { component: { state: string } };
      return body.component.state === "connected" ? true : undefined;
    });
    const made = await run(process.execPath, [join(root, "bin/invitectl.js"), "--config", config, "mod_invites_api", "create", xmpp.domain, "metrics", "--scope", "all"]);
    const key = made.stdout.trim().split("\n").pop()!;
    keyId = key.split("/")[0]!;
    const auth = { Authorization: `Bearer ${key}` };

    // Two invites over the API; one is revoked, the other registers an account through the
    // web form (a weak password first, refused), and the account logs in.
    const first = await fetch(`${base}invites_api/v1/invites`, { method: "POST", headers: auth });
    const { invite } = (await first.json()) as { invite: { id: string } };
    expect((await fetch(`${base}invites_api/v1/invites/${invite.id}`, { method: "DELETE", headers: auth })).status).to.equal(200);
    const res = await fetch(`${base}invites_api`, { headers: auth, redirect: "manual" });
    expect(res.status).to.equal(201);
    const token = res.headers.get("location")!.split("?")[1]!;
    const form = await fetch(`${base}register?t=${token}`);
    const cookie = (form.headers.get("set-cookie") ?? "").split(";")[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? "";
    const post = (password: string) => fetch(`${base}register?t=${token}`, {
      method: "POST", redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ csrf, token, user: "metered", password }),
    });
    expect((await post("short")).status).to.equal(400);
    expect((await post("a-long-enough-password")).status).to.equal(200);
    const client = await loginClient({ port: xmpp.c2sPort, jid: `metered@${xmpp.domain}`, password: "a-long-enough-password" });
    await client.close();

    const scraped = await fetch(metricsUrl);
    expect(scraped.status).to.equal(200);
    expect(scraped.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
    const text = await scraped.text();
    types = new Map((parsePrometheusTextFormat(text) as Family[]).map((f) => [f.name, f.type]));
    // The parser folds a labelled histogram into one series; read as untyped, each of its
    // _bucket, _sum and _count series is a family of its own (one per run of lines) and keeps its labels.
    families = new Map();
    for (const f of parsePrometheusTextFormat(text.replace(/^# TYPE (\S+) histogram$/gm, "# TYPE $1 untyped")) as Family[]) {
      const had = families.get(f.name);
      if (had) had.metrics.push(...f.metrics); else families.set(f.name, f);
    }
  });

  after(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const gone = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await gone;
    }
    await xmpp?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("counts invites created and revoked by host, type and source (the API key)", () => {
    expect(types.get("xmpp_invites_invites_created_total")).to.equal("COUNTER");
    expect(sum("xmpp_invites_invites_created_total", { host: xmpp.domain, type: "account", source: `api/key/${keyId}` })).to.equal(2);
    expect(sum("xmpp_invites_invites_revoked_total", { host: xmpp.domain, source: `api/key/${keyId}` })).to.equal(1);
    expect(sum("xmpp_invites_invites_used_total", { host: xmpp.domain, source: `api/key/${keyId}` })).to.equal(1);
  });

  it("counts registrations by outcome: one created, one refused for its password", () => {
    expect(sum("xmpp_invites_registrations_total", { outcome: "created", source: "web" })).to.equal(1);
    expect(sum("xmpp_invites_registrations_total", { outcome: "invites_register.weak_password", source: "web" })).to.equal(1);
  });

  it("has request latency histograms by module and status", () => {
    expect(types.get("xmpp_invites_http_request_duration_seconds")).to.equal("HISTOGRAM");
    expect(types.get("xmpp_invites_admin_operation_duration_seconds")).to.equal("HISTOGRAM");
    expect(types.get("xmpp_invites_store_operation_duration_seconds")).to.equal("HISTOGRAM");
    expect(sum("xmpp_invites_http_request_duration_seconds", { module: "invites_api", method: "POST", status: "201" }, "count")).to.equal(1);
    expect(sum("xmpp_invites_http_request_duration_seconds", { module: "invites_register", status: "400" }, "count")).to.equal(1);
    expect(sum("xmpp_invites_http_request_duration_seconds", { module: "core", status: "200" }, "count")).to.be.at.least(1); // /health
  });

  it("reports the component link as up, and the account creation's latency by operation", () => {
    expect(sum("xmpp_invites_component_connected")).to.equal(1);
    expect(families.has("xmpp_invites_component_reconnects_total")).to.equal(true);
    expect(sum("xmpp_invites_admin_operation_duration_seconds", { operation: "createAccount", outcome: "ok" }, "count")).to.equal(1);
  });

  it("has the store's latency by table and operation, and the process's own figures", () => {
    // Two invites created, one revoked, one registration: inserts and updates of invites.
    expect(sum("xmpp_invites_sql_query_duration_seconds", { table: "invites", op: "insert", outcome: "ok" }, "count")).to.be.at.least(2);
    expect(sum("xmpp_invites_sql_query_duration_seconds", { table: "invites", op: "update", outcome: "ok" }, "count")).to.be.at.least(1);
    expect(sum("xmpp_invites_sql_query_duration_seconds", { table: "api_keys", op: "select" }, "count")).to.be.at.least(1);
    expect(families.has("xmpp_invites_process_resident_memory_bytes")).to.equal(true);
  });

  it("answers /metrics on the main listener only to metrics.allow (403 here), and only /metrics on its own", async () => {
    const main = await fetch(`${base}metrics`);
    expect(main.status).to.equal(403);
    expect(((await main.json()) as { message: string }).message).to.contain("metrics.allow");
    expect((await fetch(metricsUrl.replace("/metrics", "/health"))).status).to.equal(404);
  });
});
}
