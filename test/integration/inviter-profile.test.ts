// The inviter's own nickname (XEP-0172) and avatar (XEP-0084) on the landing page: a real
// client publishes them to its PEP service on the real server, the component reads them
// through the admin port, and the page shows the nickname and an avatar served from our own
// origin. On Prosody with PEP's default access model ("presence") this takes the XEP-0356 iq
// privilege; without it the page keeps the initial. On ejabberd 23.01 (whose mod_privilege has
// no iq privilege) the client publishes with access model "open".
import { expect } from "chai";
import { createHash } from "node:crypto";
import QRCode from "qrcode";
import { startServer, SERVER_KINDS, SERVER_NAMES, type TestXmppServer } from "../harness/servers.js";
import { loginClient, xml, type TestClient } from "../harness/xmpp-client.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import type { InvitesApi } from "../../modules/invites/types.js";

const NS_PUBSUB = "http://jabber.org/protocol/pubsub";

function publishOptions(open: boolean) {
  if (!open) return [];
  return [xml("publish-options", {}, xml("x", { xmlns: "jabber:x:data", type: "submit" },
    xml("field", { var: "FORM_TYPE", type: "hidden" }, xml("value", {}, `${NS_PUBSUB}#publish-options`)),
    xml("field", { var: "pubsub#access_model" }, xml("value", {}, "open"))))];
}

/** XEP-0084 §4: the data, then the metadata naming it by its SHA-1; XEP-0172: the nick. */
async function publishProfile(client: TestClient, png: Buffer, nick: string, open: boolean): Promise<void> {
  const id = createHash("sha1").update(png).digest("hex");
  const publish = (node: string, item: ReturnType<typeof xml>) =>
    client.iq(xml("iq", { type: "set" }, xml("pubsub", { xmlns: NS_PUBSUB }, xml("publish", { node }, item), ...publishOptions(open))));
  await publish("urn:xmpp:avatar:data", xml("item", { id }, xml("data", { xmlns: "urn:xmpp:avatar:data" }, png.toString("base64"))));
  await publish("urn:xmpp:avatar:metadata", xml("item", { id }, xml("metadata", { xmlns: "urn:xmpp:avatar:metadata" },
    xml("info", { id, bytes: String(png.length), type: "image/png", width: "64", height: "64" }))));
  await publish("http://jabber.org/protocol/nick", xml("item", {}, xml("nick", { xmlns: "http://jabber.org/protocol/nick" }, nick)));
}

const IQ_PRIVILEGE = { "http://jabber.org/protocol/pubsub": "get", "vcard-temp": "get" };

interface Setup { kind: "prosody" | "ejabberd"; iqPrivilege: boolean; open: boolean; shows: boolean; title: string }
const SETUPS: Setup[] = [
  ...SERVER_KINDS.map((kind): Setup => kind === "prosody"
    ? { kind, iqPrivilege: true, open: false, shows: true, title: `${SERVER_NAMES[kind]}, XEP-0356 iq privilege, PEP's default access model` }
    : { kind, iqPrivilege: false, open: true, shows: true, title: `${SERVER_NAMES[kind]}, access model open` }),
  { kind: "prosody", iqPrivilege: false, open: false, shows: false, title: `${SERVER_NAMES.prosody}, no iq privilege, PEP's default access model` },
];

