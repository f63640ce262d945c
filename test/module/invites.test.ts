// The invite store through its module API, on SQLite (in memory and a file) and on PostgreSQL.
import { expect } from "chai";
import { defineModule } from "../../core/types.js";
import { isModuleError } from "../../core/errors.js";
import { STORES, startTestHost, storeName, type TestHost } from "../helpers/host.js";
import invites from "../../modules/invites/index.js";
import type { InvitesApi, InviteReservationEvent, InviteEvent } from "../../modules/invites/types.js";

const HOSTS = ["example.org", "other.example"];
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Records every invite event and sets a landing URL, as invites_page does. */
const probe = defineModule({
  name: "invites_probe",
  dependencies: ["invites"],
  setup(mod) {
    const events: { name: string; payload: unknown }[] = [];
    mod.hook("invite-created", ({ created }) => {
      events.push({ name: "invite-created", payload: created });
      created.landingUrl = `https://example.org/invite/${created.token}`;
    });
    for (const name of ["invite-reserved", "invite-used", "invite-released", "invite-revoked", "invite-extended"] as const) {
      mod.hook(name, (payload: InviteReservationEvent | InviteEvent) => { events.push({ name, payload }); });
    }
    return { events };
  },
});

async function rejects(p: Promise<unknown>, code: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(isModuleError(e), String(e)).to.equal(true);
    expect((e as { code: string }).code).to.equal(code);
    return e as Error;
  }
  throw new Error(`expected ${code}`);
}


