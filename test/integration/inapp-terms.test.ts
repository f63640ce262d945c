// In-app registration on a host that requires agreements, against a real Prosody running
// mod_xmpp_invites (the only server with the server module): apps cannot show the terms yet,
// so the registration flow refuses them with a text naming the web page, and pages stop
// offering the in-app path. The app is a raw XML stream (test/harness/xmpp-stream.ts).
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import type { InvitesInAppApi } from "../../modules/invites_inapp/types.js";
import type { InvitesPageApi } from "../../modules/invites_page/types.js";
import { startProsody, type TestProsody } from "../harness/prosody.js";
import { openStream, preauth, register, StanzaRefusal } from "../harness/xmpp-stream.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { waitFor } from "../helpers/wait.js";

const PASSWORD = "lilac-tandem-42";

describe("in-app registration where a host requires agreements (real Prosody with mod_xmpp_invites)", function () {
  this.timeout(60_000);
  let prosody: TestProsody;
  let t: TestHost;
  let invites: InvitesApi;

  before(async () => {
    prosody = await startProsody({ serverModule: true });
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_inapp"], store: "sqlite",
      xmpp: { server: prosody.componentServer, jid: prosody.componentJid, secret: prosody.componentSecret },
      options: {
        site_name: "Example Chat", invites_page_rate_limit: 0, register_rate_limit: 0, inapp_rate_limit: 100,
        agreements: [{ id: "terms", title: { en: "Terms of service", fr: "Conditions d'utilisation" }, text: { en: "Be kind.", fr: "Soyez aimables." } }],
      },
    });
    invites = t.api<InvitesApi>("invites");
    await waitFor("the server module's announcement", () => t.api<InvitesInAppApi>("invites_inapp").available("localhost"));
  });

  after(async () => {
    await t?.stop();
    await prosody?.destroy();
  });

  it("refuses the app's registration with a text naming the web page, creates nothing and keeps the invite", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const s = await openStream({ port: prosody.c2sPort, domain: "localhost" });
    try {
      await preauth(s, "localhost", c.token);
      let refusal: StanzaRefusal | undefined;
      try { await register(s, "localhost", "ida", PASSWORD); } catch (e) { if (e instanceof StanzaRefusal) refusal = e; else throw e; }
      expect(refusal, "the server refused").to.not.equal(undefined);
      expect(refusal!.condition).to.equal("forbidden");
      expect(refusal!.text).to.include("Terms of service").and.include(t.api<InvitesPageApi>("invites_page").registerUrl(c.token)).and.include("web browser");
    } finally {
      await s.close();
    }
    expect(await t.host.admin.accountExists("ida@localhost")).to.equal(false);
    const left = (await invites.get(c.token))!;
    expect([left.usesPending, left.usesCompleted]).to.deep.equal([0, 0]);
  });

  it("makes the pages go web first although the server module runs", async () => {
    expect(t.api<InvitesInAppApi>("invites_inapp").available("localhost")).to.equal(true);
    expect(await t.api<InvitesPageApi>("invites_page").inApp("localhost")).to.equal(false);
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const page = await (await fetch(c.landingUrl!)).text();
    expect(page).to.not.include("Open in my app");
  });
});
