// The longest lifetime an invite may get (max_invite_expiry, max_reset_invite_expiry) holds on
// every path that sets an expiry: the API, the ctl, ad-hoc forms, extend and update.
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import { NODES } from "../../modules/invites_adhoc/index.js";
import { refusal, runner } from "../helpers/adhoc.js";
import { startTestHost, type TestHost } from "../helpers/host.js";

const DAY = 86_400_000;

describe("invites: the maximum lifetime of an invite, on every path", function () {
  let t: TestHost;
  let invites: InvitesApi;
  before(async () => {
    t = await startTestHost({ enabled: ["invites", "invites_api", "invites_adhoc"], store: "sqlite", http: true, options: { max_invite_expiry: "30d", max_reset_invite_expiry: "2d" } });
    invites = t.api<InvitesApi>("invites");
  });
  after(async () => { await t.stop(); });

  it("refuses a longer expiry in the invites API, naming the option", async () => {
    const now = t.clock.now();
    const e = await invites.createAccount({ host: "localhost", source: "test", expiresAt: now + 31 * DAY }).catch((x: Error) => x);
    expect(e).to.be.instanceOf(Error);
    expect((e as Error).message).to.contain("at most 4w 2d").and.contain("max_invite_expiry");
    expect((await invites.createAccount({ host: "localhost", source: "test", expiresAt: now + 29 * DAY })).invite.expiresAt).to.equal(now + 29 * DAY);
    const reset = await invites.createReset({ host: "localhost", source: "test", username: "bob", expiresAt: now + 3 * DAY }).catch((x: Error) => x);
    expect((reset as Error).message).to.contain("max_reset_invite_expiry");
  });

  it("refuses it when extending or updating", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const e = await invites.extend(c.invite.id, t.clock.now() + 100 * 365 * DAY).catch((x: Error) => x);
    expect((e as Error).message).to.contain("max_invite_expiry");
    expect((await invites.getById(c.invite.id))!.expiresAt).to.equal(c.invite.expiresAt);
  });

  it("refuses it from the HTTP API with a 400", async () => {
    const key = (await t.runCtl(["mod_invites_api", "create", "localhost", "k", "--scope", "all"])).stdout.trim();
    const res = await fetch(`${t.baseUrl}invites_api/v1/invites`, { method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" }, body: JSON.stringify({ expires_after: "100y" }) });
    expect(res.status).to.equal(400);
    expect(((await res.json()) as { message: string }).message).to.contain("max_invite_expiry");
    const legacy = await fetch(`${t.baseUrl}invites_api?key=${key}&expires-after=1y`);
    expect(legacy.status).to.equal(400);
  });

  it("refuses it from invitectl (exit 2) and from an admin's ad-hoc form", async () => {
    const ctl = await t.runCtl(["invite", "create_account", "localhost", "--expires-after", "1y"]);
    expect(ctl.code).to.equal(2);
    expect(ctl.stderr).to.contain("max_invite_expiry");
    const e = await refusal(runner(t).run(NODES.createAccount, "admin@localhost", { "expires-after": "1y" }));
    expect(e.condition).to.equal("bad-request");
    expect(e.message).to.contain("max_invite_expiry");
  });

  it("refuses to start when a default lifetime is longer than its maximum, naming the option", async () => {
    const e = await startTestHost({ enabled: ["invites"], options: { invite_expiry: "2 weeks", max_invite_expiry: "1 week" } }).catch((x: Error) => x);
    expect((e as Error).name).to.equal("ConfigError");
    expect((e as Error).message).to.contain('option "invite_expiry"').and.contain("max_invite_expiry");
  });
});