for (const store of STORES) {
  describe(`invites module (${storeName(store)})`, () => {
    let t: TestHost;
    let api: InvitesApi;
    let events: { name: string; payload: unknown }[];
    beforeEach(async () => {
      t = await startTestHost({ modules: [invites, probe], hosts: HOSTS, store });
      api = t.api<InvitesApi>("invites");
      events = t.api<{ events: typeof events }>("invites_probe").events;
    });
    afterEach(async () => { await t.stop(); });

    it("creates an account invite with the defaults and a landing URL set by invite-created", async () => {
      const before = Date.now();
      const c = await api.createAccount({ host: "example.org", source: "ctl" });
      expect(c.token).to.match(/^[A-Za-z0-9_-]{24}$/);
      expect(c.uri).to.equal(`xmpp:example.org?register;preauth=${c.token}`);
      expect(c.landingUrl).to.equal(`https://example.org/invite/${c.token}`);
      expect(c.link).to.equal(c.landingUrl);
      const i = c.invite;
      expect(i).to.include({ type: "account", host: "example.org", usesAllowed: 1, usesPending: 0, usesCompleted: 0, revokedAt: null, source: "ctl" });
      expect(i.expiresAt - before).to.be.within(7 * DAY - 5000, 7 * DAY + 5000);
      expect(events.map((e) => e.name)).to.deep.equal(["invite-created"]);
      // Stored: found by token and by id; the token itself is not in the record.
      expect((await api.get(c.token))?.id).to.equal(i.id);
      expect((await api.getById(i.id))?.id).to.equal(i.id);
      expect(JSON.stringify(await api.getById(i.id))).not.to.include(c.token);
    });

    it("writes the URI of each type as XEP-0401/0379 do", async () => {
      const bound = await api.createAccount({ host: "example.org", source: "ctl", username: "Juliet" });
      expect(bound.invite.username).to.equal("juliet");
      expect(bound.uri).to.equal(`xmpp:juliet@example.org?register;preauth=${bound.token}`);
      const contact = await api.createContact({ host: "example.org", source: "ctl", inviter: "Romeo@example.org" });
      expect(contact.invite.type).to.equal("contact");
      expect(contact.uri).to.equal(`xmpp:romeo@example.org?roster;preauth=${contact.token}`);
      const both = await api.createContact({ host: "example.org", source: "ctl", inviter: "romeo@example.org", allowRegistration: true });
      expect(both.invite.type).to.equal("account_and_contact");
      expect(both.uri).to.equal(`xmpp:romeo@example.org?roster;preauth=${both.token};ibr=y`);
      const reset = await api.createReset({ host: "example.org", source: "ctl", username: "juliet" });
      expect(reset.uri).to.equal(`xmpp:juliet@example.org?register;preauth=${reset.token}`);
      expect(reset.invite.expiresAt - Date.now()).to.be.within(DAY - 5000, DAY + 5000);
    });

    it("refuses bad input with a 4xx error naming the field", async () => {
      expect((await rejects(api.createAccount({ host: "nowhere.example", source: "ctl" }), "invites.unknown_host")).message).to.include("nowhere.example");
      expect((await rejects(api.createAccount({ host: "example.org", source: "ctl", username: "a b" }), "invites.bad_username")).message).to.include("spaces");
      await rejects(api.createAccount({ host: "example.org", source: "ctl", usesAllowed: -1 }), "invites.bad_uses");
      await rejects(api.createAccount({ host: "example.org", source: "ctl", usesAllowed: 1.5 }), "invites.bad_uses");
      await rejects(api.createAccount({ host: "example.org", source: "ctl", expiresAt: Date.now() - 1 }), "invites.bad_duration");
      await rejects(api.createAccount({ host: "example.org", source: "ctl", email: "not-an-email" }), "invites.bad_request");
      await rejects(api.createContact({ host: "example.org", source: "ctl", inviter: "romeo@example.org/phone" }), "invites.bad_jid");
      await rejects(api.createContact({ host: "example.org", source: "ctl", inviter: "romeo@other.example" }), "invites.bad_jid");
      await rejects(api.createReset({ host: "example.org", source: "ctl", username: "" }), "invites.bad_username");
    });

    it("spends a use only on complete, and gives it back on release", async () => {
      const c = await api.createAccount({ host: "example.org", source: "ctl" });
      const r1 = await api.reserve(c.token, "alice");
      expect(r1.invite.usesPending).to.equal(1);
      await rejects(api.reserve(c.token, "bob"), "invites.used_up");
      // Registration failed (e.g. the name was taken): the use comes back.
      const released = await api.release(r1);
      expect(released).to.include({ usesPending: 0, usesCompleted: 0 });
      expect((await api.validate(c.token)).ok).to.equal(true);
      const r2 = await api.reserve(c.token, "bob");
      const done = await api.complete(r2);
      expect(done).to.include({ usesPending: 0, usesCompleted: 1 });
      expect(done.usedAt).to.be.a("number");
      expect(api.status(done)).to.equal("used");
      expect(await api.validate(c.token)).to.deep.include({ ok: false, reason: "used_up" });
      await rejects(api.reserve(c.token, "carol"), "invites.used_up");
      await rejects(api.complete(r2), "invites.no_reservation");
      expect(events.map((e) => e.name)).to.deep.equal(["invite-created", "invite-reserved", "invite-released", "invite-reserved", "invite-used"]);
      expect((events[4]!.payload as InviteReservationEvent).username).to.equal("bob");
    });

    it("gives reservation ids that never start with \"-\" (invitectl invite settle takes them as arguments)", async () => {
      const c = await api.createAccount({ host: "example.org", source: "ctl", usesAllowed: 300 });
      const ids = await Promise.all(Array.from({ length: 300 }, (_, i) => api.reserve(c.token, `user${i}`).then((r) => r.reservationId)));
      // Random base64url would start with "-" in about 1 of 64: 300 ids without one is a 1% chance.
      for (const id of ids) expect(id).to.match(/^[A-Za-z0-9][A-Za-z0-9_-]{15}$/);
    });

    it("enforces a bound username at reserve", async () => {
      const c = await api.createAccount({ host: "example.org", source: "ctl", username: "juliet" });
      await rejects(api.reserve(c.token, "romeo"), "invites.username_mismatch");
      const r = await api.reserve(c.token, "Juliet");
      expect(Object.values(r.invite.reservations)[0]!.username).to.equal("juliet");
    });

    it("gives each validation reason, and the same code when reserving", async () => {
      expect(await api.validate("A".repeat(24))).to.deep.equal({ ok: false, reason: "invalid" });
      await rejects(api.reserve("A".repeat(24), "x"), "invites.invalid");
      expect(await api.validate("../../etc")).to.deep.equal({ ok: false, reason: "invalid" });

      const later = await api.createAccount({ host: "example.org", source: "ctl", notBefore: Date.now() + HOUR });
      expect(await api.validate(later.token)).to.deep.include({ ok: false, reason: "not_yet_valid" });
      await rejects(api.reserve(later.token, "x"), "invites.not_yet_valid");

      const short = await api.createAccount({ host: "example.org", source: "ctl", expiresAt: t.clock.now() + 40 });
      t.clock.advance(60);
      expect(await api.validate(short.token)).to.deep.include({ ok: false, reason: "expired" });
      await rejects(api.reserve(short.token, "x"), "invites.expired");
      expect(api.status(short.invite)).to.equal("expired");
    });

    it("revokes, then extend gives a new expiry and un-revokes", async () => {
      const c = await api.createAccount({ host: "example.org", source: "ctl" });
      const revoked = await api.revoke(c.invite.id, "admin@example.org");
      expect(revoked.revokedAt).to.be.a("number");
      expect(await api.validate(c.token)).to.deep.include({ ok: false, reason: "revoked" });
      await rejects(api.reserve(c.token, "x"), "invites.revoked");
      const until = Date.now() + 30 * DAY;
      const extended = await api.extend(c.invite.id, until, "admin@example.org");
      expect(extended).to.include({ revokedAt: null, expiresAt: until });
      expect((await api.validate(c.token)).ok).to.equal(true);
      expect(events.slice(1).map((e) => [e.name, (e.payload as InviteEvent).by])).to.deep.equal([
        ["invite-revoked", "admin@example.org"], ["invite-extended", "admin@example.org"],
      ]);
      await rejects(api.extend(c.invite.id, Date.now() - 1), "invites.bad_duration");
      await rejects(api.revoke("AAAAAAAAAAAA"), "invites.not_found");
    });

    it("updates uses and note", async () => {
      const c = await api.createAccount({ host: "example.org", source: "ctl" });
      const u = await api.update(c.invite.id, { usesAllowed: null, note: "for the choir" });
      expect(u).to.include({ usesAllowed: null, note: "for the choir" });
      await api.complete(await api.reserve(c.token, "a"));
      await api.complete(await api.reserve(c.token, "b"));
      expect((await api.getById(c.invite.id))!.usesCompleted).to.equal(2);
      await rejects(api.update(c.invite.id, { usesAllowed: 0 }), "invites.bad_uses");
    });

    it("issues a short code that resolves to the invite until its TTL", async () => {
      const c = await api.createAccount({ host: "example.org", source: "ctl", shortCode: true });
      const code = c.invite.shortCode!;
      expect(code).to.match(/^[A-HJ-NP-Z2-9]{8}$/);
      expect(c.invite.shortCodeExpiresAt! - Date.now()).to.be.within(10 * 60_000 - 5000, 10 * 60_000 + 5000);
      const v = await api.resolveShortCode(`${code.slice(0, 4).toLowerCase()}-${code.slice(4)}`);
      expect(v.ok && v.invite.id).to.equal(c.invite.id);
      expect((await api.find(code))?.id).to.equal(c.invite.id);
      expect(await api.resolveShortCode("ZZZZZZZZ")).to.deep.equal({ ok: false, reason: "invalid" });
      // Like the token, the code is shown once: the store keeps only its hash.
      const stored = (await api.getById(c.invite.id))!;
      expect(stored.shortCode).to.equal(null);
      expect(stored.shortCodeHash).to.match(/^[0-9a-f]{64}$/).and.not.include(code);
      // A short code leads to the invite but not its token: reserve by id.
      const r = await api.reserveById(c.invite.id, "dave");
      expect(r.invite.usesPending).to.equal(1);
      // Capped by the invite's own expiry.
      const brief = await api.createAccount({ host: "example.org", source: "ctl", shortCode: true, expiresAt: Date.now() + 60_000 });
      expect(brief.invite.shortCodeExpiresAt).to.equal(brief.invite.expiresAt);
    });

    it("finds by token, id or code, and deletes", async () => {
      const c = await api.createAccount({ host: "example.org", source: "ctl" });
      expect((await api.find(c.token))?.id).to.equal(c.invite.id);
      expect((await api.find(c.invite.id))?.id).to.equal(c.invite.id);
      expect(await api.delete(c.invite.id)).to.equal(true);
      expect(await api.get(c.token)).to.equal(undefined);
      expect(await api.delete(c.invite.id)).to.equal(false);
    });

    it("lists newest first with a cursor, by host, inviter, type and status", async () => {
      const made: string[] = [];
      for (let i = 0; i < 7; i++) made.push((await api.createAccount({ host: "example.org", source: "ctl" })).invite.id);
      const other = await api.createAccount({ host: "other.example", source: "ctl" });
      const contact = await api.createContact({ host: "example.org", source: "adhoc/romeo@example.org", inviter: "romeo@example.org" });
      await api.revoke(made[2]!);

      const p1 = await api.list({ host: "example.org", limit: 3 });
      expect(p1.invites.map((i) => i.id)).to.deep.equal([contact.invite.id, made[6], made[5]]);
      const p2 = await api.list({ host: "example.org", limit: 3, cursor: p1.cursor! });
      expect(p2.invites.map((i) => i.id)).to.deep.equal([made[4], made[3], made[2]]);
      const p3 = await api.list({ host: "example.org", limit: 3, cursor: p2.cursor! });
      expect(p3.invites.map((i) => i.id)).to.deep.equal([made[1], made[0]]);
      expect(p3.cursor).to.equal(undefined);

      expect((await api.list({ host: "other.example" })).invites.map((i) => i.id)).to.deep.equal([other.invite.id]);
      expect((await api.list({ inviter: "romeo@example.org" })).invites.map((i) => i.id)).to.deep.equal([contact.invite.id]);
      expect((await api.list({ type: "contact" })).invites.map((i) => i.id)).to.deep.equal([contact.invite.id]);
      expect((await api.list({ host: "example.org", status: "revoked" })).invites.map((i) => i.id)).to.deep.equal([made[2]]);
      expect((await api.list({})).invites).to.have.length(9);
      await rejects(api.list({ limit: 501 }), "invites.bad_request");
    });

    it("sweeps invites dead for longer than invite_retention, and no others", async () => {
      const live = await api.createAccount({ host: "example.org", source: "ctl" });
      const used = await api.createAccount({ host: "example.org", source: "ctl", shortCode: true });
      await api.complete(await api.reserve(used.token, "u"));
      const revoked = await api.createAccount({ host: "other.example", source: "ctl" });
      await api.revoke(revoked.invite.id);
      const expiring = await api.createAccount({ host: "example.org", source: "ctl", expiresAt: Date.now() + 2 * DAY });

      expect(await api.sweep(Date.now() + 6 * DAY)).to.equal(0);
      // Eight days on, used and revoked have been dead for more than the week of retention;
      // expiring has been dead for six days and live for one, so both stay.
      expect(await api.sweep(Date.now() + 8 * DAY)).to.equal(2);
      expect(await api.getById(used.invite.id)).to.equal(undefined);
      expect(await api.get(used.token)).to.equal(undefined);
      expect(await api.resolveShortCode(used.invite.shortCode!)).to.deep.equal({ ok: false, reason: "invalid" });
      expect(await api.getById(revoked.invite.id)).to.equal(undefined);
      expect(await api.getById(expiring.invite.id)).not.to.equal(undefined);
      expect(await api.getById(live.invite.id)).not.to.equal(undefined);
      expect((await api.list({ host: "other.example" })).invites).to.have.length(0);
      expect(await api.sweep(Date.now() + 30 * DAY)).to.equal(2);
      expect((await api.list({})).invites).to.have.length(0);
    });

    it("deletes the invite when an invite-created handler vetoes", async () => {
      const veto = defineModule({ name: "veto", dependencies: ["invites"], setup(mod) { mod.hook("invite-created", () => { throw new Error("no"); }, 10); } });
      const v = await startTestHost({ modules: [invites, veto], hosts: HOSTS, store });
      try {
        const vapi = v.api<InvitesApi>("invites");
        let failed = false;
        await vapi.createAccount({ host: "example.org", source: "ctl" }).catch(() => { failed = true; });
        expect(failed).to.equal(true);
        expect((await vapi.list({})).invites).to.have.length(0);
      } finally {
        await v.stop();
      }
    });

    it("checks usernames with the configured max_username_length", async () => {
      expect(api.checkUsername("Alice")).to.deep.equal({ ok: true, username: "alice" });
      expect(api.checkUsername("a".repeat(65))).to.deep.include({ ok: false });
    });
  });
}
