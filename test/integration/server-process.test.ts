// The real executables against a real Prosody: `xmpp-invites --config FILE` as a child
// process, `invitectl --config FILE` beside it on the same SQLite file, and a module loaded
// from plugin_paths (a test fixture, with no change to core/) whose HTTP route, ad-hoc
// command and ctl command all work.
import { expect } from "chai";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { stringify } from "yaml";
import { startProsody, type TestProsody } from "../harness/prosody.js";
import { loginClient } from "../harness/xmpp-client.js";
import { freePort } from "../harness/ports.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");

async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe("server and ctl processes with a plugin module (real Prosody)", function () {
  this.timeout(60_000);
  let prosody: TestProsody;
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
    prosody = await startProsody();
    dir = mkdtempSync(join(tmpdir(), "xi-proc-"));
    const port = await freePort();
    base = `http://127.0.0.1:${port}/`;
    config = join(dir, "config.yml");
    writeFileSync(config, stringify({
      hosts: [prosody.domain],
      component: { jid: prosody.componentJid, secret: "${XI_TEST_SECRET}", server: prosody.componentServer },
      http: { listen: `127.0.0.1:${port}`, base_url: base },
      data_dir: dir,
      admins: [prosody.adminJid],
      modules_enabled: ["invites", "invites_api", "invites_page", "hello"],
      plugin_paths: [join(root, "test/fixtures/modules")],
      hello_greeting: "Howdy",
      log: { level: "info", file: "server.log" },
    }));
    server = spawn(process.execPath, [join(root, "bin/xmpp-invites.js"), "--config", config], {
      env: { ...process.env, XI_TEST_SECRET: prosody.componentSecret }, stdio: "ignore",
    });
    await until("the component to connect", async () => {
      const res = await fetch(`${base}health`);
      const body = (await res.json()) as { component: { state: string } };
      return body.component.state === "connected" ? true : undefined;
    });
    process.env["XI_TEST_SECRET"] = prosody.componentSecret;
  });

  after(async () => {
    server?.kill("SIGTERM");
    await new Promise((r) => server?.once("exit", r));
    await prosody?.destroy();
    rmSync(dir, { recursive: true, force: true });
    delete process.env["XI_TEST_SECRET"];
  });

  it("serves the plugin module's HTTP route with its configured option", async () => {
    const res = await fetch(`${base}hello/Ada`);
    expect(res.status).to.equal(200);
    expect(((await res.json()) as { text: string }).text).to.equal("Howdy, Ada!");
  });

  it("runs the plugin module's ad-hoc command for a real client on the component", async () => {
    await prosody.registerUser("ada", "ada-password");
    const client = await loginClient({ port: prosody.c2sPort, jid: "ada@localhost", password: "ada-password" });
    try {
      expect((await client.commands(prosody.componentJid)).map((c) => c.node)).to.include("urn:example:hello");
      const done = await client.adhoc(prosody.componentJid, "urn:example:hello", { name: "Ada" });
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
    const made = await ctl("invite", "create_account", prosody.domain);
    expect(made.code).to.equal(0);
    const link = made.stdout.split("\n").find((l) => l.startsWith(base))!;
    expect(link, made.stdout).to.be.a("string");
    expect((await fetch(link)).status).to.equal(200);
    const token = new URL(link).search.slice(1);
    expect((await ctl("invite", "revoke", prosody.domain, token)).code).to.equal(0);
    expect((await fetch(link)).status).to.equal(410);
    expect((await ctl("invite", "extend", prosody.domain, token, "2d")).code).to.equal(0);
    expect((await fetch(link)).status).to.equal(200);
  });

  it("accepts an API key made by invitectl at once, and refuses it at once when deleted", async () => {
    const made = await ctl("mod_invites_api", "create", prosody.domain, "script");
    const key = made.stdout.trim().split("\n").pop()!;
    expect(key).to.match(/^[^/\s]+\/\S+$/);
    const res = await fetch(`${base}invites_api`, { headers: { authorization: `Bearer ${key}` }, redirect: "manual" });
    expect(res.status).to.equal(201);
    expect(res.headers.get("location")).to.match(/invites_page\?/);
    expect((await ctl("mod_invites_api", "delete", prosody.domain, key.split("/")[0]!)).code).to.equal(0);
    const after = await fetch(`${base}invites_api`, { headers: { authorization: `Bearer ${key}` } });
    expect(after.status).to.equal(401);
  });

  it("checks config, store and component link with invitectl check", async () => {
    const res = await ctl("check");
    expect(res.code, res.stderr).to.equal(0);
    expect(res.stdout).to.match(/^config: ok/m);
    expect(res.stdout).to.match(/^store: ok/m);
    // The running server holds the component session, so the server answers "conflict",
    // which it sends only after accepting the secret.
    expect(res.stdout).to.match(/^component: ok \(invites\.localhost accepted by 127\.0\.0\.1:\d+; already connected elsewhere/m);
  });

  it("never writes the tokens or keys it handed out to its log", () => {
    const log = readFileSync(join(dir, "server.log"), "utf8");
    expect(log).to.include("connected to the XMPP server");
    expect(log).not.to.include(prosody.componentSecret);
    expect(log).not.to.match(/invites_page\?[A-Za-z0-9_-]{20,}/);
  });
});
