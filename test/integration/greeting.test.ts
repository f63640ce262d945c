// Greeted invites end to end, against the real Prosody (the happy path on ejabberd too): the real server process
// (bin/xmpp-invites.js), the greeter and the claimer as two more real processes
// (bin/invitectl.js invite greet / invite claim), talking to each other only through the
// server; then a real XMPP client logs in as the new user. Codes read wrong on either side,
// a second claimer, a timeout and Ctrl-C each end the attempt on both sides with no account.
import { expect } from "chai";
import type { TestProsody } from "../harness/prosody.js";
import { startProsodyServer, startServer as startXmppServer, type TestXmppServer } from "../harness/servers.js";
import { loginClient } from "../harness/xmpp-client.js";
import { startCtl } from "../helpers/ctl-process.js";
import { newKeyPair } from "../../modules/invites_greeting/sas.js";
import { startServer, type ServerProcess } from "../reliability/server.js";

const MODULES = ["invites", "invites_api", "invites_page", "invites_register", "invites_adhoc", "invites_greeting"];

/** `invite create_account … --greeted`: Parsec's two lines. */
async function greeted(server: ServerProcess, ...flags: string[]): Promise<{ token: string; url: string; id: string }> {
  const made = await server.ctl(["invite", "create_account", "localhost", "--greeted", ...flags]);
  expect(made.code, made.stderr).to.equal(0);
  const token = /^Invitation token: (\S+)$/m.exec(made.stdout)?.[1];
  const url = /^Invitation URL: (\S+)$/m.exec(made.stdout)?.[1];
  expect(token, made.stdout).to.be.a("string");
  expect(url, made.stdout).to.match(/\/invites_greeting\/claim\?/);
  const shown = await server.ctl(["--json", "invite", "show", "localhost", url!.slice(url!.indexOf("?") + 1)]);
  return { token: token!, url: url!, id: (JSON.parse(shown.stdout) as { id: string }).id };
}

/** The codes each side printed. */
const code = (m: RegExpExecArray) => m[1]!;
const options = (m: RegExpExecArray) => m[1]!.split(" / ");

/**
 * The whole happy path: both sides read the right code, the claimer fills in the account, the
 * greeter confirms (with `role` as the profile where given); the account logs in.
 */
async function rightCodesBothWays(xmpp: TestXmppServer, server: ServerProcess, role: string | undefined): Promise<void> {
  const inv = await greeted(server, "--greeter", "Ann <ann@localhost>", ...(role ? ["--role", role] : []));
  const listed = await server.ctl(["invite", "list", "localhost"]);
  expect(listed.stdout).to.match(new RegExp(`^${inv.id} .*greeting=waiting-for-claimer$`, "m"));
  const greeter = startCtl(server.configPath, ["invite", "greet", inv.token]);
  // The invitee has no config file: claim needs only the URL.
  const claimer = startCtl(undefined, ["invite", "claim", inv.url]);
  await claimer.line(/^✔ Retrieving invitation info$/);
  await claimer.line(/^Invitation greeter: Ann <ann@localhost>$/);
  await greeter.line(/^✔ Retrieving invitation info$/);
  await greeter.line(/^✔ Waiting for claimer$/);
  const gcode = code(await greeter.line(/^Code to provide to claimer: ([A-Z2-9]{4})$/));
  await claimer.line(/^✔ Waiting the greeter to start the invitation procedure$/);
  const pick = options(await claimer.line(/^Select code provided by greeter: \((.+)\)$/));
  expect(pick).to.have.length(4).and.include(gcode);
  claimer.answer(gcode);
  const ccode = code(await claimer.line(/^Code to provide to greeter: ([A-Z2-9]{4})$/));
  await greeter.line(/^✔ Waiting for claimer$/);
  expect(options(await greeter.line(/^Select code provided by claimer: \((.+)\)$/))).to.include(ccode);
  greeter.answer(ccode);
  await claimer.line(/^✔ Waiting for greeter$/);
  await claimer.line(/^Enter username:$/);
  claimer.answer("gail");
  await claimer.line(/^Enter name:/);
  claimer.answer("Gail");
  await claimer.line(/^Enter password:$/);
  claimer.answer("granite-parsnip-77");
  await claimer.line(/^Confirm password:$/);
  claimer.answer("granite-parsnip-77");
  await greeter.line(/^✔ Waiting for claimer information$/);
  await greeter.line(/^New user: \[Gail <gail@localhost>\]$/);
  // Before the greeter confirms, nothing exists.
  expect([...await xmpp.existing(["gail@localhost"])]).to.deep.equal([]);
  greeter.answer("");
  if (role) {
    await greeter.line(new RegExp(`^Which profile\\?.*\\(comma-separated, among ${role}; empty for none\\)$`));
    greeter.answer(role);
  }
  await greeter.line(new RegExp(`^Create gail@localhost${role ? ` with ${role}` : ""}\\? \\(y\\/n\\)$`));
  greeter.answer("y");
  await greeter.line(/^✔ Creating the user in the server$/);
  await greeter.line(/^New user: Gail <gail@localhost>$/);
  await claimer.line(/^New user created: Gail <gail@localhost>$/);
  expect(await greeter.exit(), greeter.err()).to.equal(0);
  expect(await claimer.exit(), claimer.err()).to.equal(0);
  const gail = await loginClient({ port: xmpp.c2sPort, jid: "gail@localhost", password: "granite-parsnip-77" });
  await gail.close();
  const shown = await server.ctl(["invite", "show", "localhost", inv.id]);
  expect(shown.stdout).to.match(/^status: +used$/m).and.match(/^greeting: +done$/m).and.match(/^claimer: +Gail <gail@localhost>$/m).and.match(role ? new RegExp(`^confirmed: +gail \\(${role}\\)$`, "m") : /^confirmed: +gail$/m);
}

