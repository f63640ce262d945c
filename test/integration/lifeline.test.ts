// No server outlives what started it: `npm run demo` stops its Prosody (and removes its
// folder) on SIGHUP (a closed terminal) and SIGTERM as on Ctrl-C, and prints the invite as a
// QR code; the harness's Prosody and ejabberd stop when the process that started them (a test
// runner) is killed outright with SIGKILL.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");
const ESC = String.fromCharCode(27);

/** Whether a process (or, negative, a process group) exists. */
const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

async function gone(what: string, pid: number, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (alive(pid)) {
    if (Date.now() > end) throw new Error(`${what} (pid ${pid}) is still running`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Reads the child's standard output until `done` matches it. */
function outputUntil(child: ChildProcess, done: RegExp, ms = 60_000): Promise<string> {
  return new Promise((resolveOut, reject) => {
    let out = "", err = "";
    const timer = setTimeout(() => reject(new Error(`no ${done} within ${ms} ms; output:\n${out}\n${err}`)), ms);
    child.stdout!.on("data", (b: Buffer) => { out += b.toString(); if (done.test(out)) { clearTimeout(timer); resolveOut(out); } });
    child.stderr!.on("data", (b: Buffer) => { err += b.toString(); });
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`exited (${code}) before ${done}; output:\n${out}\n${err}`)); });
  });
}

describe("no server left running (real Prosody 0.12, ejabberd 23.01)", function () {
  this.timeout(120_000);

  for (const signal of ["SIGHUP", "SIGTERM"] as const) {
    it(`npm run demo prints the invite as a QR code, and stops its Prosody on ${signal}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "xi-demo-"));
      const demo = spawn(process.execPath, [join(root, "bin/demo.js")], { env: { ...process.env, XMPP_INVITES_DEMO_DIR: dir }, stdio: ["ignore", "pipe", "pipe"] });
      try {
        const out = await outputUntil(demo, /Ctrl-C stops the demo/);
        const m = /^prosody: pid (\d+), (\S+)$/m.exec(out);
        expect(m, out).to.not.equal(null);
        const [pid, prosodyDir] = [Number(m![1]), m![2]!];
        expect(alive(pid), "Prosody runs").to.equal(true);
        expect(out).to.match(/^invite: http:\/\/localhost:\d+\/invites_page\?/m);
        // A terminal QR code: half blocks (black on white, ANSI colours), many lines of them.
        const qr = out.slice(out.indexOf("invite qr:\n") + 11).split("\n").filter((l) => l.startsWith(`${ESC}[47m${ESC}[30m`) && /^[ ▀▄█]+$/.test(l.slice(10, -4)));
        expect(qr.length, out).to.be.at.least(15);
        const exit = new Promise<number | null>((r) => demo.once("exit", (code) => r(code)));
        demo.kill(signal);
        expect(await exit).to.equal(0);
        await gone("the demo's Prosody", pid);
        expect(existsSync(prosodyDir), "Prosody's folder removed").to.equal(false);
      } finally {
        if (demo.exitCode === null) demo.kill("SIGKILL");
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }

  it("the harness's Prosody and ejabberd stop when the process that started them is killed with SIGKILL", async () => {
    const starter = spawn(process.execPath, ["--import", "tsx", join(root, "test/fixtures/start-servers.ts")], { stdio: ["ignore", "pipe", "pipe"] });
    let started: { prosody: number; prosodyDir: string; ejabberd: number } | undefined;
    try {
      const out = await outputUntil(starter, /^\{.*\}\n/m, 90_000);
      started = JSON.parse(out.trim().split("\n").pop()!) as typeof started;
      expect(alive(started!.prosody), "Prosody runs").to.equal(true);
      expect(alive(-started!.ejabberd), "ejabberd's process group runs").to.equal(true);
      starter.kill("SIGKILL");
      await gone("Prosody", started!.prosody);
      await gone("ejabberd's process group", -started!.ejabberd);
    } finally {
      if (starter.exitCode === null) starter.kill("SIGKILL");
      // Nothing cleaned up after a SIGKILL: the folders are the test's to remove.
      if (started) rmSync(started.prosodyDir, { recursive: true, force: true });
    }
  });
});
