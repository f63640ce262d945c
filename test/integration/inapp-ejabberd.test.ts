// In-app onboarding against a real ejabberd 23.01 running this repository's server module
// (ejabberd-module/mod_xmpp_invites.erl, compiled for the run) and the component connected to
// it: the same app paths as inapp.test.ts runs against Prosody. The app is a plain TCP XML
// stream (test/harness/xmpp-stream.ts); logging in, rosters and commands use a real client.
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import type { InvitesInAppApi } from "../../modules/invites_inapp/types.js";
import { startEjabberd, type TestEjabberd } from "../harness/ejabberd.js";
import { loginClient, xml, type TestClient } from "../harness/xmpp-client.js";
import { openStream, preauth, register, registerInApp, StanzaRefusal, type RawStream } from "../harness/xmpp-stream.js";
import { startTestHost, type TestHost } from "../helpers/host.js";

const PASSWORD = "lilac-tandem-42";

async function waitFor(what: string, cond: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

async function refused(p: Promise<unknown>): Promise<StanzaRefusal> {
  try { await p; } catch (e) { if (e instanceof StanzaRefusal) return e; throw e; }
  throw new Error("expected the server to refuse");
}

describe("in-app onboarding with a real ejabberd 23.01 and mod_xmpp_invites", function () {
  this.timeout(90_000);
  let ejabberd: TestEjabberd;
  let t: TestHost;
  let invites: InvitesApi;
  const streams: RawStream[] = [];
  const clients: TestClient[] = [];
  const stream = async () => { const s = await openStream({ port: ejabberd.c2sPort, domain: "localhost" }); streams.push(s); return s; };
  const login = async (jid: string, password = PASSWORD) => { const c = await loginClient({ port: ejabberd.c2sPort, jid, password }); clients.push(c); return c; };
  const canLogIn = async (jid: string, password: string) => {
    try { await (await loginClient({ port: ejabberd.c2sPort, jid, password })).close(); return true; } catch { return false; }
  };
  const uses = async (token: string) => { const i = (await invites.get(token))!; return { pending: i.usesPending, completed: i.usesCompleted }; };
  const exists = async (jid: string) => (await ejabberd.existing([jid])).has(jid);

  before(async () => {
    ejabberd = await startEjabberd({ serverModule: true });
    for (const user of ["ann", "bob", "carl", "admin"]) await ejabberd.registerUser(user, PASSWORD);
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_adhoc", "invites_inapp"], store: "sqlite",
      xmpp: { server: ejabberd.componentServer, jid: ejabberd.componentJid, secret: ejabberd.componentSecret },
      config: ejabberd.productConfig,
      options: { site_name: "Example Chat", invites_page_rate_limit: 0, register_rate_limit: 0, inapp_rate_limit: 100, max_pending_invites_per_user: 2 },
    });
    invites = t.api<InvitesApi>("invites");
    await waitFor("the component link", () => !!t.host.link?.connected);
    await waitFor("the server module's announcement", () => t.api<InvitesInAppApi>("invites_inapp").available("localhost"));
  });

  afterEach(async () => {
    for (const s of streams.splice(0)) await s.close();
    for (const c of clients.splice(0)) await c.close();
  });

  after(async () => {
    await t?.stop();
    await ejabberd?.destroy();
  });

  it("announces the host to the component, with this ejabberd's boot", () => {
    const servers = t.api<InvitesInAppApi>("invites_inapp").servers();
    expect(servers.map((s) => s.host)).to.include("localhost");
  });
});