describe("greeted invites: greeter and claimer as real processes (real Prosody 0.12)", function () {
  this.timeout(120_000);
  let prosody: TestProsody & TestXmppServer;
  let server: ServerProcess;

  before(async () => {
    prosody = await startProsodyServer();
    server = await startServer(prosody, { modules_enabled: MODULES, greeting_timeout: "30 seconds", greeting_attempts: 3 });
  });
  after(async () => {
    await server?.stop();
    await prosody?.destroy();
  });

  it("right codes both ways: the greeter confirms, the account exists and logs in, list and show say done", async () => {
    await rightCodesBothWays(prosody, server, "prosody:member");
  });

  for (const wrong of ["claimer", "greeter"] as const) {
    it(`a wrong code picked by the ${wrong}: both sides are told, no account, one attempt used`, async () => {
      const inv = await greeted(server);
      const greeter = startCtl(server.configPath, ["invite", "greet", inv.token]);
      const claimer = startCtl(server.configPath, ["invite", "claim", inv.url]);
      const gcode = code(await greeter.line(/^Code to provide to claimer: ([A-Z2-9]{4})$/));
      const pick = options(await claimer.line(/^Select code provided by greeter: \((.+)\)$/));
      if (wrong === "claimer") {
        claimer.answer(pick.find((c) => c !== gcode)!);
      } else {
        claimer.answer(gcode);
        const ccode = code(await claimer.line(/^Code to provide to greeter: ([A-Z2-9]{4})$/));
        const choices = options(await greeter.line(/^Select code provided by claimer: \((.+)\)$/));
        greeter.answer(choices.find((c) => c !== ccode)!);
      }
      const told = wrong === "claimer" ? "The claimer picked a code that was not the one shown" : "The greeter picked a code that was not the one shown";
      expect(await claimer.exit()).to.equal(1);
      expect(await greeter.exit()).to.equal(1);
      expect(claimer.err()).to.include(told).and.include("2 of 3 attempts left");
      expect(greeter.err()).to.include(told);
      const shown = await server.ctl(["invite", "show", "localhost", inv.id]);
      expect(shown.stdout).to.match(/^status: +pending$/m).and.match(/^failed: +1 of 3 attempts$/m).and.match(/^greeting: +waiting for claimer$/m);
      expect((await server.ctl(["--json", "invite", "show", "localhost", inv.id])).stdout).to.include('"uses_completed": 0');
    });
  }

  it("refuses a second claimer while one is claiming, and Ctrl-C of the first tells the greeter", async () => {
    const inv = await greeted(server);
    const first = startCtl(server.configPath, ["invite", "claim", inv.url]);
    await first.line(/^Invitation greeter: /);
    const second = startCtl(server.configPath, ["invite", "claim", inv.url]);
    expect(await second.exit()).to.equal(1);
    expect(second.err()).to.include("Someone else is already claiming this invite");
    const greeter = startCtl(server.configPath, ["invite", "greet", inv.token]);
    await first.line(/^Select code provided by greeter: /);
    first.kill("SIGINT");
    expect(await first.exit()).to.equal(1);
    expect(first.err()).to.include("Cancelled: the other side has been told");
    expect(await greeter.exit()).to.equal(1);
    expect(greeter.err()).to.include("The claimer cancelled.");
  });

  it("refuses the link in the web registration form and in the JSON API's claim without a greeter", async () => {
    const inv = await greeted(server);
    const token = inv.url.slice(inv.url.indexOf("?") + 1);
    // The landing page and the registration form send the visitor to the claim page.
    const landing = await fetch(new URL(`invites_page?${token}`, server.baseUrl), { redirect: "manual" });
    expect(landing.status).to.equal(303);
    expect(landing.headers.get("location")).to.equal(inv.url);
    const form = await fetch(new URL(`register?t=${token}`, server.baseUrl), { redirect: "manual" });
    expect(form.status).to.equal(303);
    // Claiming alone gets nowhere: the claimer waits for a greeter.
    const join = await fetch(new URL("invites_greeting/api/claimer/join", server.baseUrl), {
      method: "POST", headers: { authorization: `Bearer ${token}`, "content-type": "application/json" }, body: JSON.stringify({ key: newKeyPair().publicKey }),
    });
    expect(join.status).to.equal(201);
    expect(((await join.json()) as { phase: string }).phase).to.equal("waiting_for_greeter");
  });
});

