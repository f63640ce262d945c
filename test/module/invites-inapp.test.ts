// The component's side of the server protocol (docs/server-module.md), in a real host with
// the invite and registration modules; requests are built as the component link hands them
// over, the XMPP server behind the admin port is in memory. The same paths against a real
// Prosody running mod_xmpp_invites are in test/integration/inapp.test.ts.
import { expect } from "chai";
import { adminErrors, type AdminPort, type Capability, type RosterItem, type ServerCapabilities } from "../../core/admin.js";
import { xml, type Element } from "../../core/types.js";
import type { InvitesApi } from "../../modules/invites/types.js";
import { SERVER_PROTOCOL_NS as NS } from "../../modules/invites_inapp/index.js";
import type { InvitesInAppApi } from "../../modules/invites_inapp/types.js";
import { startTestHost, type TestHost } from "../helpers/host.js";

class MemoryServer implements AdminPort {
  accounts = new Set<string>();
  rosters = new Map<string, RosterItem[]>();
  privileges = { roster: "both" };
  get connected() { return true; }
  async createAccount(jid: string) { if (this.accounts.has(jid)) throw adminErrors.username_taken(); this.accounts.add(jid); }
  async changePassword(jid: string) { if (!this.accounts.has(jid)) throw adminErrors.no_such_user(); }
  async deleteAccount(jid: string) { this.accounts.delete(jid); }
  async disableAccount() {}
  async enableAccount() {}
  async endSessions() {}
  async accountExists(jid: string) { return this.accounts.has(jid); }
  async getRoster(jid: string) { return this.rosters.get(jid) ?? []; }
  async setRosterItem(jid: string, item: RosterItem) { this.rosters.set(jid, [...(this.rosters.get(jid) ?? []).filter((i) => i.jid !== item.jid), item]); }
  get capabilities(): ServerCapabilities {
    const ok: Capability = { ok: true, via: "test" };
    return { known: true, hosts: { localhost: { host: "localhost", adminCommands: [], apiCommands: [], accounts: ok, passwordChange: ok, accountCheck: ok, contacts: ok } } };
  }
  async getProfile() { return { via: "none" }; }
  async makeMutualContacts(a: { jid: string; name: string }, b: { jid: string; name: string }) {
    await this.setRosterItem(a.jid, { jid: b.jid, name: b.name, subscription: "both", groups: [] });
    await this.setRosterItem(b.jid, { jid: a.jid, name: a.name, subscription: "both", groups: [] });
    return { via: "test" };
  }
}

interface Refusal { code: string; condition: string; message: string }

