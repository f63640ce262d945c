// A pairing directory (invites_directory) and a server that publishes to it (invites_pairing),
// two hosts in this process talking real HTTP on loopback, each with its own clock: publish
// -> directory -> 302 -> /pairing/CODE -> 303 -> landing page; withdrawal on revoke and when
// used up; expiry on the directory's clock; the directory's refusals.
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { freePort } from "../harness/ports.js";

async function until<T>(what: string, fn: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 200; i++) {
    const v = await fn();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("pairing directory and publishing server (module)", function () {
  this.timeout(30_000);
  let dir: TestHost, srv: TestHost;
  let key: string;
  let invites: InvitesApi;

  const make = async (shortCode = true, usesAllowed: number | null = 1) => invites.createAccount({ host: "localhost", source: "ctl", shortCode, usesAllowed });
  /** The directory's code, once the server has published the invite (its ctl shows it). */
  const published = (token: string) => until("the publish", async () => {
    const r = await srv.runCtl(["--json", "mod_invites_pairing", "show", token]);
    const v = JSON.parse(r.stdout) as { code: string; url: string; expires_at: string } | null;
    return v ?? undefined;
  });
  const lookup = (code: string, accept = "application/json") => fetch(`${dir.baseUrl}pairing/${code}`, { redirect: "manual", headers: { accept } });

  before(async () => {
    dir = await startTestHost({ enabled: ["invites_directory"], http: true, options: { directory_max_ttl: "5 minutes", directory_rate_limit: 0 } });
    const port = await freePort();
    const added = await dir.runCtl(["mod_invites_directory", "add", "srv", `http://127.0.0.1:${port}`]);
    expect(added.code, added.stderr).to.equal(0);
    key = added.stdout.trim();
    srv = await startTestHost({
      enabled: ["invites", "invites_page", "invites_pairing"], http: true,
      config: { http: { listen: `127.0.0.1:${port}` } },
      options: { invites_page_rate_limit: 0, pairing_directory_url: `${dir.baseUrl}pairing`, pairing_directory_api_key: key },
    });
    invites = srv.api<InvitesApi>("invites");
  });
  after(async () => { await srv?.stop(); await dir?.stop(); });

  it("publishes an invite's short code; the directory's code leads (302, 303) to the landing page, which shows it", async () => {
    const made = await make();
    const p = await published(made.token);
    expect(p.url).to.equal(`${dir.baseUrl}pairing/${p.code}`);
    expect(p.code).to.match(/^[A-HJ-NP-Z2-9]{8}$/).and.not.equal(made.invite.shortCode);
    // The directory's code lives as long as ours, at most directory_max_ttl.
    expect(Date.parse(p.expires_at)).to.be.at.most(made.invite.shortCodeExpiresAt!);

    const first = await lookup(p.code, "text/html");
    expect(first.status).to.equal(302);
    expect(first.headers.get("location")).to.equal(`${srv.baseUrl}pairing/${made.invite.shortCode}`);
    const second = await fetch(first.headers.get("location")!, { redirect: "manual", headers: { accept: "text/html" } });
    expect(second.status).to.equal(303);
    expect(second.headers.get("location")).to.equal(made.landingUrl);
    const page = await fetch(made.landingUrl!);
    expect(page.status).to.equal(200);
    const text = await page.text();
    expect(text).to.contain(`${p.code.slice(0, 4)}-${p.code.slice(4)}`).and.contain(`${dir.baseUrl}pairing`);
    // An app that follows the directory's redirect gets the invite as JSON.
    const json = await fetch(first.headers.get("location")!);
    expect(((await json.json()) as { landing_url: string }).landing_url).to.equal(made.landingUrl);
  });

  it("publishes nothing for an invite without a short code", async () => {
    const made = await make(false);
    const r = await srv.runCtl(["mod_invites_pairing", "show", made.token]);
    expect(r.stdout).to.match(/^not published/);
  });

  it("withdraws the code when the invite is revoked", async () => {
    const made = await make();
    const p = await published(made.token);
    expect((await lookup(p.code)).status).to.equal(302);
    await invites.revoke(made.invite.id);
    await until("the withdrawal", async () => ((await lookup(p.code)).status === 404 ? true : undefined));
  });

  it("withdraws the code when the invite is used up, not before", async () => {
    const made = await make(true, 2);
    const p = await published(made.token);
    for (let i = 0; i < 2; i++) {
      expect((await lookup(p.code)).status, `use ${i + 1}`).to.equal(302);
      await invites.complete(await invites.reserve(made.token, `user${i}`));
    }
    await until("the withdrawal", async () => ((await lookup(p.code)).status === 404 ? true : undefined));
  });

  it("forgets a code at its expiry (the directory's clock)", async () => {
    const made = await make();
    const p = await published(made.token);
    dir.clock.advance(Date.parse(p.expires_at) - dir.clock.now() - 1000);
    expect((await lookup(p.code)).status).to.equal(302);
    dir.clock.advance(2000);
    expect((await lookup(p.code)).status).to.equal(404);
  });

  it("bounds a code's life by directory_max_ttl, whatever the server asks", async () => {
    const res = await fetch(`${dir.baseUrl}pairing`, {
      method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: JSON.stringify({ url: `${srv.baseUrl}pairing/ABCDEFGH`, ttl: 86_400 }),
    });
    expect(res.status).to.equal(201);
    const body = (await res.json()) as { success: boolean; code: string; pairing_url: string; redirect_url: string; expires_at: string };
    expect(body.success).to.equal(true);
    expect(body.redirect_url).to.equal(`${srv.baseUrl}pairing/ABCDEFGH`);
    expect(Date.parse(body.expires_at) - dir.clock.now()).to.be.within(299_000, 300_000);
  });

  it("refuses a publish without a registered key (401), to another origin (403), and a bad body (400), saying which", async () => {
    const post = (auth: string | undefined, body: unknown) => fetch(`${dir.baseUrl}pairing`, {
      method: "POST", headers: { ...(auth ? { authorization: `Bearer ${auth}` } : {}), "content-type": "application/json" }, body: JSON.stringify(body),
    });
    const ok = { url: `${srv.baseUrl}x`, ttl: 60 };
    expect((await post(undefined, ok)).status).to.equal(401);
    expect((await post(`${key.split("/")[0]}/${"A".repeat(43)}`, ok)).status).to.equal(401);
    const other = await post(key, { url: "https://evil.example/phish", ttl: 60 });
    expect(other.status).to.equal(403);
    expect(((await other.json()) as { message: string }).message).to.contain(new URL(srv.baseUrl).origin);
    for (const bad of [{ url: 5, ttl: 60 }, { url: `${srv.baseUrl}x`, ttl: 0 }, { url: `${srv.baseUrl}x`, ttl: "60" }, { url: "not a url", ttl: 60 }]) {
      const r = await post(key, bad);
      expect(r.status, JSON.stringify(bad)).to.equal(400);
      expect(((await r.json()) as { error: string }).error).to.match(/^invites_directory\.bad_(url|ttl)$/);
    }
  });

  it("the code page: a typed code is sent on; an unknown one gets the form again with a 404", async () => {
    const made = await make();
    const p = await published(made.token);
    const typed = await fetch(`${dir.baseUrl}pairing?code=${p.code.slice(0, 4).toLowerCase()}-${p.code.slice(4)}`, { redirect: "manual" });
    expect(typed.status).to.equal(302);
    const unknown = await fetch(`${dir.baseUrl}pairing?code=ZZZZ-ZZZZ`);
    expect(unknown.status).to.equal(404);
    expect(await unknown.text()).to.contain("No invite has this code").and.contain('name="code"');
    expect((await fetch(`${dir.baseUrl}pairing?code=a&code=b`)).status).to.equal(400);
  });
});

describe("pairing lookups are rate-limited like short codes (module)", function () {
  it("answers 429 with Retry-After once an address is over directory_rate_limit", async () => {
    const dir = await startTestHost({ enabled: ["invites_directory"], http: true, options: { directory_rate_limit: 3 } });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await fetch(`${dir.baseUrl}pairing/ABCD2345`)).status);
      expect(statuses).to.deep.equal([404, 404, 404, 429, 429]);
      expect((await fetch(`${dir.baseUrl}pairing/ABCD2345`)).headers.get("retry-after")).to.match(/^\d+$/);
    } finally { await dir.stop(); }
  });
});