describe("greeted invites: timeouts and the last attempt (real Prosody 0.12)", function () {
  this.timeout(120_000);
  let prosody: TestProsody & TestXmppServer;
  let server: ServerProcess;

  before(async () => {
    prosody = await startProsodyServer();
    // Short, configured timeouts instead of long sleeps.
    server = await startServer(prosody, { modules_enabled: MODULES, greeting_timeout: "4 seconds", greeting_liveness: "3 seconds", greeting_attempts: 1 });
  });
  after(async () => {
    await server?.stop();
    await prosody?.destroy();
  });

  it("a greeter waiting for a claimer who never comes times out", async () => {
    const inv = await greeted(server);
    const greeter = startCtl(server.configPath, ["invite", "greet", inv.token]);
    await greeter.line(/^✔ Retrieving invitation info$/);
    expect(await greeter.exit(20_000)).to.equal(1);
    expect(greeter.err()).to.include("Timed out waiting for the claimer to come.");
  });

  it("a claimer killed without a word (SIGKILL) counts as gone: the greeter is told", async () => {
    const inv = await greeted(server);
    const claimer = startCtl(server.configPath, ["invite", "claim", inv.url]);
    await claimer.line(/^Invitation greeter: /);
    const greeter = startCtl(server.configPath, ["invite", "greet", inv.token]);
    await claimer.line(/^Select code provided by greeter: /);
    await greeter.line(/^Code to provide to claimer: /);
    claimer.kill("SIGKILL");
    expect(await greeter.exit(20_000)).to.equal(1);
    expect(greeter.err()).to.match(/The claimer went away\.|Timed out waiting for the claimer to pick/);
  });

  it("after the last allowed attempt ends with a wrong code, the invite is revoked", async () => {
    const inv = await greeted(server);
    const greeter = startCtl(server.configPath, ["invite", "greet", inv.token]);
    const claimer = startCtl(server.configPath, ["invite", "claim", inv.url]);
    const gcode = code(await greeter.line(/^Code to provide to claimer: ([A-Z2-9]{4})$/));
    const pick = options(await claimer.line(/^Select code provided by greeter: \((.+)\)$/));
    claimer.answer(pick.find((c) => c !== gcode)!);
    expect(await claimer.exit()).to.equal(1);
    expect(claimer.err()).to.include("No attempts are left: the invite has been revoked.");
    expect(await greeter.exit()).to.equal(1);
    const shown = await server.ctl(["invite", "show", "localhost", inv.id]);
    expect(shown.stdout).to.match(/^status: +revoked$/m).and.match(/^greeting: +cancelled$/m);
    const again = startCtl(server.configPath, ["invite", "claim", inv.url]);
    expect(await again.exit()).to.equal(1);
    expect(again.err()).to.match(/revoked/);
  });
});

describe("greeted invites: greeter and claimer as real processes (real ejabberd 23.01)", function () {
  this.timeout(120_000);
  let ejabberd: TestXmppServer;
  let server: ServerProcess;

  before(async () => {
    ejabberd = await startXmppServer("ejabberd");
    server = await startServer(ejabberd, { modules_enabled: MODULES, greeting_timeout: "30 seconds", greeting_attempts: 3 });
  });
  after(async () => {
    await server?.stop();
    await ejabberd?.destroy();
  });

  it("right codes both ways: the greeter confirms, the account exists and logs in, list and show say done", async () => {
    await rightCodesBothWays(ejabberd, server, undefined);
  });
});