describe("invites_inapp: the server protocol", () => {
  let h: TestHost;
  let invites: InvitesApi;
  const server = new MemoryServer();

  /** One request as mod_xmpp_invites sends it, from `from` (default: the host's own JID). */
  const send = async (name: string, attrs: Record<string, string>, opts: { from?: string; password?: string | string[] } = {}) => {
    const passwords = opts.password === undefined ? [] : Array.isArray(opts.password) ? opts.password : [opts.password];
    const element = xml(name, { xmlns: NS, ...attrs }, ...passwords.map((p) => xml("password", {}, p)));
    const handler = h.host.iqHandlers.get(`set ${NS}`)!;
    return (await handler({ from: opts.from ?? "localhost", to: "invites.localhost", id: "x", type: "set", element })) as Element | undefined;
  };
  const refusal = async (p: Promise<unknown>): Promise<Refusal> => {
    try { await p; } catch (e) { return e as Refusal; }
    throw new Error("expected a refusal");
  };
  const until = async (what: string, cond: () => Promise<boolean>) => {
    for (let i = 0; i < 200; i++) { if (await cond()) return; await new Promise((r) => setTimeout(r, 10)); }
    throw new Error(`timed out waiting for ${what}`);
  };

  before(async () => {
    h = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_inapp"], hosts: ["localhost", "other.example"],
      options: { inapp_rate_limit: 1000, password_policy: { length: 10 } },
    });
    h.host.link = { start: async () => {}, stop: async () => {}, connected: true, lastError: undefined, admin: server };
    invites = h.api<InvitesApi>("invites");
  });
  after(() => h.stop());

  it("answers only a served host's own JID: a user, a resource or another server is refused", async () => {
    for (const from of ["ann@localhost", "localhost/res", "evil.example"]) {
      const r = await refusal(send("announce", { boot: "b" }, { from }));
      expect(r.code, from).to.equal("invites_inapp.not_a_server");
      expect(r.condition).to.equal("forbidden");
    }
  });

  it("records the announcement per host, answers pages through in-app-paths, and forgets it on withdraw and when the link drops", async () => {
    const api = h.api<InvitesInAppApi>("invites_inapp");
    const ask = async (host: string) => { const q = { host, available: false }; await h.host.events.fire("in-app-paths", q); return q.available; };
    expect(await ask("localhost")).to.equal(false);
    expect(await send("announce", { boot: "b1", version: "0.1.0" })).to.equal(undefined);
    expect(api.available("localhost")).to.equal(true);
    expect(await ask("localhost")).to.equal(true);
    expect(await ask("other.example"), "announced for localhost only").to.equal(false);
    await send("withdraw", {});
    expect(await ask("localhost")).to.equal(false);
    await send("announce", { boot: "b1" });
    await h.host.events.fire("component-offline", {});
    expect(api.available("localhost")).to.equal(false);
  });

  it("checks a token for <preauth/>: its type and bound name, or the reason it cannot be used", async () => {
    const bound = await invites.createAccount({ host: "localhost", source: "test", username: "cleo" });
    const ok = await send("token", { token: bound.token, ip: "192.0.2.1" });
    expect(ok?.attrs).to.deep.equal({ xmlns: NS, type: "account", username: "cleo" });
    expect((await invites.get(bound.token))!.usesPending, "checking reserves nothing").to.equal(0);

    const contact = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost" });
    expect((await refusal(send("token", { token: contact.token }))).code).to.equal("invites_register.not_for_registration");
    const elsewhere = await invites.createAccount({ host: "other.example", source: "test" });
    const other = await refusal(send("token", { token: elsewhere.token }));
    expect(other.code).to.equal("invites_inapp.other_host");
    expect(other.message).to.equal("This invite is for other.example, not localhost");
    const revoked = await invites.createAccount({ host: "localhost", source: "test" });
    await invites.revoke(revoked.invite.id);
    expect(await refusal(send("token", { token: revoked.token }))).to.deep.include({ code: "invites.revoked", condition: "gone" });
    expect(await refusal(send("token", { token: "AAAAAAAAAAAAAAAAAAAAAAAA" }))).to.deep.include({ code: "invites.invalid", condition: "item-not-found" });
  });

  it("refuses malformed requests with bad-request naming what is wrong", async () => {
    const c = await invites.createAccount({ host: "localhost", source: "test" });
    const cases: [string, Record<string, string>, string | string[] | undefined, string][] = [
      ["token", {}, undefined, "<token/> needs a token attribute"],
      ["register", { token: c.token }, "a long password", "<register/> needs a boot attribute"],
      ["register", { token: c.token, boot: "b", username: "x".repeat(3072) }, "a long password", "<register/> username: at most 3071 characters"],
      ["register", { token: c.token, boot: "b", username: "dana" }, ["a long password", "another one"], "<register/> has 2 <password/> elements; send one"],
      ["done", { id: "x", ok: "maybe" }, undefined, '<done/> ok: expected true or false, got "maybe"'],
      ["nonsense", {}, undefined, `Unknown element <nonsense/> in ${NS}`],
    ];
    for (const [name, attrs, password, message] of cases) {
      const r = await refusal(send(name, attrs, password === undefined ? {} : { password }));
      expect(r, message).to.deep.include({ condition: "bad-request", message });
    }
    expect((await invites.get(c.token))!.usesPending).to.equal(0);
  });

  it("registers in-app with the web's rules: reserve on <register/>, spend on <done ok='true'/>, give back on ok='false'", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost", allowRegistration: true });
    const weak = await refusal(send("register", { token: c.token, boot: "b1", username: "dana" }, { password: "dana-pass-99" }));
    expect(weak).to.deep.include({ code: "invites_register.weak_password", condition: "not-acceptable", message: "The password must not contain the username." });
    const spaced = await refusal(send("register", { token: c.token, boot: "b1", username: "two words" }, { password: "a long password" }));
    expect(spaced.code).to.equal("invites_register.bad_username");
    const long = await refusal(send("register", { token: c.token, boot: "b1", username: "x".repeat(100) }, { password: "a long password" }));
    expect(long.message, "the rule, in words for the app's user").to.equal("This username cannot be used: username is longer than 64 characters");

    const first = await send("register", { token: c.token, boot: "b1", username: "Dana", ip: "192.0.2.1" }, { password: "a long password" });
    expect(first?.attrs.username, "the canonical name the server must create").to.equal("dana");
    expect((await invites.get(c.token))!.usesPending).to.equal(1);
    // The single use is held: a second registration meanwhile is refused.
    expect((await refusal(send("register", { token: c.token, boot: "b1", username: "eve" }, { password: "a long password" }))).code).to.equal("invites.used_up");
    await send("done", { id: String(first!.attrs.id), ok: "false" });
    expect((await invites.get(c.token))!.usesPending).to.equal(0);
    expect((await refusal(send("done", { id: String(first!.attrs.id), ok: "true" }))).code, "settled once").to.equal("invites_inapp.unknown_pending");

    const second = await send("register", { token: c.token, boot: "b1", username: "dana" }, { password: "a long password" });
    server.accounts.add("dana@localhost");
    expect((await refusal(send("done", { id: String(second!.attrs.id), ok: "true" }, { from: "other.example" }))).code, "only the server that began it").to.equal("invites_inapp.unknown_pending");
    await send("done", { id: String(second!.attrs.id), ok: "true" });
    const used = (await invites.get(c.token))!;
    expect([used.usesPending, used.usesCompleted]).to.deep.equal([0, 1]);
    expect(server.rosters.get("ann@localhost"), "mutual contacts, as on the web").to.deep.include({ jid: "dana@localhost", name: "dana", subscription: "both", groups: [] });
  });

  it("resets a password in-app: only the bound account, with the password rules", async () => {
    const c = await invites.createReset({ host: "localhost", source: "test", username: "fay" });
    expect((await refusal(send("reset", { token: c.token, boot: "b1", username: "mallory" }, { password: "a long password" }))).code).to.equal("invites.username_mismatch");
    const began = await send("reset", { token: c.token, boot: "b1", username: "fay" }, { password: "a long password" });
    expect(began?.attrs.username).to.equal("fay");
    await send("done", { id: String(began!.attrs.id), ok: "true" });
    expect((await invites.get(c.token))!.usesCompleted).to.equal(1);
  });

  it("settles what a restarted server (another boot) began: spent if the account exists, given back if not", async () => {
    const made = await invites.createAccount({ host: "localhost", source: "test" });
    const lost = await invites.createAccount({ host: "localhost", source: "test" });
    const reset = await invites.createReset({ host: "localhost", source: "test", username: "gus" });
    await send("announce", { boot: "old" });
    await send("register", { token: made.token, boot: "old", username: "hal" }, { password: "a long password" });
    await send("register", { token: lost.token, boot: "old", username: "ivy" }, { password: "a long password" });
    await send("reset", { token: reset.token, boot: "old" }, { password: "a long password" });
    server.accounts.add("hal@localhost"); // created just before the old process died
    await send("announce", { boot: "new" });
    await until("the settlement", async () => (await invites.get(made.token))!.usesPending + (await invites.get(lost.token))!.usesPending + (await invites.get(reset.token))!.usesPending === 0);
    expect((await invites.get(made.token))!.usesCompleted).to.equal(1);
    expect((await invites.validate(lost.token)).ok).to.equal(true);
    expect((await invites.validate(reset.token)).ok, "an interrupted reset is given back").to.equal(true);
  });

  it("accepts a XEP-0379 subscription with a contact invite's token for its inviter only, and spends it", async () => {
    const c = await invites.createContact({ host: "localhost", source: "test", inviter: "ann@localhost" });
    const wrong = await refusal(send("subscribe", { token: c.token, inviter: "bob@localhost", contact: "carl@localhost" }));
    expect(wrong).to.deep.include({ code: "invites_inapp.not_for_app", message: "This invite is not from bob@localhost" });
    expect((await refusal(send("subscribe", { token: c.token, inviter: "ann@localhost", contact: "ann@localhost" }))).code).to.equal("invites_inapp.not_for_app");
    const account = await invites.createAccount({ host: "localhost", source: "test", inviter: "ann@localhost" });
    expect((await refusal(send("subscribe", { token: account.token, inviter: "ann@localhost", contact: "carl@localhost" }))).message).to.equal("This invite is not a contact invite");
    expect(await send("subscribe", { token: c.token, inviter: "ann@localhost", contact: "carl@remote.example" })).to.equal(undefined);
    expect((await invites.get(c.token))!.usesCompleted).to.equal(1);
    expect((await refusal(send("subscribe", { token: c.token, inviter: "ann@localhost", contact: "dave@localhost" }))).code).to.equal("invites.used_up");
  });
});

describe("invites_inapp: token guesses", () => {
  it("counts token checks per app address and refuses with policy-violation past inapp_rate_limit", async () => {
    const h = await startTestHost({ enabled: ["invites", "invites_page", "invites_register", "invites_inapp"], options: { inapp_rate_limit: 3 } });
    try {
      const handler = h.host.iqHandlers.get(`set ${NS}`)!;
      const guess = (ip: string) => Promise.resolve(handler({ from: "localhost", to: "invites.localhost", id: "x", type: "set", element: xml("token", { xmlns: NS, token: "AAAAAAAAAAAAAAAAAAAAAAAA", ip }) }))
        .then(() => "accepted", (e: { code: string; condition: string }) => `${e.code} ${e.condition}`);
      const answers = [await guess("192.0.2.7"), await guess("192.0.2.7"), await guess("192.0.2.7"), await guess("192.0.2.7")];
      expect(answers).to.deep.equal([...Array(3).fill("invites.invalid item-not-found"), "invites_inapp.rate_limited policy-violation"]);
      expect(await guess("192.0.2.8"), "another address has its own count").to.equal("invites.invalid item-not-found");
    } finally {
      await h.stop();
    }
  });
});
