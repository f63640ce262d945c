// A greeted invite claimed in headless Chromium while the greeter runs the real
// `invitectl invite greet` process, against the real Prosody and the real server process:
// with JavaScript (claim.js and server-sent events) and without it (the page reloads itself).
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { launchBrowser, newContext, PHONE } from "../harness/browser.js";
import type { TestProsody } from "../harness/prosody.js";
import { startProsodyServer, type TestXmppServer } from "../harness/servers.js";
import { loginClient } from "../harness/xmpp-client.js";
import { startCtl } from "../helpers/ctl-process.js";
import { startServer, type ServerProcess } from "../reliability/server.js";

const MODULES = ["invites", "invites_page", "invites_register", "invites_greeting"];

describe("greeted invites: a terminal greeter and a browser claimer (real Prosody 0.12, headless Chromium)", function () {
  this.timeout(120_000);
  let prosody: TestProsody & TestXmppServer;
  let server: ServerProcess;
  let browser: Browser;
  let origin: string;

  before(async () => {
    prosody = await startProsodyServer();
    server = await startServer(prosody, { modules_enabled: MODULES, greeting_timeout: "30 seconds", greeting_liveness: "5 seconds", site_name: "Example Chat" });
    origin = new URL(server.baseUrl).origin;
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
    await prosody?.destroy();
  });

  async function invite(): Promise<{ token: string; url: string }> {
    const made = await server.ctl(["invite", "create_account", "localhost", "--greeted", "--greeter", "Ann"]);
    expect(made.code, made.stderr).to.equal(0);
    return { token: /^Invitation token: (\S+)$/m.exec(made.stdout)![1]!, url: /^Invitation URL: (\S+)$/m.exec(made.stdout)![1]! };
  }

  const codesOnPage = (page: Page) => page.locator("button.code").allTextContents();

  for (const js of [true, false]) {
    it(`right codes both ways ${js ? "with JavaScript (server-sent events)" : "without JavaScript (the page reloads itself)"}: the account exists and logs in`, async () => {
      const inv = await invite();
      const { context, external, errors } = await newContext(browser, origin, PHONE);
      const page = await (js ? context : await browser.newContext({ ...PHONE, javaScriptEnabled: false })).newPage();
      try {
        const user = js ? "hana" : "ines";
        await page.goto(inv.url);
        expect(await page.locator("h1").textContent()).to.equal("Invitation from Ann");
        expect(await page.locator("p.lead").textContent()).to.equal("Ann invites you to create an account on localhost.");
        // Opening the link takes nothing: the seat is taken by the click.
        await page.getByRole("button", { name: "Start" }).click();
        await page.getByText("Waiting for the greeter to start the invitation procedure").waitFor();
        const greeter = startCtl(server.configPath, ["invite", "greet", inv.token]);
        const gcode = (await greeter.line(/^Code to provide to claimer: ([A-Z2-9]{4})$/))[1]!;
        await page.getByText("Select the code provided by the greeter:").waitFor({ timeout: 20_000 });
        const shown = await codesOnPage(page);
        expect(shown).to.have.length(4).and.include(gcode);
        await page.getByRole("button", { name: gcode, exact: true }).click();
        const ccode = (await page.locator("#claimer-code").textContent())!;
        expect(ccode).to.match(/^[A-Z2-9]{4}$/);
        expect((await greeter.line(/^Select code provided by claimer: \((.+)\)$/))[1]!.split(" / ")).to.include(ccode);
        greeter.answer(ccode);
        await page.locator("#user").waitFor({ timeout: 20_000 });
        await page.fill("#user", user);
        await page.fill("#display_name", "Hana Ines");
        await page.fill("#password", "quiet-harbour-58");
        await page.getByRole("button", { name: "Send to the greeter" }).click();
        await page.getByText("Waiting for the greeter to confirm your account").waitFor().catch(async (e: unknown) => { throw new Error(`${String(e)}\n${await page.locator("main").innerText()}\ngreeter: ${greeter.out()}${greeter.err()}`); });
        await greeter.line(new RegExp(`^New user: \\[Hana Ines <${user}@localhost>\\]$`));
        expect([...await prosody.existing([`${user}@localhost`])]).to.deep.equal([]);
        greeter.answer("");
        await greeter.line(/^Create .*\(y\/n\)$/);
        greeter.answer("y");
        await page.locator("#jid").waitFor({ timeout: 20_000 });
        expect(await page.locator("#jid").textContent()).to.equal(`${user}@localhost`);
        expect(await greeter.exit(), greeter.err()).to.equal(0);
        expect(greeter.out()).to.include(`New user: Hana Ines <${user}@localhost>`);
        const c = await loginClient({ port: prosody.c2sPort, jid: `${user}@localhost`, password: "quiet-harbour-58" });
        await c.close();
        if (js) {
          expect(external, "requests to other sites").to.deep.equal([]);
          expect(errors, "console and CSP errors").to.deep.equal([]);
        }
      } finally {
        await page.context().close();
        await context.close();
      }
    });
  }

  it("a wrong code picked in the browser cancels the attempt on both sides, and the page offers to try again", async () => {
    const inv = await invite();
    const { context, errors } = await newContext(browser, origin, PHONE);
    try {
      const page = await context.newPage();
      await page.goto(inv.url);
      await page.getByRole("button", { name: "Start" }).click();
      const greeter = startCtl(server.configPath, ["invite", "greet", inv.token]);
      const gcode = (await greeter.line(/^Code to provide to claimer: ([A-Z2-9]{4})$/))[1]!;
      await page.getByText("Select the code provided by the greeter:").waitFor({ timeout: 20_000 });
      const wrong = (await codesOnPage(page)).find((c) => c !== gcode)!;
      await page.getByRole("button", { name: wrong, exact: true }).click();
      expect(await page.locator(".alert").textContent()).to.include("The claimer picked a code that was not the one shown");
      expect(await page.getByRole("button", { name: "Try again" }).count()).to.equal(1);
      expect(await greeter.exit()).to.equal(1);
      expect(greeter.err()).to.include("The claimer picked a code that was not the one shown");
      expect(errors).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it("closing the page while it is the claimer's turn tells the greeter (the event stream ends)", async () => {
    const inv = await invite();
    const { context } = await newContext(browser, origin, PHONE);
    const page = await context.newPage();
    await page.goto(inv.url);
    await page.getByRole("button", { name: "Start" }).click();
    const greeter = startCtl(server.configPath, ["invite", "greet", inv.token]);
    await greeter.line(/^Code to provide to claimer: /);
    await page.getByText("Select the code provided by the greeter:").waitFor({ timeout: 20_000 });
    await context.close();
    expect(await greeter.exit(60_000)).to.equal(1);
    expect(greeter.err()).to.include("The claimer went away.");
  });
});
