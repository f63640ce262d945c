// The steps of docs/deploy.md that can run here, on the files it installs (deploy/): the
// systemd unit checked by systemd-analyze (verify, and its exposure score offline); the
// server process started on deploy/config.yml as the unit starts it (ports, paths and the
// XMPP server swapped for the test's), behind the real nginx and the real Caddy with the
// shipped proxy configs; and logrotate with the shipped rule, the server reopening its log
// on SIGHUP. A missing tool fails the test with the apt-get line that installs it.
import { expect } from "chai";
import { execFile, spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { request } from "node:http";
import { parse, stringify } from "yaml";
import { checkConfig } from "../../core/config.js";
import { startProsody, type TestProsody } from "../harness/prosody.js";
import { freePort } from "../harness/ports.js";
import { until } from "../helpers/wait.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const deploy = (p: string) => join(root, "deploy", p);

function need(cmd: string, pkg: string): string {
  const found = spawnSync("sh", ["-c", `command -v ${cmd}`], { encoding: "utf8" });
  if (found.status !== 0) throw new Error(`${cmd} is not installed (needed by this test); install with: apt-get install ${pkg}`);
  return found.stdout.trim();
}

async function stopChild(child: ChildProcess | undefined, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  await gone;
}

describe("deploy/: the systemd unit", () => {
  it("passes systemd-analyze verify", async () => {
    const analyze = need("systemd-analyze", "systemd");
    const dir = mkdtempSync(join(tmpdir(), "xi-unit-"));
    try {
      const unit = join(dir, "xmpp-invites.service");
      copyFileSync(deploy("systemd/xmpp-invites.service"), unit);
      const r = spawnSync(analyze, ["verify", unit], { encoding: "utf8" });
      expect(r.status, r.stderr).to.equal(0);
      expect(r.stderr.trim(), "no warnings").to.equal("");
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it("is hardened: DynamicUser, ProtectSystem=strict, NoNewPrivileges, UMask=0077, and an exposure score of 2 or less (OK)", () => {
    const analyze = need("systemd-analyze", "systemd");
    const text = readFileSync(deploy("systemd/xmpp-invites.service"), "utf8");
    for (const line of ["DynamicUser=yes", "ProtectSystem=strict", "NoNewPrivileges=yes", "UMask=0077", "StateDirectory=xmpp-invites", "ConfigurationDirectory=xmpp-invites",
      "ExecStart=/usr/bin/node /opt/xmpp-invites/bin/xmpp-invites.js --config /etc/xmpp-invites/config.yml"]) {
      expect(text.split("\n"), line).to.include(line);
    }
    const r = spawnSync(analyze, ["security", "--offline=true", deploy("systemd/xmpp-invites.service")], { encoding: "utf8" });
    const score = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout)?.[1]);
    expect(score, r.stdout.slice(-400)).to.be.at.most(2);
  });
});

describe("deploy/: config.yml, the reverse proxies and log rotation, with the real server process (real Prosody 0.12)", function () {
  this.timeout(90_000);
  let prosody: TestProsody;
  let dir: string, port: number, metricsPort: number, configFile: string, logFile: string;
  let server: ChildProcess;
  let proxy: ChildProcess | undefined;

  before(async () => {
    prosody = await startProsody();
    dir = mkdtempSync(join(tmpdir(), "xi-deploy-"));
    [port, metricsPort] = [await freePort(), await freePort()];
    // deploy/config.yml as shipped, with only what differs on this machine changed.
    const cfg = parse(readFileSync(deploy("config.yml"), "utf8")) as Record<string, Record<string, unknown>>;
    cfg["hosts"] = ["localhost"] as never;
    cfg["component"] = { ...cfg["component"], jid: prosody.componentJid, server: prosody.componentServer };
    cfg["http"] = { ...cfg["http"], listen: `127.0.0.1:${port}`, base_url: `http://127.0.0.1:${port}/` };
    cfg["metrics"] = { listen: `127.0.0.1:${metricsPort}`, allow: ["127.0.0.1"] };
    cfg["data_dir"] = join(dir, "state") as never;
    cfg["admins"] = ["admin@localhost"] as never;
    logFile = join(dir, "log", "xmpp-invites.log");
    cfg["log"] = { level: "info", file: logFile };
    cfg["invites_page_rate_limit"] = 3 as never;
    configFile = join(dir, "config.yml");
    writeFileSync(configFile, stringify(cfg));
    server = spawn(process.execPath, [join(root, "bin/xmpp-invites.js"), "--config", configFile], {
      env: { ...process.env, NODE_ENV: "production", XMPP_INVITES_COMPONENT_SECRET: prosody.componentSecret }, stdio: "ignore",
    });
    await until("the server to be healthy", async () => ((await fetch(`http://127.0.0.1:${port}/health`)).status === 200 ? true : undefined));
  });
  afterEach(async () => { await stopChild(proxy, "SIGQUIT"); proxy = undefined; });
  after(async () => {
    await stopChild(server);
    await prosody?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("deploy/config.yml holds no secret (they come from secrets.env) and serves metrics on its own port", async () => {
    const c = checkConfig(parse(readFileSync(deploy("config.yml"), "utf8")), "/etc/xmpp-invites/config.yml", { XMPP_INVITES_COMPONENT_SECRET: "x" });
    expect(c.secretsInFile).to.equal(false);
    expect(c.http.trustProxy).to.equal("loopback");
    expect(readFileSync(deploy("secrets.env.example"), "utf8")).to.match(/^XMPP_INVITES_COMPONENT_SECRET=/m);
    expect((await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).status).to.equal(200);
  });

  /** A GET from a given loopback address (each proxy case is its own client for the limits). */
  const get = (url: string, from: string, headers: Record<string, string> = {}) => new Promise<{ status: number; headers: Record<string, string | string[] | undefined> }>((ok, fail) => {
    const req = request(url, { localAddress: from, headers }, (res) => { res.resume(); res.on("end", () => ok({ status: res.statusCode ?? 0, headers: res.headers })); });
    req.on("error", fail);
    req.end();
  });

  /**
   * Four lookups through the proxy, each claiming another address in X-Forwarded-For: with
   * the proxy's headers the server counts them all against the proxy's client (the 4th is
   * over invites_page_rate_limit: 3); a forged header would have given each its own count.
   */
  async function throughProxy(base: string, from: string): Promise<void> {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(`${base}i/ABCD2345`, from, { "X-Forwarded-For": `198.51.100.${10 + i}` })).status);
    expect(statuses).to.deep.equal([404, 404, 404, 429]);
    const page = await get(`${base}invites_page`, from);
    expect(page.status).to.equal(200);
    expect(String(page.headers["content-security-policy"])).to.contain("default-src 'none'");
    // /metrics is served to 127.0.0.1 on the main listener, but never through the proxy.
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).to.equal(200);
    expect((await get(`${base}metrics`, from)).status).to.equal(404);
  }

  it("without a proxy that replaces X-Forwarded-For, trust_proxy would believe a forged one (why the proxies replace it)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await get(`http://127.0.0.1:${port}/i/ABCD2345`, "127.0.0.4", { "X-Forwarded-For": `198.51.100.${20 + i}` })).status);
    expect(statuses).to.deep.equal([404, 404, 404, 404]);
  });

  it("behind nginx with deploy/nginx/xmpp-invites-proxy.conf: the client's address, not a forged one, and no /metrics", async () => {
    const nginx = need("nginx", "nginx");
    const nport = await freePort();
    const ndir = join(dir, "nginx");
    mkdirSync(ndir, { recursive: true });
    // The shipped snippet, pointed at this test's server port.
    const snippet = readFileSync(deploy("nginx/xmpp-invites-proxy.conf"), "utf8").replace("http://127.0.0.1:5280", `http://127.0.0.1:${port}`);
    expect(snippet).to.contain(`proxy_pass http://127.0.0.1:${port};`);
    writeFileSync(join(ndir, "proxy.conf"), snippet);
    writeFileSync(join(ndir, "nginx.conf"), `daemon off;\npid ${ndir}/nginx.pid;\nerror_log ${ndir}/error.log;\nevents {}\nhttp {\n  access_log off;\n  client_body_temp_path ${ndir}/body; proxy_temp_path ${ndir}/proxy; fastcgi_temp_path ${ndir}/fcgi; uwsgi_temp_path ${ndir}/uwsgi; scgi_temp_path ${ndir}/scgi;\n  server {\n    listen 127.0.0.1:${nport};\n    include ${ndir}/proxy.conf;\n  }\n}\n`);
    const test = spawnSync(nginx, ["-t", "-c", join(ndir, "nginx.conf")], { encoding: "utf8" });
    expect(test.status, test.stderr).to.equal(0);
    proxy = spawn(nginx, ["-c", join(ndir, "nginx.conf")], { stdio: "ignore" });
    await until("nginx", async () => ((await fetch(`http://127.0.0.1:${nport}/health`)).status === 200 ? true : undefined));
    await throughProxy(`http://127.0.0.1:${nport}/`, "127.0.0.2");
  });

  it("behind Caddy with deploy/caddy/Caddyfile: the same", async () => {
    const caddy = need("caddy", "caddy");
    const cport = await freePort();
    const cdir = join(dir, "caddy");
    mkdirSync(cdir, { recursive: true });
    // The shipped site, on a loopback port without TLS, pointed at this test's server.
    const site = readFileSync(deploy("caddy/Caddyfile"), "utf8").replace("invites.example.org {", `http://127.0.0.1:${cport} {`).replace("reverse_proxy 127.0.0.1:5280", `reverse_proxy 127.0.0.1:${port}`);
    expect(site).to.contain(`reverse_proxy 127.0.0.1:${port}`);
    writeFileSync(join(cdir, "Caddyfile"), `{\n\tadmin off\n}\n${site}`);
    const env = { ...process.env, HOME: cdir, XDG_DATA_HOME: cdir, XDG_CONFIG_HOME: cdir };
    const valid = spawnSync(caddy, ["validate", "--config", join(cdir, "Caddyfile"), "--adapter", "caddyfile"], { encoding: "utf8", env });
    expect(valid.status, valid.stderr.slice(-500)).to.equal(0);
    proxy = spawn(caddy, ["run", "--config", join(cdir, "Caddyfile"), "--adapter", "caddyfile"], { stdio: "ignore", env });
    await until("Caddy", async () => ((await fetch(`http://127.0.0.1:${cport}/health`)).status === 200 ? true : undefined));
    await throughProxy(`http://127.0.0.1:${cport}/`, "127.0.0.3");
  });

  it("rotates the log with deploy/logrotate/xmpp-invites: the server writes to a new file after SIGHUP", async () => {
    const logrotate = need("logrotate", "logrotate");
    await until("the log file", async () => (existsSync(logFile) ? true : undefined));
    // The shipped rule, on this test's log, and its postrotate signal sent to this process.
    const rule = readFileSync(deploy("logrotate/xmpp-invites"), "utf8")
      .replace(/^\/var\/log\/xmpp-invites\/\*\.log/m, join(dir, "log", "*.log"))
      .replace(/systemctl kill --signal=HUP --kill-whom=main xmpp-invites\.service/, `kill -HUP ${server.pid}`);
    expect(rule).to.contain(`kill -HUP ${server.pid}`);
    const ruleFile = join(dir, "logrotate.conf");
    writeFileSync(ruleFile, rule);
    chmodSync(ruleFile, 0o644);
    const dry = spawnSync(logrotate, ["--debug", "--state", join(dir, "logrotate.state"), ruleFile], { encoding: "utf8" });
    expect(dry.status, dry.stderr).to.equal(0);
    const r = await run(logrotate, ["--force", "--state", join(dir, "logrotate.state"), ruleFile]).catch((e: { stderr: string }) => { throw new Error(e.stderr); });
    expect(r.stderr).to.equal("");
    expect(existsSync(`${logFile}.1`), "rotated").to.equal(true);
    const fresh = await until("the reopened log", async () => (existsSync(logFile) && readFileSync(logFile, "utf8").includes("log file reopened") ? true : undefined));
    expect(fresh).to.equal(true);
    expect(readFileSync(`${logFile}.1`, "utf8")).to.contain("HTTP server listening");
  });
});
