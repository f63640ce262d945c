// invitectl's shell completion, as bash runs it: the script `invitectl completion` prints is
// sourced, and its function completes the modules' commands and flags (asking invitectl,
// which loads the modules of the config) and, without a config, the commands that need none.
import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stringify } from "yaml";

const root = resolve(import.meta.dirname, "../..");

describe("invitectl completion (bash)", function () {
  this.timeout(60_000);
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "xi-completion-"));
    // On the PATH as `npm link` puts it.
    symlinkSync(join(root, "bin/invitectl.js"), join(dir, "invitectl"));
    writeFileSync(join(dir, "config.yml"), stringify({ hosts: ["example.org"], component: { jid: "invites.example.org", secret: "s" }, data_dir: join(dir, "data"), store: "memory://" }));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const complete = (words: string[], config = true) => {
    const script = `source <(invitectl completion)\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(" ")})\nCOMP_CWORD=${words.length - 1}\n_invitectl_yargs_completions\nprintf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync("bash", ["-c", script], { encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env["PATH"]}`, ...(config ? { XMPP_INVITES_CONFIG: join(dir, "config.yml") } : {}) }, cwd: dir });
    expect(r.status, r.stderr).to.equal(0);
    return r.stdout.split("\n").filter(Boolean);
  };

  it("prints a bash/zsh script that completes through invitectl", () => {
    const r = spawnSync(process.execPath, [join(root, "bin/invitectl.js"), "completion"], { encoding: "utf8" });
    expect(r.stdout).to.contain("_invitectl_yargs_completions").and.contain("invitectl --get-yargs-completions");
  });

  it("completes the groups, the modules' commands and their flags", () => {
    expect(complete(["invitectl", ""])).to.include.members(["invite", "mod_invites_api", "check", "completion"]);
    expect(complete(["invitectl", "invite", "create_"])).to.include.members(["create_account", "create_contact", "create_reset"]);
    expect(complete(["invitectl", "invite", "create_account", "--"])).to.include.members(["--short-code", "--qr", "--json"]);
  });

  it("without a config, still completes what needs none", () => {
    expect(complete(["invitectl", "comp"], false)).to.deep.equal(["completion"]);
  });
});
