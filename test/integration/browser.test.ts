// The whole journey in headless Chromium: open an invite link, pick an app, register,
// see the success page; then a real XMPP client logs in as the new user on the real
// server (Prosody 0.12, then ejabberd 23.01) and finds the inviter in its roster. With
// UPDATE_SCREENSHOTS=1 the pages (of the Prosody run) are also saved to docs/screenshots/.
import { mkdirSync } from "node:fs";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import type { InvitesApi } from "../../modules/invites/types.js";
import { launchBrowser, newContext, DESKTOP, PHONE } from "../harness/browser.js";
import { startServer, SERVER_KINDS, SERVER_NAMES, type ServerKind, type TestXmppServer } from "../harness/servers.js";
import { loginClient } from "../harness/xmpp-client.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { waitFor } from "../helpers/wait.js";

const SHOTS = process.env["UPDATE_SCREENSHOTS"] === "1" ? new URL("../../docs/screenshots/", import.meta.url).pathname : undefined;

async function shot(kind: ServerKind, page: Page, name: string): Promise<void> {
  if (!SHOTS || kind !== "prosody") return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}

for (const kind of SERVER_KINDS) {
describe(`the invite journey in a browser (${SERVER_NAMES[kind]})`, function () {
  this.timeout(90_000);
  let server: TestXmppServer;
  let t: TestHost;
  let invites: InvitesApi;
  let browser: Browser;
  let origin: string;

  before(async () => {
    server = await startServer(kind);
    await server.registerUser("ann", "ann-password-1");
    t = await startTestHost({
      // invites_inapp is on, but this server lacks mod_xmpp_invites: nothing announces in-app paths.
      enabled: ["invites", "invites_page", "invites_register", "invites_inapp"], store: "sqlite",
      xmpp: { server: server.componentServer, jid: server.componentJid, secret: server.componentSecret },
      config: server.productConfig,
      options: { site_name: "Example Chat", invites_page_rate_limit: 0, register_rate_limit: 0 },
    });
    invites = t.api<InvitesApi>("invites");
    origin = new URL(t.baseUrl).origin;
    await waitFor("the server's capabilities", () => t.host.admin.capabilities.known);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await t?.stop();
    await server?.destroy();
  });

  it("opens the link, picks an app, registers and sees the success page; the new user has the inviter as a mutual contact", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true, extra: { inviter_name: "Ann" } });
    const { context, external, errors } = await newContext(browser, origin, DESKTOP);
    try {
      const page = await context.newPage();
      await page.goto(c.landingUrl!);
      expect(await page.locator("h1").first().textContent()).to.equal("Join Example Chat");
      expect(await page.locator("svg.qr").count()).to.equal(1);
      // Linux desktop: Gajim (no preauth URI support) comes first and leads to web registration.
      const first = page.locator("li.app").first();
      expect(await first.locator("h3").textContent()).to.include("Gajim");
      await shot(kind, page, "landing-desktop");
      await first.getByRole("link", { name: "Choose Gajim" }).click();
      await page.waitForURL(/\/register\?t=.*c=gajim/);
      await page.fill("#user", "gwen");
      await page.fill("#password", "lilac-tandem-42");
      await page.getByRole("button", { name: "Create my account" }).click();
      await page.locator("#jid, .alert").first().waitFor();
      expect(await page.locator("h1").first().textContent()).to.equal("Your account is ready");
      expect(await page.locator("#jid").textContent()).to.equal("gwen@localhost");
      expect(await page.textContent("body")).to.include("Ann is already in your contacts.").and.include("Start Gajim");
      await shot(kind, page, "success");
      expect(external, "requests to other sites").to.deep.equal([]);
      expect(errors, "console and CSP errors").to.deep.equal([]);
    } finally {
      await context.close();
    }

    const gwen = await loginClient({ port: server.c2sPort, jid: "gwen@localhost", password: "lilac-tandem-42" });
    try {
      expect(await gwen.roster()).to.deep.include({ jid: "ann@localhost", name: "Ann", subscription: "both", groups: [] });
    } finally {
      await gwen.close();
    }
  });

  it("offers no in-app path on a server without mod_xmpp_invites: every button leads to the browser registration first", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true, extra: { inviter_name: "Ann" } });
    const { context, external, errors } = await newContext(browser, origin, PHONE);
    try {
      const page = await context.newPage();
      const res = await page.goto(c.landingUrl!);
      expect(res?.headers()["link"], "no xmpp: URI for apps").to.equal(undefined);
      const hrefs = await page.locator("a[href]").evaluateAll((links) => links.map((a) => a.getAttribute("href") ?? ""));
      expect(hrefs.filter((h) => h.startsWith("xmpp:") || decodeURIComponent(h).includes("preauth=")), "links carrying the invite to an app").to.deep.equal([]);
      expect(await page.getByRole("link", { name: "Open in my app" }).count()).to.equal(0);
      expect(await page.getByRole("link", { name: "Create the account in your browser" }).getAttribute("class")).to.equal("button");
      // Android: the recommended Conversations leads to the form naming it, not to the store with the invite.
      const first = page.locator("li.app").first();
      expect(await first.locator("h3").textContent()).to.include("Conversations");
      await first.getByRole("link", { name: "Choose Conversations" }).click();
      await page.waitForURL(/\/register\?t=.*c=conversations/);
      expect(await page.textContent("body")).to.include("After this step you will sign in with Conversations.").and.include("It must not contain your username.");
      expect(external).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it("reaches the landing page from a short code typed by hand on a phone", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", inviter: "ann@localhost", shortCode: true, extra: { inviter_name: "Ann" } });
    const { context, external, errors } = await newContext(browser, origin, PHONE);
    try {
      const page = await context.newPage();
      await page.goto(`${t.baseUrl}invites_page`);
      await page.fill("#code", c.invite.shortCode!.toLowerCase());
      await Promise.all([page.waitForURL(/invites_page\?/), page.getByRole("button", { name: "Continue" }).click()]);
      expect(page.url()).to.equal(c.landingUrl);
      expect(await page.locator("p.lead").textContent()).to.equal("Ann has invited you to chat on Example Chat.");
      // Android: Conversations is recommended first.
      expect(await page.locator("li.app h3").first().textContent()).to.include("Conversations");
      await shot(kind, page, "landing-phone");
      expect(external).to.deep.equal([]);
      expect(errors).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });

  it("shows the page in French to a French browser, and in dark mode when asked", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test", inviter: "ann@localhost", extra: { inviter_name: "Ann" } });
    const { context, errors } = await newContext(browser, origin, PHONE, { locale: "fr-FR", colorScheme: "dark" });
    try {
      const page = await context.newPage();
      await page.goto(c.landingUrl!);
      expect(await page.locator("h1").first().textContent()).to.equal("Rejoignez Example Chat");
      const bg = await page.evaluate<string>("getComputedStyle(document.body).backgroundColor");
      expect(bg).to.equal("rgb(15, 18, 24)");
      await shot(kind, page, "landing-phone-fr-dark");
      await page.getByRole("link", { name: "English" }).click();
      expect(await page.locator("h1").first().textContent()).to.equal("Join Example Chat");
      expect(errors).to.deep.equal([]);
    } finally {
      await context.close();
    }
  });
});
}
