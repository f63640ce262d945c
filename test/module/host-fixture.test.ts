// A module that lives outside modules/ (a test fixture) adds an HTTP route, an ad-hoc
// command and a ctl command through core's contract alone.
import { expect } from "chai";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { hello, type HelloApi } from "../helpers/hello.js";
import { runner } from "../helpers/adhoc.js";

describe("host with a fixture module", () => {
  let t: TestHost;
  before(async () => { t = await startTestHost({ modules: [hello], http: true, store: "sqlite", options: { hello_greeting: "Hi" } }); });
  after(async () => { await t.stop(); });

  it("mounts the module's HTTP route at /<module name> and uses its typed options", async () => {
    const res = await fetch(`${t.baseUrl}hello/Ada`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.equal({ text: "Hi, Ada!", ttl: 3_600_000 });
  });

  it("turns a typed error into its HTTP status and a JSON body naming the problem", async () => {
    const res = await fetch(`${t.baseUrl}hello/R2D2`);
    expect(res.status).to.equal(400);
    expect(await res.json()).to.deep.equal({ error: "hello.bad_name", message: 'Bad name "R2D2": letters only', detail: { field: "name" } });
  });

  it("answers unknown paths and malformed bodies with a JSON 4xx", async () => {
    const missing = await fetch(`${t.baseUrl}nowhere`);
    expect(missing.status).to.equal(404);
    expect((await missing.json() as { error: string }).error).to.equal("core.not_found");
    const bad = await fetch(`${t.baseUrl}hello/Ada`, { method: "POST", headers: { "content-type": "application/json" }, body: "{nope" });
    expect(bad.status).to.be.oneOf([400, 404]);
  });

  it("runs the module's ctl command, with --json and a usage error exit code", async () => {
    expect(await t.runCtl(["mod_hello", "greet", "Bob", "--shout"])).to.deep.equal({ code: 0, stdout: "HI, BOB!\n", stderr: "" });
    const json = await t.runCtl(["mod_hello", "greet", "Bob", "--json"]);
    expect(JSON.parse(json.stdout)).to.deep.equal({ text: "Hi, Bob!" });
    const bad = await t.runCtl(["mod_hello", "greet", "B0b"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.equal('invitectl: Bad name "B0b": letters only\n');
    const unknown = await t.runCtl(["mod_hello", "frobnicate"]);
    expect(unknown.code).to.equal(2);
  });

  it("registers the module's ad-hoc command with its permission", async () => {
    const cmd = t.host.commands.get("urn:example:hello");
    expect(cmd?.permission).to.equal("any");
    const adhoc = runner(t);
    const first = await adhoc.run("urn:example:hello", "a@localhost");
    expect(first.status).to.equal("executing");
    expect(first.form?.fields[0]?.var).to.equal("name");
    const done = await adhoc.step("urn:example:hello", "a@localhost", "complete", first, { name: "Ada" });
    expect(done.status).to.equal("completed");
    expect(done.notes).to.deep.equal([{ type: "info", text: "Hi, Ada!" }]);
  });

  it("serializes concurrent read-modify-write updates of one key", async () => {
    const api = t.api<HelloApi>("hello");
    const before = await api.count();
    await Promise.all(Array.from({ length: 50 }, () => fetch(`${t.baseUrl}hello/Ada`)));
    expect(await api.count()).to.equal(before + 50);
  });

  it("reports health with the store state and the modules", async () => {
    const res = await fetch(`${t.baseUrl}health`);
    expect(res.status).to.equal(200);
    expect(await res.json()).to.deep.include({ status: "ok", store: "ok", modules: ["hello"] });
  });
});
