// The real executables against each real server (Prosody 0.12, ejabberd 23.01):
// `xmpp-invites --config FILE` as a child process, `invitectl --config FILE` beside it on the
// same SQLite file, and a module loaded from plugin_paths (a test fixture, with no change to
// core/) whose HTTP route, ad-hoc command and ctl command all work.
import { expect } from "chai";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { startServer, SERVER_KINDS, SERVER_NAMES, type TestXmppServer } from "../harness/servers.js";
import { loginClient } from "../harness/xmpp-client.js";
import { freePort } from "../harness/ports.js";
import { until } from "../helpers/wait.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");

for (const kind of SERVER_KINDS) {
describe(`server and ctl processes with a plugin module (real ${SERVER_NAMES[kind]})`, function () {
  this.timeout(60_000);
  let xmpp: TestXmppServer;
  let server: ChildProcess;
  let dir: string, config: string, base: string;

  const ctl = async (...args: string[]) => {
    try {
      const { stdout, stderr } = await run(process.execPath, [join(root, "bin/invitectl.js"), "--config", config, ...args]);
      return { code: 0, stdout, stderr };
    } catch (e) {
      const err = e as { code: number; stdout: string; stderr: string };
      return { code: err.code, stdout: err.stdout, stderr: err.stderr };
    }
  };

  before(async () => {
    xmpp = await startServer(kind);
    dir = mkdtempSync(join(tmpdir(), "xi-proc-"));
    const port = await freePort();
    base = `http://127.0.0.1:${port}/`;
    config = join(dir, "config.yml");
    writeFileSync(config, stringify({
      hosts: [xmpp.domain],
      component: { jid: xmpp.componentJid, secret: "${XI_TEST_SECRET}", server: xmpp.componentServer },
      http: { listen: `127.0.0.1:${port}`, base_url: base },
      data_dir: dir,
      admins: [xmpp.adminJid],
      modules_enabled: ["invites", "invites_api", "invites_page", "invites_register", "invites_users", "hello"],
      plugin_paths: [join(root, "test/fixtures/modules")],
      hello_greeting: "Howdy",
      log: { level: "info", file: "server.log" },
      ...xmpp.productConfig,
    }));
    server = spawn(process.execPath, [join(root, "bin/xmpp-invites.js"), "--config", config], {
      env: { ...process.env, XI_TEST_SECRET: xmpp.componentSecret }, stdio: "ignore",
    });
    await until("the component to connect", async () => {
      const res = await fetch(`${base}health`);
      const body = (await res.json()) as { component: { state: string } };
      return body.component.state === "connected" ? true : undefined;
    });
    process.env["XI_TEST_SECRET"] = xmpp.componentSecret;
  });

  after(async () => {
    if (server && server.exitCode === null && server.signalCode === null) {
      const gone = new Promise((r) => server.once("exit", r));
      server.kill("SIGTERM");
      await gone;
    }
    await xmpp?.destroy();
    rmSync(dir, { recursive: true, force: true });
    delete process.env["XI_TEST_SECRET"];
  });

  it("serves the plugin module's HTTP route with its configured option", async () => {
    const res = await fetch(`${base}hello/Ada`);
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { text: string }).text).to.equal("Howdy, Ada!");
  });

  it("runs the plugin module's ad-hoc command for a real client on the component", async () => {
    await xmpp.registerUser("ada", "ada-password");
    const client = await loginClient({ port: xmpp.c2sPort, jid: "ada@localhost", password: "ada-password" });
    try {
      expect((await client.commands(xmpp.componentJid)).map((c) => c.node)).to.include("urn:example:hello");
      const done = await client.adhoc(xmpp.componentJid, "urn:example:hello", { name: "Ada" });
      expect(done.attrs.status).to.equal("completed");
      expect(done.getChild("note")?.text()).to.equal("Howdy, Ada!");
    } finally {
      await client.close();
    }
  });

  it("runs the plugin module's ctl command, and exits 2 on bad input", async () => {
    expect(await ctl("mod_hello", "greet", "Bob")).to.include({ code: 0, stdout: "Howdy, Bob!\n" });
    const bad = await ctl("mod_hello", "greet", "B0b");
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.equal('invitectl: Bad name "B0b": letters only\n');
  });

  it("sees an invite made and then revoked by invitectl on its next request", async () => {
    const made = await ctl("invite", "create_account", xmpp.domain);
    expect(made.code).to.equal(0);
    const link = made.stdout.split("\n").find((l) => l.startsWith(base))!;
    expect(link, made.stdout).to.be.a("string");
    expect((await fetch(link)).status).to.equal(200);
    const token = new URL(link).search.slice(1);
    expect((await ctl("invite", "revoke", xmpp.domain, token)).code).to.equal(0);
    expect((await fetch(link)).status).to.equal(410);
    expect((await ctl("invite", "extend", xmpp.domain, token, "2d")).code).to.equal(0);
    expect((await fetch(link)).status).to.equal(200);
  });

  it("accepts an API key made by invitectl at once, and refuses it at once when deleted", async () => {
    const made = await ctl("mod_invites_api", "create", xmpp.domain, "script");
    const key = made.stdout.trim().split("\n").pop()!;
    expect(key).to.match(/^[^/\s]+\/\S+$/);
    const res = await fetch(`${base}invites_api`, { headers: { authorization: `Bearer ${key}` }, redirect: "manual" });
    expect(res.status).to.equal(201);
    expect(res.headers.get("location")).to.match(/invites_page\?/);
    expect((await ctl("mod_invites_api", "delete", xmpp.domain, key.split("/")[0]!)).code).to.equal(0);
    const after = await fetch(`${base}invites_api`, { headers: { authorization: `Bearer ${key}` } });
    expect(after.status).to.equal(401);
  });

  it("deactivates a user with invitectl through the running server's link (the ctl joins it through the database, no second component session)", async () => {
    await xmpp.registerUser("zed", "zed-password");
    const session = await loginClient({ port: xmpp.c2sPort, jid: "zed@localhost", password: "zed-password" });
    await session.close();
    const res = await ctl("user", "deactivate", "zed@localhost");
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.include("zed@localhost: deactivated by ctl").and.include("sessions: ended");
    const relogin = await loginClient({ port: xmpp.c2sPort, jid: "zed@localhost", password: "zed-password" }).then((c) => c.close().then(() => true), () => false);
    expect(relogin).to.equal(false);
    // The running server kept its session: its health still says connected.
    const health = (await (await fetch(`${base}health`)).json()) as { component: { state: string } };
    expect(health.component.state).to.equal("connected");
  });

  /** What this server offers the component, as invitectl check prints it. */
  const expected = () => kind === "prosody"
    ? [/^server localhost: Prosody 0\.12\.\d+$/m, /^ {2}XEP-0356 privileges: urn:xmpp:privilege:2, roster=both, message=outgoing$/m,
      /^ {2}account check: ok \(XEP-0133 get-user-roster\)$/m, /^ {2}contacts: ok \(XEP-0356 roster set \(urn:xmpp:privilege:2\)\)$/m]
    : [/^server localhost: ejabberd 23\.01/m, /^ {2}XEP-0356 privileges: urn:xmpp:privilege:1, /m, /^ {2}ejabberd HTTP API: ok/m,
      /^ {2}account check: ok \(ejabberd check_account \(mod_http_api\)\)$/m, /^ {2}contacts: ok \(ejabberd add_rosteritem \(mod_http_api\)\)$/m];

  it("checks config, store, the component link and the server's capabilities with invitectl check, through the running server", async () => {
    const res = await ctl("check");
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.match(/^config: ok/m);
    expect(res.stdout).to.match(/^store: ok/m);
    // The running server's own session is asked (through /health), not a second one.
    expect(res.stdout).to.match(/^component: ok \(the running server, http:\/\/127\.0\.0\.1:\d+\/health, is connected to 127\.0\.0\.1:\d+ as invites\.localhost\)$/m);
    expect(res.stdout).to.match(/^ {2}accounts: ok \(XEP-0133 add-user\)$/m).and.match(/^ {2}password reset: ok \(XEP-0133 change-user-password\)$/m);
    for (const line of expected()) expect(res.stdout).to.match(line);
  });

  it("shows the same capabilities in GET /health", async () => {
    const body = (await (await fetch(`${base}health`)).json()) as { server: { known: boolean; hosts: Record<string, { contacts: { ok: boolean; via: string }; accountCheck: { ok: boolean }; software: { name: string } }> } };
    expect(body.server.known).to.equal(true);
    const h = body.server.hosts["localhost"]!;
    expect(h.software.name).to.equal(kind === "prosody" ? "Prosody" : "ejabberd");
    expect(h.contacts.ok).to.equal(true);
    expect(h.accountCheck.ok).to.equal(true);
    expect(JSON.stringify(body)).to.not.include(xmpp.componentSecret);
  });

  it("never writes the tokens or keys it handed out to its log", () => {
    const log = readFileSync(join(dir, "server.log"), "utf8");
    expect(log).to.include("connected to the XMPP server");
    expect(log).not.to.include(xmpp.componentSecret);
    const api = xmpp.productConfig["ejabberd_api"] as { password: string } | undefined;
    if (api) expect(log).not.to.include(api.password);
    expect(log).not.to.match(/invites_page\?[A-Za-z0-9_-]{20,}/);
  });

  it("once the server process is gone, invitectl check connects by itself and prints the same capabilities", async () => {
    const gone = new Promise((r) => server.once("exit", r));
    server.kill("SIGTERM");
    await gone;
    const res = await ctl("check");
    expect(res.code, res.stdout + res.stderr).to.equal(0);
    expect(res.stdout).to.match(/^component: ok \(invites\.localhost accepted by 127\.0\.0\.1:\d+\)$/m);
    for (const line of expected()) expect(res.stdout).to.match(line);
  });
});
}
