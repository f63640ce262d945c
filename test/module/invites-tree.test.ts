// invites_tree in-process: registrations through the registration flow (begin/finish, as a
// server that creates the account itself does), invites made with the real ad-hoc commands.
// Who invited whom is recorded, `invitectl user tree` shows it, and invite_tree_limit refuses
// new account invites in a full tree (and registrations through its older invites).
import { expect } from "chai";
import type { InvitesApi } from "../../modules/invites/types.js";
import type { InvitesRegisterApi } from "../../modules/invites_register/types.js";
import type { InvitesTreeApi } from "../../modules/invites_tree/types.js";
import { NODES } from "../../modules/invites_adhoc/index.js";
import { refusal, runner, type Runner } from "../helpers/adhoc.js";
import { startTestHost, type TestHost } from "../helpers/host.js";

const PASSWORD = "a long enough password";

describe("invites_tree (module)", function () {
  this.timeout(20_000);
  let t: TestHost;
  let invites: InvitesApi;
  let register: InvitesRegisterApi;
  let tree: InvitesTreeApi;
  let adhoc: Runner;

  /** Registers `username` through the invite the token belongs to (the flow every path uses). */
  async function registerWith(token: string, username: string): Promise<string> {
    const pending = await register.begin({ token, username, password: PASSWORD, ip: undefined, source: "in-app" });
    return (await register.finish(pending, true))!.jid;
  }
  /** An account invite made by `from` with ad-hoc create-account; its token. */
  async function adhocInvite(from: string): Promise<string> {
    const answer = await adhoc.run(NODES.createAccount, from, {});
    const url = answer.form?.fields.find((f) => f.var === "landing-url")?.value ?? answer.form?.fields.find((f) => f.var === "uri")?.value;
    const token = /[?;](?:preauth=)?([A-Za-z0-9_-]{24})/.exec(String(url))?.[1];
    if (!token) throw new Error(`no invite in ${JSON.stringify(answer)}`);
    return token;
  }

  before(async () => {
    t = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_adhoc", "invites_tree"],
      store: "sqlite", admins: ["admin@localhost"],
      options: { invite_tree_limit: 3, account_invite_users: ["localhost"], max_invites_per_day: 0, max_pending_invites_per_user: 0 },
    });
    invites = t.api<InvitesApi>("invites");
    register = t.api<InvitesRegisterApi>("invites_register");
    tree = t.api<InvitesTreeApi>("invites_tree");
    adhoc = runner(t);
  });
  after(async () => { await t?.stop(); });

  it("records who invited each account and through which invite, and shows the tree", async () => {
    const first = await invites.createAccount({ host: "localhost", source: "ctl" });
    expect(await registerWith(first.token, "ann")).to.equal("ann@localhost");
    const forBea = await adhocInvite("ann@localhost");
    await registerWith(forBea, "bea");
    await registerWith(await adhocInvite("bea@localhost"), "cleo");

    const by = await tree.invitedBy("cleo@localhost");
    expect(by).to.include({ jid: "cleo@localhost", parent: "bea@localhost", root: "ann@localhost" });
    expect((await invites.getById(by!.inviteId))?.inviter).to.equal("bea@localhost");
    expect(await tree.invitedBy("ann@localhost")).to.equal(undefined); // an admin's (ctl) invite
    expect((await t.api<InvitesRegisterApi>("invites_register").account("cleo@localhost"))?.inviteSource).to.equal("adhoc/bea@localhost");

    const shown = await t.runCtl(["user", "tree", "ann@localhost"]);
    expect(shown.code, shown.stderr).to.equal(0);
    const lines = shown.stdout.split("\n");
    expect(lines[0]).to.equal("ann@localhost");
    expect(lines[1]).to.match(/^ {2}bea@localhost {2}\d{4}-\d\d-\d\d {2}invite [A-Za-z0-9_-]+$/);
    expect(lines[2]).to.match(/^ {4}cleo@localhost /);
    expect(shown.stdout).to.include("2 accounts invited from ann@localhost").and.include("Its tree has created 2 accounts (invite_tree_limit 3)");
    const json = JSON.parse((await t.runCtl(["--json", "user", "tree", "bea@localhost"])).stdout) as { root: { children: { jid: string }[] }; tree_root: string; invited_by: { parent: string } };
    expect(json.root.children.map((c) => c.jid)).to.deep.equal(["cleo@localhost"]);
    expect(json.tree_root).to.equal("ann@localhost");
    expect(json.invited_by.parent).to.equal("ann@localhost");
  });

  it("refuses new account invites from anyone in a full tree, naming the option; admins are exempt", async () => {
    const spare = await adhocInvite("cleo@localhost"); // made while there was room
    await registerWith(await adhocInvite("cleo@localhost"), "dan"); // the third account
    for (const who of ["ann@localhost", "dan@localhost"]) {
      const refused = await refusal(adhoc.run(NODES.createAccount, who, {}));
      expect(refused.code, who).to.equal("invites_tree.tree_full");
      expect(refused.message).to.include("invite_tree_limit = 3");
    }
    // The refused invite was not kept.
    expect((await invites.list({ inviter: "ann@localhost", limit: 500 })).invites.filter((i) => i.usesCompleted === 0)).to.have.length(0);
    // An invite made before the tree filled up no longer creates accounts, and keeps its use.
    const late = await refusal(register.begin({ token: spare, username: "eve", password: PASSWORD, ip: undefined, source: "web" }));
    expect(late.code).to.equal("invites_tree.tree_full");
    expect(late.message).to.include("can no longer create accounts");
    expect((await invites.validate(spare)).ok).to.equal(true);
    // An admin's invites are not counted in anyone's tree.
    await registerWith(await adhocInvite("admin@localhost"), "fay");
    expect((await tree.treeOf("fay@localhost")).root).to.equal("fay@localhost");
    // A contact invite that creates no account is still allowed; one that lets the invitee register is not.
    const contact = await invites.createContact({ host: "localhost", source: "adhoc/dan@localhost", inviter: "dan@localhost" });
    expect(contact.invite.type).to.equal("contact");
    expect((await refusal(adhoc.run(NODES.invite, "dan@localhost"))).code).to.equal("invites_tree.tree_full");
  });

  it("gives the tree's allowance back when the account is not made, and lets only one of two concurrent registrations take the last one", async () => {
    const t2 = await startTestHost({
      enabled: ["invites", "invites_page", "invites_register", "invites_tree"], store: "sqlite", options: { invite_tree_limit: 1 },
    });
    try {
      const reg = t2.api<InvitesRegisterApi>("invites_register");
      const inv = t2.api<InvitesApi>("invites");
      const a = await inv.createAccount({ host: "localhost", source: "adhoc/gil@localhost", inviter: "gil@localhost" });
      const b = await inv.createAccount({ host: "localhost", source: "adhoc/gil@localhost", inviter: "gil@localhost" });
      const failed = await reg.begin({ token: a.token, username: "hal", password: PASSWORD, ip: undefined, source: "web" });
      await reg.finish(failed, false); // the server refused: nothing made, the allowance comes back
      expect((await t2.api<InvitesTreeApi>("invites_tree").treeOf("gil@localhost")).size).to.equal(0);
      const both = await Promise.allSettled([
        reg.begin({ token: a.token, username: "ivy", password: PASSWORD, ip: undefined, source: "web" }),
        reg.begin({ token: b.token, username: "jon", password: PASSWORD, ip: undefined, source: "web" }),
      ]);
      expect(both.filter((r) => r.status === "fulfilled")).to.have.length(1);
      const lost = both.find((r) => r.status === "rejected") as PromiseRejectedResult;
      expect((lost.reason as { code: string }).code).to.equal("invites_tree.tree_full");
    } finally {
      await t2.stop();
    }
  });

  it("stops a tree walk at its limit and says so", async () => {
    const partial = await tree.tree("ann@localhost", { limit: 2 });
    expect(partial.count).to.equal(2);
    expect(partial.truncated).to.equal(true);
    expect((await t.runCtl(["user", "tree", "ann@localhost", "--limit", "1"])).stdout).to.include("(stopped at 1: --limit)");
    const bad = await t.runCtl(["user", "tree", "not a jid"]);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.include("is not a user of a host served here");
  });
});
