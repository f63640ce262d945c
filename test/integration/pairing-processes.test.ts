// Two real server processes, one of them the pairing directory (invites_directory), the
// other a server on the real Prosody publishing to it (invites_pairing), and the real
// invitectl beside each: an invite made by invitectl with a short code is published, its
// directory code leads (302) to the server's /pairing/CODE and on (303) to the landing page
// that shows it; the directory bounds its life; revoking, and using the invite up through
// web registration, withdraw it. (Expiry on the directory's clock: test/module/pairing.test.ts.)
import { expect } from "chai";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { randomBytes } from "node:crypto";
import { stringify } from "yaml";
import { startProsody, type TestProsody } from "../harness/prosody.js";
import { freePort } from "../harness/ports.js";
import { until } from "../helpers/wait.js";

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const DIRECTORY_JID = "directory.localhost";

interface Proc { config: string; base: string; child: ChildProcess }

describe("pairing across two server processes, one of them the directory (real Prosody 0.12)", function () {
  this.timeout(90_000);
  let prosody: TestProsody;
  let dir: string;
  let directory: Proc, server: Proc;
  const directorySecret = randomBytes(18).toString("base64url");

  const ctl = async (p: Proc, ...args: string[]) => {
    const { stdout } = await run(process.execPath, [join(root, "bin/invitectl.js"), "--config", p.config, ...args]);
    return stdout;
  };

  async function startProcess(name: string, port: number, config: Record<string, unknown>): Promise<Proc> {
    const file = join(dir, `${name}.yml`);
    const base = `http://127.0.0.1:${port}/`;
    writeFileSync(file, stringify({ http: { listen: `127.0.0.1:${port}`, base_url: base }, data_dir: join(dir, name), log: { level: "info", file: `${name}.log` }, ...config }), { mode: 0o600 });
    const child = spawn(process.execPath, [join(root, "bin/xmpp-invites.js"), "--config", file], { stdio: "ignore" });
    await until(`${name} to be connected`, async () => {
      const body = (await (await fetch(`${base}health`)).json()) as { component: { state: string } };
      return body.component.state === "connected" ? true : undefined;
    });
    return { config: file, base, child };
  }

  before(async () => {
    // A second component on the same Prosody for the directory process.
    prosody = await startProsody({ extraConfig: `Component "${DIRECTORY_JID}"\n  component_secret = "${directorySecret}"\n` });
    dir = mkdtempSync(join(tmpdir(), "xi-pairing-"));
    const [dport, sport] = [await freePort(), await freePort()];
    directory = await startProcess("directory", dport, {
      hosts: ["localhost"], component: { jid: DIRECTORY_JID, secret: directorySecret, server: prosody.componentServer },
      modules_enabled: ["invites_directory"], directory_max_ttl: "5 minutes",
    });
    const key = (await ctl(directory, "mod_invites_directory", "add", "test server", `http://127.0.0.1:${sport}`)).trim();
    expect(key).to.match(/^[A-Za-z0-9_-]{12}\/[A-Za-z0-9_-]{43}$/);
    server = await startProcess("server", sport, {
      hosts: ["localhost"], component: { jid: prosody.componentJid, secret: prosody.componentSecret, server: prosody.componentServer },
      admins: ["admin@localhost"],
      modules_enabled: ["invites", "invites_page", "invites_register", "invites_pairing"],
      register_rate_limit: 0, invites_page_rate_limit: 0,
      pairing_directory_url: `${directory.base}pairing`, pairing_directory_api_key: key,
    });
  });

  after(async () => {
    for (const p of [server, directory]) {
      if (p && p.child.exitCode === null && p.child.signalCode === null) {
        const gone = new Promise((r) => p.child.once("exit", r));
        p.child.kill("SIGTERM");
        await gone;
      }
    }
    await prosody?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** An invite made by the real invitectl (whose process publishes it), and its directory code. */
  const invite = async () => {
    const made = JSON.parse(await ctl(server, "--json", "invite", "create_account", "localhost", "--short-code")) as { link: string; short_code: string; short_code_expires_at: string; id: string };
    const token = made.link.split("?")[1]!;
    const shown = JSON.parse(await ctl(server, "--json", "mod_invites_pairing", "show", token)) as { code: string; url: string; expires_at: string } | null;
    expect(shown, "published by the time invitectl exits").to.not.equal(null);
    return { ...made, token, pairing: shown! };
  };
  const lookup = (code: string) => fetch(`${directory.base}pairing/${code}`, { redirect: "manual", headers: { accept: "text/html" } });

  it("publish -> directory -> 302 -> /pairing/CODE -> 303 -> the landing page, which shows the directory's code", async () => {
    const { pairing, short_code: local, link } = await invite();
    expect(pairing.url).to.equal(`${directory.base}pairing/${pairing.code}`);
    const first = await lookup(pairing.code);
    expect(first.status).to.equal(302);
    expect(first.headers.get("location")).to.equal(`${server.base}pairing/${local}`);
    const second = await fetch(first.headers.get("location")!, { redirect: "manual", headers: { accept: "text/html" } });
    expect(second.status).to.equal(303);
    expect(second.headers.get("location")).to.equal(link);
    const page = await fetch(link);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.contain(`${pairing.code.slice(0, 4)}-${pairing.code.slice(4)}`);
  });

  it("the directory's code lives no longer than the short code, and at most its directory_max_ttl", async () => {
    const { pairing, short_code_expires_at: ours } = await invite();
    const until = Date.parse(pairing.expires_at);
    expect(until).to.be.at.most(Date.parse(ours));
    expect(until - Date.now()).to.be.within(4 * 60_000, 5 * 60_000);
  });

  it("revoking the invite (invitectl) withdraws its code from the directory", async () => {
    const { pairing, id } = await invite();
    expect((await lookup(pairing.code)).status).to.equal(302);
    await ctl(server, "invite", "revoke", "localhost", id);
    expect((await lookup(pairing.code)).status).to.equal(404);
  });

  it("using the invite up (web registration on the server process) withdraws its code", async () => {
    const { pairing, token } = await invite();
    const form = await fetch(`${server.base}register?t=${token}`);
    const cookie = (form.headers.get("set-cookie") ?? "").split(";")[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? "";
    const done = await fetch(`${server.base}register?t=${token}`, {
      method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ csrf, token, user: "paired", password: "a-long-enough-password" }),
    });
    expect(done.status).to.equal(200);
    await until("the withdrawal", async () => ((await lookup(pairing.code)).status === 404 ? true : undefined));
  });
});
