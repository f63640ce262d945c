// Files holding secrets are private: data_dir 0700, the SQLite database and its WAL 0600,
// the log 0600; a config file with a secret in clear that others can read gets one warning.
import { expect } from "chai";
import { chmodSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import { loadConfigFile } from "../../core/config.js";
import { Host } from "../../core/host.js";

const mode = (p: string) => statSync(p).mode & 0o777;

describe("private files", () => {
  let dir: string;
  beforeEach(() => { dir = mkdtempSync(join(tmpdir(), "xi-private-")); chmodSync(dir, 0o755); });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  async function start(secret: string, fileMode: number) {
    const file = join(dir, "config.yml");
    writeFileSync(file, [
      "hosts: [example.org]",
      `component: { jid: invites.example.org, secret: "${secret}" }`,
      "data_dir: data",
      "log: { level: info, file: logs/server.log }",
      "modules_enabled: [invites]",
    ].join("\n"));
    chmodSync(file, fileMode);
    const lines: string[] = [];
    const logger = pino({ level: "info" }, new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }));
    process.env["XI_TEST_SECRET"] = "from-the-environment";
    const host = await Host.create({ config: loadConfigFile(file), mode: "server", logger, connect: false });
    await host.api<{ createAccount(o: object): Promise<unknown> }>("invites").createAccount({ host: "example.org", source: "test" });
    return { host, lines, file };
  }

  it("makes data_dir 0700 and the database and its WAL 0600", async () => {
    const { host } = await start("${XI_TEST_SECRET}", 0o644);
    try {
      expect(mode(join(dir, "data"))).to.equal(0o700);
      expect(mode(join(dir, "data", "invites.sqlite"))).to.equal(0o600);
      expect(existsSync(join(dir, "data", "invites.sqlite-wal"))).to.equal(true);
      expect(mode(join(dir, "data", "invites.sqlite-wal"))).to.equal(0o600);
    } finally {
      await host.stop();
    }
  });

  it("writes the log file 0600", async () => {
    const { createLogger } = await import("../../core/log.js");
    const log = createLogger({ level: "info", file: join(dir, "logs", "x.log") });
    log.info("hello");
    for (let i = 0; i < 100 && !existsSync(join(dir, "logs", "x.log")); i++) await new Promise((r) => setTimeout(r, 20));
    expect(mode(join(dir, "logs", "x.log"))).to.equal(0o600);
  });

  it("warns once, naming the file, when a config holding a secret in clear is readable by others", async () => {
    const clear = await start("s3cret-in-the-file", 0o644);
    await clear.host.stop();
    const warnings = clear.lines.filter((l) => l.includes("holds secrets and other users can read it"));
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.contain(clear.file);
    const fromEnv = await start("${XI_TEST_SECRET}", 0o644);
    await fromEnv.host.stop();
    expect(fromEnv.lines.some((l) => l.includes("holds secrets"))).to.equal(false);
    const privateOne = await start("s3cret-in-the-file", 0o600);
    await privateOne.host.stop();
    expect(privateOne.lines.some((l) => l.includes("holds secrets"))).to.equal(false);
  });
});
