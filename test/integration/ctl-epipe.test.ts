// Regression: `invitectl … | head -1` died with an unhandled EPIPE and a stack trace once the
// reader had gone. The real executable, its stdout a pipe whose reading end is already closed.
import { expect } from "chai";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const root = resolve(import.meta.dirname, "../..");

describe("invitectl writing to a closed pipe", function () {
  this.timeout(30_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "xi-epipe-"));
    writeFileSync(join(dir, "config.yml"), "hosts: [localhost]\ncomponent: { jid: invites.localhost, secret: s }\nstore: \"memory://\"\n");
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const args of [["--help"], ["invite", "--help"]]) {
    it(`exits quietly with status 0 when nobody reads its output (invitectl ${args.join(" ")})`, async () => {
      const child = spawn(process.execPath, [join(root, "bin/invitectl.js"), "--config", join(dir, "config.yml"), ...args], { stdio: ["ignore", "pipe", "pipe"] });
      // Closed before the process (a second of start-up) writes anything: as `| head -0` would.
      child.stdout.destroy();
      let stderr = "";
      child.stderr.on("data", (b: Buffer) => { stderr += b.toString(); });
      const [code, signal] = await new Promise<[number | null, string | null]>((r) => child.once("exit", (c, s) => r([c, s])));
      expect(stderr).to.not.match(/EPIPE|Unhandled|\n\s+at /);
      expect(stderr).to.equal("");
      expect([code, signal]).to.deep.equal([0, null]);
    });
  }
});
