// Agreements (the agreements option of invites_register): shown on the registration form,
// required by the registration flow on every path, recorded as signatures and listed by the
// ctl. The XMPP server is in memory here; test/integration/agreements.test.ts runs the real ones.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import type { InvitesPageApi } from "../../modules/invites_page/types.js";
import type { InvitesRegisterApi } from "../../modules/invites_register/types.js";
import { refusal } from "../helpers/adhoc.js";
import { startTestHost, type TestHost } from "../helpers/host.js";
import { attach, MemoryAdmin } from "../helpers/memory-admin.js";

const PASSWORD = "a long password";

/** Loads the form like a browser (every cookie it sets, the CSRF token) and returns a submit function. */
async function openForm(baseUrl: string, path: string) {
  const res = await fetch(new URL(path, baseUrl));
  const html = await res.text();
  if (res.status !== 200) throw new Error(`GET ${path}: ${res.status}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(";")[0]!).join("; ");
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return async (fields: Record<string, string>) => {
    const r = await fetch(new URL(path, baseUrl), { method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", cookie }, body: new URLSearchParams({ csrf, ...fields }) });
    return { status: r.status, body: await r.text() };
  };
}

describe("agreements on registration", () => {
  let dir: string;
  let h: TestHost;
  let invites: InvitesApi;
  let register: InvitesRegisterApi;
  const admin = new MemoryAdmin();

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), "xi-agreements-"));
    writeFileSync(join(dir, "terms.en.md"), "# Rules\n\nBe **kind**. <script>alert(1)</script> [home](https://example.org/) [bad](javascript:alert(1)) ![x](https://evil.example/x.png)\n");
    writeFileSync(join(dir, "terms.fr.md"), "# Règles\n\nSoyez **aimable**.\n");
    h = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register"], http: true, dataDir: dir,
      options: {
        invites_page_rate_limit: 0, register_rate_limit: 0, register_lookup_rate_limit: 0,
        agreements: [
          { id: "terms", title: { en: "Terms of service", fr: "Conditions d'utilisation" }, file: { en: "terms.en.md", fr: "terms.fr.md" } },
          { id: "privacy", title: { en: "Privacy policy", fr: "Politique de confidentialité" }, text: { en: "We keep your address.", fr: "Nous gardons votre adresse." } },
        ],
      },
    });
    attach(h.host, admin);
    invites = h.api<InvitesApi>("invites");
    register = h.api<InvitesRegisterApi>("invites_register");
  });
  after(async () => { await h.stop(); rmSync(dir, { recursive: true, force: true }); });

  const versions = () => Object.fromEntries(register.agreements("localhost").map((a) => [a.id, a.version]));

  it("lists the agreements with versions that are hashes of their content", async () => {
    const r = await h.runCtl(["agreements", "list", "localhost"]);
    expect(r.code, r.stderr).to.equal(0);
    const lines = r.stdout.trim().split("\n").map((l) => l.split("\t"));
    expect(lines.map((l) => l[0])).to.deep.equal(["terms", "privacy"]);
    expect(lines.map((l) => l[2])).to.deep.equal(["Terms of service", "Privacy policy"]);
    for (const l of lines) expect(l[1]).to.match(/^[0-9a-f]{16}$/);
    expect(lines[0]![1]).to.not.equal(lines[1]![1]);
  });

  it("shows each text as Markdown without raw HTML, images or script links, with a box to tick per agreement, in the visitor's language", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const res = await fetch(new URL(`/register?t=${c.token}`, h.baseUrl));
    const page = await res.text();
    expect(page).to.include("<strong>kind</strong>").and.include('<a href="https://example.org/">home</a>');
    expect(page).to.include("&lt;script&gt;alert(1)&lt;/script&gt;").and.not.include("<script>");
    // An image is left a plain link: the page loads nothing from elsewhere.
    expect(page).to.not.include('href="javascript:').and.not.include("<img");
    const v = versions();
    expect(page).to.include(`name="accept_terms" value="${v["terms"]}" required`).and.include(`name="accept_privacy" value="${v["privacy"]}" required`);
    expect(res.headers.get("content-security-policy")).to.include("default-src 'none'");
    const fr = await (await fetch(new URL(`/register?t=${c.token}&lang=fr`, h.baseUrl))).text();
    expect(fr).to.include("Soyez <strong>aimable</strong>").and.include("J&#39;ai lu et j&#39;accepte : Conditions d&#39;utilisation.");
  });

  it("refuses the account when a box is not ticked (400 naming the agreement); nothing is created and the invite stays usable", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const submit = await openForm(h.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user: "una", password: PASSWORD, token: c.token, accept_terms: versions()["terms"]! });
    expect(res.status).to.equal(400);
    expect(res.body).to.include("To create an account, accept the Privacy policy.");
    // The ticked box stays ticked on the form shown again.
    expect(res.body).to.match(/name="accept_terms" value="[0-9a-f]{16}" required checked/);
    expect(admin.accounts.has("una@localhost")).to.equal(false);
    expect((await invites.validate(c.token)).ok).to.equal(true);
    expect((await register.signatures({ host: "localhost", jid: "una@localhost" })).signatures).to.deep.equal([]);
  });

  it("refuses a box ticked for another version of the text (it changed while the visitor read it)", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const submit = await openForm(h.baseUrl, `/register?t=${c.token}`);
    const res = await submit({ user: "vic", password: PASSWORD, token: c.token, accept_terms: "0000000000000000", accept_privacy: versions()["privacy"]! });
    expect(res.status).to.equal(400);
    expect(res.body).to.include("The Terms of service changed while you were reading them");
    expect(admin.accounts.has("vic@localhost")).to.equal(false);
  });

  it("refuses a box sent twice by name", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const res = await fetch(new URL(`/register?t=${c.token}`, h.baseUrl), {
      method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" },
      body: `token=${c.token}&user=wes&password=x&accept_terms=a&accept_terms=b`,
    });
    expect(res.status).to.equal(400);
    expect(await res.text()).to.include("accept_terms");
  });

  it("creates the account once every box is ticked, and records one signature per agreement with version, language and time", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const before = h.clock.now();
    const submit = await openForm(h.baseUrl, `/register?t=${c.token}&lang=fr`);
    const v = versions();
    const res = await submit({ user: "xena", password: PASSWORD, token: c.token, accept_terms: v["terms"]!, accept_privacy: v["privacy"]! });
    expect(res.status, res.body).to.equal(200);
    expect(admin.accounts.get("xena@localhost")).to.equal(PASSWORD);
    const { signatures } = await register.signatures({ host: "localhost", jid: "xena@localhost" });
    expect(signatures.map((s) => [s.agreement, s.version, s.lang, s.source, s.inviteId]).sort()).to.deep.equal([
      ["privacy", v["privacy"], "fr", "web", c.invite.id], ["terms", v["terms"], "fr", "web", c.invite.id],
    ]);
    for (const s of signatures) expect(s.signedAt).to.be.within(before, h.clock.now());

    const ctl = await h.runCtl(["agreements", "signatures", "localhost", "xena@localhost"]);
    expect(ctl.code, ctl.stderr).to.equal(0);
    expect(ctl.stdout.trim().split("\n").map((l) => l.split("\t").slice(1, 4)).sort()).to.deep.equal([
      ["xena@localhost", "privacy", v["privacy"]], ["xena@localhost", "terms", v["terms"]],
    ]);
    const json = JSON.parse((await h.runCtl(["agreements", "signatures", "localhost", "--json"])).stdout) as { signatures: { jid: string }[] };
    expect(json.signatures.map((s) => s.jid)).to.include("xena@localhost");
  });

  it("pages through the signatures of a host, newest first, without repeating one", async () => {
    for (const user of ["rx1", "rx2", "rx3"]) {
      const c = await invites.createAccount({ host: "localhost", source: "test" });
      h.clock.advance(1000);
      await register.register({ token: c.token, username: user, password: PASSWORD, ip: undefined, source: "web", accepted: register.agreements("localhost").map((a) => ({ id: a.id, version: a.version })) });
    }
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await register.signatures({ host: "localhost", limit: 2, ...(cursor ? { cursor } : {}) });
      seen.push(...page.signatures.map((s) => `${s.jid} ${s.agreement}`));
      cursor = page.cursor;
    } while (cursor);
    expect(new Set(seen).size).to.equal(seen.length);
    expect(seen.slice(0, 2).every((s) => s.startsWith("rx3@"))).to.equal(true);
    expect(seen).to.include("rx1@localhost terms");
    expect((await refusal(register.signatures({ host: "localhost", cursor: "nonsense" }))).code).to.equal("invites_register.bad_request");
  });

  it("refuses a registration that cannot show the agreements (in-app, greeted) and names the web page to use", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const r = await refusal(register.begin({ token: c.token, username: "yan", password: PASSWORD, ip: undefined, source: "in-app" }));
    expect(r.code).to.equal("invites_register.terms_on_web");
    expect(r.condition).to.equal("forbidden");
    expect(r.message).to.include("Terms of service, Privacy policy").and.include(h.api<InvitesPageApi>("invites_page").registerUrl(c.token)).and.include("web browser");
    expect((await invites.validate(c.token)).invite!.usesPending).to.equal(0);
  });

  it("tells pages not to offer in-app paths on a host that requires agreements", async () => {
    expect(await h.api<InvitesPageApi>("invites_page").inApp("localhost")).to.equal(false);
  });

  it("asks nothing on a password reset", async () => {
    admin.accounts.set("zoe@localhost", "old password 1");
    const c = await invites.createReset({ host: "localhost", source: "test", username: "zoe" });
    const page = await (await fetch(new URL(`/register?t=${c.token}`, h.baseUrl))).text();
    expect(page).to.not.include("accept_terms");
    const submit = await openForm(h.baseUrl, `/register?t=${c.token}`);
    expect((await submit({ password: "new password 22", token: c.token })).status).to.equal(200);
  });
});

describe("the agreements option", () => {
  const start = (agreements: unknown, dataDir?: string) => startTestHost({ enabled: ["invites", "invites_page", "invites_register"], options: { agreements }, ...(dataDir ? { dataDir } : {}) });
  const failure = async (agreements: unknown, dataDir?: string) => {
    try { const h = await start(agreements, dataDir); await h.stop(); } catch (e) { return (e as Error).message; }
    throw new Error("expected start-up to fail");
  };

  it("requires English and French", async () => {
    expect(await failure([{ id: "t", title: { en: "T" }, text: { en: "x", fr: "y" } }])).to.include("t.title: missing the fr version");
  });

  it("names a file it cannot read", async () => {
    const dir = mkdtempSync(join(tmpdir(), "xi-agreements-"));
    try {
      expect(await failure([{ id: "t", title: { en: "T", fr: "T" }, file: { en: "missing.md", fr: "missing.md" } }], dir)).to.include('option "agreements"').and.include(join(dir, "missing.md")).and.include("ENOENT");
    } finally { rmSync(dir, { recursive: true, force: true }); }
  });

  it("refuses an id used twice and a host not served", async () => {
    const a = { title: { en: "T", fr: "T" }, text: { en: "x", fr: "y" } };
    expect(await failure([{ id: "t", ...a }, { id: "t", ...a }])).to.include("the id t is used twice");
    expect(await failure([{ id: "t", ...a, hosts: ["elsewhere.example"] }])).to.include("elsewhere.example is not served here");
  });

  it("applies an agreement only to the hosts it names", async () => {
    const h = await startTestHost({ enabled: ["invites", "invites_page", "invites_register"], hosts: ["localhost", "other.localhost"], options: { agreements: [{ id: "t", title: { en: "T", fr: "T" }, text: { en: "x", fr: "y" }, hosts: ["other.localhost"] }] } });
    try {
      const register = h.api<InvitesRegisterApi>("invites_register");
      expect(register.agreements("localhost")).to.deep.equal([]);
      expect(register.agreements("other.localhost").map((a) => a.id)).to.deep.equal(["t"]);
    } finally { await h.stop(); }
  });
});