for (const s of SETUPS) {
describe(`the inviter's nickname and avatar on the landing page (real ${s.title})`, function () {
  this.timeout(60_000);
  let xmpp: TestXmppServer;
  let t: TestHost;
  let png: Buffer;

  before(async () => {
    // PEP: Prosody needs mod_pep (the harness leaves it out); ejabberd runs mod_pubsub.
    xmpp = await startServer(s.kind, { prosody: { modules: ["pep"], ...(s.iqPrivilege ? { iqPrivilege: IQ_PRIVILEGE } : {}) } });
    await xmpp.registerUser("ann", "ann-password");
    png = await QRCode.toBuffer("ann's face", { type: "png", width: 64 });
    const client = await loginClient({ port: xmpp.c2sPort, jid: "ann@localhost", password: "ann-password" });
    try { await publishProfile(client, png, "Ann Wilson", s.open); } finally { await client.close(); }
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_profile"], store: "sqlite",
      xmpp: { server: xmpp.componentServer, jid: xmpp.componentJid, secret: xmpp.componentSecret },
      config: xmpp.productConfig, options: { invites_page_rate_limit: 0, inviter_profile_wait: "10 seconds" },
    });
    // Pages read profiles once the server has said what the component may read.
    const ready = () => t.host.admin.capabilities.known && (!s.iqPrivilege || t.host.admin.capabilities.hosts["localhost"]?.privilege?.iq !== undefined);
    for (let i = 0; i < 300 && !ready(); i++) await new Promise((r) => setTimeout(r, 50));
  });
  after(async () => { await t?.stop(); await xmpp?.destroy(); });

  it(s.shows ? "shows the nickname, and the avatar from our own origin, type-checked and cacheable" : "cannot read them, and keeps the localpart and the initial", async () => {
    const made = await t.api<InvitesApi>("invites").createContact({ host: "localhost", source: "ctl", inviter: "ann@localhost" });
    const page = await (await fetch(made.landingUrl!)).text();
    const src = /<img class="avatar big" src="([^"]+)"/.exec(page)?.[1];
    if (!s.shows) {
      expect(src).to.equal(undefined);
      expect(page).to.contain('<span class="avatar big').and.contain("ann");
      return;
    }
    expect(page).to.contain("Ann Wilson");
    expect(src).to.match(/^\/invites_profile\/avatar\/[0-9a-f]{64}$/);
    const img = await fetch(new URL(src!, t.baseUrl));
    expect(img.status).to.equal(200);
    expect(img.headers.get("content-type")).to.equal("image/png");
    expect(img.headers.get("cache-control")).to.contain("immutable");
    expect(Buffer.from(await img.arrayBuffer()).equals(png)).to.equal(true);
    // Only pictures of inviters shown on a page are served; nothing is fetched for a guess.
    expect((await fetch(`${t.baseUrl}invites_profile/avatar/${"0".repeat(64)}`)).status).to.equal(404);
  });
});
}

describe("inviter_name for an invite without an inviter account (module)", () => {
  it("is taken by both API endpoints and shown on the landing page; a bad one is a 400 naming it", async () => {
    const t = await startTestHost({ enabled: ["invites", "invites_api", "invites_page"], http: true });
    try {
      const key = (await t.runCtl(["mod_invites_api", "create", "localhost", "desk"])).stdout.trim();
      const res = await fetch(`${t.baseUrl}invites_api?inviter_name=${encodeURIComponent("Support team")}`, { headers: { Authorization: `Bearer ${key}` } });
      expect(res.status).to.equal(201);
      const page = await (await fetch(res.headers.get("location")!)).text();
      expect(page).to.contain("Support team has invited you");
      const v1 = await fetch(`${t.baseUrl}invites_api/v1/invites`, { method: "POST", headers: { Authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ inviter_name: "Desk" }) });
      expect(v1.status).to.equal(201);
      expect(await (await fetch(((await v1.json()) as { landing_url: string }).landing_url)).text()).to.contain("Desk has invited you");
      for (const bad of ["", "x".repeat(81), "a\u0007b"]) {
        const r = await fetch(`${t.baseUrl}invites_api?inviter_name=${encodeURIComponent(bad)}`, { headers: { Authorization: `Bearer ${key}` } });
        expect(r.status, JSON.stringify(bad)).to.equal(400);
        expect(((await r.json()) as { message: string }).message).to.contain("inviter_name");
      }
    } finally { await t.stop(); }
  });
});
