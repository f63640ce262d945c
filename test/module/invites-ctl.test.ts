// invitectl commands of the invites module: output and exit codes (0 ok, 1 failed/not found, 2 usage).
import { expect } from "chai";
import { startTestHost, type TestHost } from "../helpers/host.js";
import invites from "../../modules/invites/index.js";
import type { InvitesApi } from "../../modules/invites/types.js";

const URI = /^xmpp:\S+\?(register|roster);preauth=([A-Za-z0-9_-]{24})(;ibr=y)?$/;

describe("invites: invitectl commands", () => {
  let t: TestHost;
  let api: InvitesApi;
  before(async () => {
    t = await startTestHost({ modules: [invites], hosts: ["example.org", "other.example"], store: "sqlite" });
    api = t.api<InvitesApi>("invites");
  });
  after(async () => { await t.stop(); });

  /** Runs a command that must succeed and returns its stdout lines. */
  async function ok(...argv: string[]): Promise<string[]> {
    const r = await t.runCtl(argv);
    expect(r.code, r.stderr).to.equal(0);
    return r.stdout.trimEnd().split("\n");
  }
  const tokenOf = (line: string) => URI.exec(line)![2]!;

  it("mod_invites generate prints the URI of an account invite (no landing page loaded)", async () => {
    const [line] = await ok("mod_invites", "generate", "example.org");
    expect(line).to.match(/^xmpp:example\.org\?register;preauth=/);
    expect((await api.get(tokenOf(line!)))?.type).to.equal("account");
  });

  it("mod_invites generate --admin --role --group and --reset", async () => {
    const [line] = await ok("mod_invites", "generate", "example.org", "--admin", "--role", "prosody:member", "--group", "g1", "--group", "g2");
    const invite = (await api.get(tokenOf(line!)))!;
    expect(invite.roles).to.have.members(["prosody:member", "prosody:admin"]);
    expect(invite.groups).to.deep.equal(["g1", "g2"]);
    const [reset] = await ok("mod_invites", "generate", "example.org", "--reset", "juliet");
    expect(reset).to.match(/^xmpp:juliet@example\.org\?register;preauth=/);
    expect((await api.get(tokenOf(reset!)))?.type).to.equal("reset");
  });

  it("invite create_account with every flag", async () => {
    const lines = await ok("invite", "create_account", "example.org", "--username", "Romeo", "--email", "romeo@mail.example",
      "--uses", "3", "--expires-after", "15d", "--not-before", "2h", "--role", "r1", "--group", "g", "--note", "band", "--short-code");
    expect(lines[0]).to.match(/^xmpp:romeo@example\.org\?register;preauth=/);
    expect(lines[1]).to.match(/^Short code: [A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4} \(valid until /);
    const i = (await api.get(tokenOf(lines[0]!)))!;
    expect(i).to.include({ username: "romeo", email: "romeo@mail.example", usesAllowed: 3, note: "band", source: "ctl" });
    expect(i.expiresAt - Date.now()).to.be.within(15 * 86_400_000 - 10_000, 15 * 86_400_000 + 10_000);
    expect(i.notBefore! - Date.now()).to.be.within(2 * 3_600_000 - 10_000, 2 * 3_600_000 + 10_000);
    expect(api.validateInvite(i)).to.deep.include({ reason: "not_yet_valid" });
  });

  it("invite create_account JID binds the username; --uses unlimited; ISO expiry; --qr", async () => {
    // An ISO date within max_invite_expiry (1 year): midnight UTC, 100 days from now.
    const day = new Date(Date.now() + 100 * 86_400_000).toISOString().slice(0, 10);
    const lines = await ok("invite", "create_account", "bob@example.org", "--uses", "unlimited", "--expires-after", `${day}T00:00:00Z`, "--qr");
    const i = (await api.get(tokenOf(lines[0]!)))!;
    expect(i).to.include({ username: "bob", usesAllowed: null, expiresAt: Date.parse(`${day}T00:00:00Z`) });
    expect(lines.length).to.be.greaterThan(5); // the QR code's rows
    expect(lines.slice(1).join("\n")).to.match(/[▀▄█]/);
  });

  it("invite create_contact and create_reset", async () => {
    const [contact] = await ok("invite", "create_contact", "romeo@example.org");
    expect(contact).to.match(/^xmpp:romeo@example\.org\?roster;preauth=[^;]+$/);
    const [both] = await ok("invite", "create_contact", "romeo@example.org", "--allow-registration");
    expect(both).to.match(/;ibr=y$/);
    const [reset] = await ok("invite", "create_reset", "juliet@example.org", "--expires-after", "1h");
    expect((await api.get(tokenOf(reset!)))?.type).to.equal("reset");
  });

  it("prints JSON with --json", async () => {
    const r = await t.runCtl(["invite", "create_account", "example.org", "--json"]);
    expect(r.code).to.equal(0);
    const data = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(data).to.include({ type: "account", status: "pending", host: "example.org", uses_allowed: 1 });
    expect(String(data.link)).to.match(URI);
    expect(data).not.to.have.property("tokenHash");
  });

  it("exits 2 naming the flag or value on bad input", async () => {
    const cases: [string[], RegExp][] = [
      [["invite", "create_account", "example.org", "--expires-after", "soon"], /--expires-after.*soon/],
      [["invite", "create_account", "example.org", "--uses", "-2"], /--uses.*-2/],
      [["invite", "create_account", "nowhere.example"], /nowhere\.example/],
      [["invite", "create_account", "example.org", "--username", "a:b"], /username "a:b".*":"/],
      [["invite", "create_reset", "example.org"], /user JID/],
      [["mod_invites", "generate", "elsewhere.example"], /elsewhere\.example/],
      [["invite", "extend", "example.org", "AAAAAAAAAAAA", "whenever"], /duration: expected .*"whenever"/],
      [["invite", "list", "example.org", "--status", "lost"], /lost|status/i],
    ];
    for (const [argv, message] of cases) {
      const r = await t.runCtl(argv);
      expect(r.code, argv.join(" ")).to.equal(2);
      expect(r.stderr, argv.join(" ")).to.match(message);
    }
  });

  it("creates nothing when a flag is outside its choices (--lang)", async () => {
    const before = (await api.list({ host: "example.org", limit: 500 })).invites.length;
    const r = await t.runCtl(["invite", "create_account", "example.org", "--lang", "de"]);
    expect(r.code).to.equal(2);
    expect(r.stderr).to.include("lang").and.include("de");
    expect(r.stdout).to.equal("");
    expect((await api.list({ host: "example.org", limit: 500 })).invites).to.have.length(before);
  });

  it("stores --email and --lang, and shows them", async () => {
    const lines = await ok("--json", "invite", "create_account", "example.org", "--email", "bea@example.net", "--lang", "fr");
    const shown = JSON.parse(lines.join("\n")) as { id: string; email: string; lang: string };
    expect(shown).to.include({ email: "bea@example.net", lang: "fr" });
    expect(await ok("invite", "show", "example.org", shown.id)).to.include.members(["email:       bea@example.net", "language:    fr"]);
  });

  it("exits 1 for an unknown token or id", async () => {
    for (const cmd of ["show", "revoke", "delete"]) {
      const r = await t.runCtl(["invite", cmd, "example.org", "NoSuchTokenAtAllNoSuchTok"]);
      expect(r.code, cmd).to.equal(1);
      expect(r.stderr).to.match(/No invite NoSu… on example\.org/);
      expect(r.stderr).not.to.include("NoSuchTokenAtAll");
    }
  });

  it("show, revoke, extend, list --status and delete an invite by token or id", async () => {
    const [line] = await ok("invite", "create_account", "other.example", "--note", "to revoke");
    const token = tokenOf(line!);
    const id = (await api.get(token))!.id;
    const shown = await ok("invite", "show", "other.example", token);
    expect(shown).to.include(`id:          ${id}`).and.include("status:      pending");
    // Not found on another host.
    expect((await t.runCtl(["invite", "show", "example.org", token])).code).to.equal(1);
    expect(await ok("invite", "revoke", "other.example", id)).to.deep.equal([`Revoked invite ${id}`]);
    const revoked = await ok("invite", "list", "other.example", "--status", "revoked");
    expect(revoked[0]).to.match(/^ID/);
    expect(revoked[1]).to.match(new RegExp(`^${id}\\s+account\\s+revoked`));
    const [ext] = await ok("invite", "extend", "other.example", token, "3d");
    expect(ext).to.match(new RegExp(`^Invite ${id} now expires at \\d{4}-`));
    expect((await ok("invite", "show", "other.example", id))).to.include("status:      pending");
    const listed = JSON.parse((await t.runCtl(["invite", "list", "other.example", "--json"])).stdout) as { invites: { id: string }[] };
    expect(listed.invites.map((i) => i.id)).to.include(id);
    expect(await ok("invite", "delete", "other.example", token)).to.deep.equal([`Deleted invite ${id}`]);
    expect(await ok("invite", "list", "other.example")).to.deep.equal(["No invites on other.example"]);
  });

  it("reservations lists the open reservations and settle completes or releases one by hand", async () => {
    const one = await api.createAccount({ host: "example.org", source: "ctl" });
    const two = await api.createAccount({ host: "example.org", source: "ctl" });
    const a = await api.reserve(one.token, "portia");
    const b = await api.reserve(two.token, "nerissa");
    const listed = await ok("invite", "reservations", "example.org");
    expect(listed.find((l) => l.startsWith(a.reservationId))).to.include("portia@example.org");
    expect(listed.find((l) => l.startsWith(b.reservationId))).to.include("nerissa@example.org");
    const [done] = await ok("invite", "settle", "example.org", a.reservationId, "created");
    expect(done).to.match(/completed; invite \S+: 1 completed, 0 pending/);
    await ok("invite", "settle", "example.org", b.reservationId, "not-created");
    expect((await api.getById(one.invite.id))).to.include({ usesCompleted: 1, usesPending: 0 });
    expect((await api.validate(two.token)).ok, "the use is given back").to.equal(true);
    const again = await t.runCtl(["invite", "settle", "example.org", a.reservationId, "created"]);
    expect(again.code).to.equal(1);
    expect(again.stderr).to.match(/No open reservation/);
    const wrong = await t.runCtl(["invite", "settle", "example.org", b.reservationId, "maybe"]);
    expect(wrong.code).to.equal(2);
  });
});
