import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { checkConfig, ConfigError, loadConfigFile } from "../../core/config.js";
import { Host } from "../../core/host.js";
import hello from "../fixtures/modules/hello/index.js";

const run = promisify(execFile);
const base = { hosts: ["localhost"], component: { jid: "invites.localhost", secret: "s" }, store: "memory://", modules_enabled: [] as string[] };

function problemsOf(fn: () => unknown): string[] {
  try { fn(); } catch (e) { if (e instanceof ConfigError) return e.problems; throw e; }
  expect.fail("expected a ConfigError");
}

async function hostProblems(raw: Record<string, unknown>): Promise<string> {
  try {
    await Host.create({ config: checkConfig(raw, "/etc/xi.yml"), mode: "test", definitions: [hello] });
  } catch (e) { return (e as Error).message; }
  return expect.fail("expected start-up to fail");
}

describe("config", () => {
  it("names a value of the wrong type and the file", () => {
    const p = problemsOf(() => checkConfig({ ...base, hosts: "localhost" }, "/etc/xi.yml"));
    expect(p).to.deep.equal(["/etc/xi.yml: hosts: must be array"]);
  });

  it("reads ejabberd_api, and refuses plain http to another machine or a user without a password", () => {
    const ok = checkConfig({ ...base, ejabberd_api: { url: "http://127.0.0.1:5280/api", user: "api@localhost", password: "p" } }, "/etc/xi.yml");
    expect(ok.ejabberdApi).to.deep.equal({ url: "http://127.0.0.1:5280/api", user: "api@localhost", password: "p" });
    expect(checkConfig({ ...base, ejabberd_api: { url: "https://xmpp.example.org/api" } }, "/etc/xi.yml").ejabberdApi).to.deep.equal({ url: "https://xmpp.example.org/api" });
    expect(problemsOf(() => checkConfig({ ...base, ejabberd_api: { url: "http://xmpp.example.org/api", user: "api@localhost" } }, "/etc/xi.yml"))).to.deep.equal([
      "/etc/xi.yml: ejabberd_api: url: plain http only to a loopback address (127.0.0.1, ::1, localhost), got xmpp.example.org; use https for another machine",
      "/etc/xi.yml: ejabberd_api: user and password go together (HTTP Basic credentials of an ejabberd account)",
    ]);
    expect(problemsOf(() => checkConfig({ ...base, ejabberd_api: { url: "ftp://x" } }, "/etc/xi.yml"))[0]).to.contain("ejabberd_api.url");
  });

  it("names the store URIs it takes (redis:// and the @keyv packages are no longer used)", () => {
    const p = problemsOf(() => checkConfig({ ...base, store: "redis://127.0.0.1" }, "/etc/xi.yml"));
    expect(p).to.deep.equal(["/etc/xi.yml: store: use sqlite://FILE (relative to data_dir), postgres://USER:PASSWORD@HOST:PORT/DATABASE, or memory://"]);
  });

  it("names a missing secret", () => {
    const p = problemsOf(() => checkConfig({ ...base, component: { jid: "invites.localhost" } }, "/etc/xi.yml"));
    expect(p).to.deep.equal(['/etc/xi.yml: component: missing required key "secret"']);
  });

  it("names an environment variable that is not set", () => {
    const p = problemsOf(() => checkConfig({ ...base, component: { jid: "c.localhost", secret: "${XI_NOT_SET_ANYWHERE}" } }, "f.yml", {}));
    expect(p).to.deep.equal(["f.yml: component.secret: environment variable XI_NOT_SET_ANYWHERE is not set"]);
  });

  it("takes secrets from the environment", () => {
    const c = checkConfig({ ...base, component: { jid: "c.localhost", secret: "${XI_SECRET}" } }, "f.yml", { XI_SECRET: "from-env" });
    expect(c.component.secret).to.equal("from-env");
  });

  it("names an unknown key inside a core section", () => {
    const p = problemsOf(() => checkConfig({ ...base, http: { listen: "127.0.0.1:80", lisen: "x" } }, "f.yml"));
    expect(p).to.deep.equal(['f.yml: http: unknown key "lisen"']);
  });

  it("stops start-up on an unknown module, naming it", async () => {
    expect(await hostProblems({ ...base, modules_enabled: ["hello", "invites_typo"] })).to.match(/unknown module "invites_typo"/);
  });

  it("stops start-up on a bad module option, naming it and the file", async () => {
    expect(await hostProblems({ ...base, modules_enabled: ["hello"], hello_ttl: "5 seconds" }))
      .to.include('/etc/xi.yml: option "hello_ttl": must be at least 1min, got 5s');
  });

  it("stops start-up on an option no enabled module reads", async () => {
    expect(await hostProblems({ ...base, modules_enabled: ["hello"], hello_greting: "Hi" })).to.include('unknown option "hello_greting"');
  });

  it("reports bad YAML with its line", () => {
    const dir = mkdtempSync(join(tmpdir(), "xi-cfg-"));
    writeFileSync(join(dir, "c.yml"), "hosts: [localhost\ncomponent: {}\n");
    const p = problemsOf(() => loadConfigFile(join(dir, "c.yml")));
    expect(p[0]).to.match(/c\.yml line \d+: not valid YAML/);
  });

  it("makes the server exit with status 2 and one line per problem", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xi-cfg-"));
    const file = join(dir, "config.yml");
    writeFileSync(file, "hosts: localhost\ncomponent:\n  jid: invites.localhost\nmodules_enabled: [invites, no_such_module]\n");
    try {
      await run(process.execPath, ["bin/xmpp-invites.js", "--config", file]);
      expect.fail("the server should not start");
    } catch (e) {
      const err = e as { code: number; stderr: string };
      expect(err.code).to.equal(2);
      expect(err.stderr).to.include(`${file}: hosts: must be array`);
      expect(err.stderr).to.include(`${file}: component: missing required key "secret"`);
      expect(err.stderr).not.to.match(/\n\s+at /);
    }
  });
});