describe("one instance that is both a directory and a server (module)", () => {
  for (const order of [["invites", "invites_page", "invites_directory"], ["invites_directory", "invites", "invites_page"]]) {
    it(`answers both kinds of /pairing/CODE with modules_enabled ${order.join(", ")}`, async () => {
      const port = await freePort();
      const t = await startTestHost({ enabled: order, http: true, config: { http: { listen: `127.0.0.1:${port}` } }, options: { directory_rate_limit: 0, invites_page_rate_limit: 0 } });
      try {
        const key = (await t.runCtl(["mod_invites_directory", "add", "self", `http://127.0.0.1:${port}`])).stdout.trim();
        const local = await t.api<InvitesApi>("invites").createAccount({ host: "localhost", source: "ctl", shortCode: true });
        const res = await fetch(`${t.baseUrl}pairing`, {
          method: "POST", headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
          body: JSON.stringify({ url: `${t.baseUrl}pairing/${local.invite.shortCode}`, ttl: 60 }),
        });
        const { code } = (await res.json()) as { code: string };
        const viaDirectory = await fetch(`${t.baseUrl}pairing/${code}`, { redirect: "manual" });
        expect(viaDirectory.status).to.equal(302);
        expect(viaDirectory.headers.get("location")).to.equal(`${t.baseUrl}pairing/${local.invite.shortCode}`);
        const ours = await fetch(`${t.baseUrl}pairing/${local.invite.shortCode}`);
        expect(ours.status).to.equal(200);
        expect(((await ours.json()) as { landing_url: string }).landing_url).to.equal(local.landingUrl);
        expect((await fetch(`${t.baseUrl}pairing/ZZZZ2345`)).status).to.equal(404);
      } finally { await t.stop(); }
    });
  }
});
