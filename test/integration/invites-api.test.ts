// The API end to end: a real Prosody, the component connected, a key made with the ctl,
// an invite made over /invites_api, its Location opened like a browser, and the account
// registered through that page logging in over XMPP.
import { expect } from "chai";
import { startProsody, type TestProsody } from "../harness/prosody.js";
import { loginClient } from "../harness/xmpp-client.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { waitFor } from "../helpers/wait.js";

const PASSWORD = "correct-horse-battery";

describe("invites_api with a real Prosody", function () {
  this.timeout(60_000);
  let prosody: TestProsody;
  let t: TestHost;

  before(async () => {
    prosody = await startProsody();
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_api"], store: "sqlite",
      xmpp: { server: prosody.componentServer, jid: prosody.componentJid, secret: prosody.componentSecret },
      options: { invites_page_rate_limit: 0, register_rate_limit: 0 },
    });
    await waitFor("the component link", () => !!t.host.link?.connected);
  });

  after(async () => {
    await t?.stop();
    await prosody?.destroy();
  });

  it("a Bearer request makes an invite whose Location page knows it, and the account it registers logs in", async () => {
    const made = await t.runCtl(["mod_invites_api", "create", "localhost", "signup form"]);
    expect(made.code, made.stderr).to.equal(0);
    const res = await fetch(`${t.baseUrl}invites_api`, { headers: { Authorization: `Bearer ${made.stdout.trim()}` } });
    expect(res.status).to.equal(201);
    const location = res.headers.get("location")!;
    expect(location.startsWith(`${t.baseUrl}invites_page?`)).to.equal(true);
    const token = location.slice(location.indexOf("?") + 1);

    const page = await fetch(location);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include(token);

    // Register through the web form the landing page leads to, as a browser would.
    const form = await fetch(`${t.baseUrl}register?t=${token}`);
    expect(form.status).to.equal(200);
    const cookie = (form.headers.get("set-cookie") ?? "").split(";")[0]!;
    const csrf = /name="csrf" value="([^"]+)"/.exec(await form.text())?.[1] ?? "";
    const done = await fetch(`${t.baseUrl}register?t=${token}`, {
      method: "POST", redirect: "manual",
      headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ csrf, token, user: "fromapi", password: PASSWORD }),
    });
    expect(done.status).to.equal(200);
    const client = await loginClient({ port: prosody.c2sPort, jid: "fromapi@localhost", password: PASSWORD });
    await client.close();

    const again = await fetch(location);
    expect(again.status).to.equal(410);
  });
});
