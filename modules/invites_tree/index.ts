// The invite tree: each account a user's invite created records who invited it and through
// which invite, `invitectl user tree JID` shows who a user invited (recursively), and
// invite_tree_limit caps how many accounts one tree may create, as ejabberd's mod_invites
// does against abuse. A tree is rooted at the first non-admin user up the chain of inviters:
// admins are exempt, and each account an admin (or the ctl, or an API key without a user)
// invited starts a tree of its own. Past the limit, nobody in the tree may make an invite
// that creates accounts, and such invites they made before no longer create any.
import { defineModule, opt, type ModuleContext } from "../../core/types.js";
import type { Invite, InvitesApi } from "../invites/types.js";
import type {} from "../invites_register/types.js";
import { errors } from "./errors.js";
import { TreeStore } from "./store.js";
import type { InvitedBy, InvitesTreeApi, Tree, TreeNode } from "./types.js";

export type * from "./types.js";
export { errors as treeErrors } from "./errors.js";

const creates = (i: Invite) => i.type === "account" || i.type === "account_and_contact";

export default defineModule({
  name: "invites_tree",
  description: "Who invited whom, invitectl user tree, and a limit on the accounts one invite tree may create",
  dependencies: ["invites", "invites_register"],
  options: {
    invite_tree_limit: opt.integer({ default: 1000, min: 0, max: 1_000_000_000, describe: "Accounts one invite tree (a user, whom they invited, whom those invited, …) may create through users' invites; past it the tree's users cannot invite new users (0: no limit; admins are exempt)" }),
  },
  setup(mod) {
    const limit = mod.options.invite_tree_limit;
    mod.depends<InvitesApi>("invites");
    const store = new TreeStore({
      invitedBy: mod.openStore<InvitedBy>("invited_by"),
      children: mod.openStore<string[]>("children"),
      childHeads: mod.openStore<number>("children_head"),
      sizes: mod.openStore<number>("size"),
    });
    /** An invite a user made (not an admin, not the ctl) that can create accounts: it counts in the user's tree. */
    const userMade = (i: Invite) => creates(i) && i.inviter !== null && i.source !== "ctl" && !mod.isAdmin(i.inviter);
    const full = (size: number, forUser: boolean) => errors.tree_full(forUser
      ? `Your invite tree (you, the people you invited, whom they invited, …) has created ${size} accounts, the most allowed (invite_tree_limit = ${limit}); ask an administrator to invite new users`
      : `This invite can no longer create accounts: its invite tree has created ${size}, the most allowed (invite_tree_limit = ${limit})`, { limit: "invite_tree_limit" });

    // Before the invite's email (invites_email runs at -100): a refused invite is deleted unsent.
    mod.hook("invite-created", async ({ created: { invite } }) => {
      if (limit === 0 || !userMade(invite)) return;
      const size = await store.size(await store.rootOf(invite.inviter!));
      if (size >= limit) throw full(size, true);
    }, 10);

    // Registration takes one account of the tree's allowance (last, once every other rule passed)
    // and gives it back if the account is not made, so concurrent registrations cannot overshoot.
    const taken = new Map<string, string>();
    mod.hook("user-registering", async (ev) => {
      if (!userMade(ev.invite)) return;
      const root = await store.rootOf(ev.invite.inviter!);
      if (!(await store.take(root, limit))) throw full(await store.size(root), false);
      taken.set(ev.reservationId, root);
    }, -100);
    mod.hook("invite-released", async ({ reservationId }) => {
      const root = taken.get(reservationId);
      if (root === undefined) return;
      taken.delete(reservationId);
      await store.giveBack(root);
    });
    mod.hook("user-registered", async (ev) => {
      const root = taken.get(ev.reservationId);
      taken.delete(ev.reservationId);
      const parent = ev.invite.inviter;
      if (parent === null) return;
      try {
        await store.add({ jid: ev.jid, parent, root: root ?? ev.jid, inviteId: ev.invite.id, registeredAt: mod.now() });
      } catch (err) {
        mod.log.warn({ err, jid: ev.jid }, "could not record who invited the new account");
      }
    });

    const api: InvitesTreeApi = {
      invitedBy: (jid) => store.invitedBy(jid.toLowerCase()),
      async treeOf(jid) {
        const root = await store.rootOf(jid.toLowerCase());
        return { root, size: await store.size(root), limit };
      },
      async tree(jid, opts = {}) {
        const max = opts.limit ?? 10_000;
        const top = jid.toLowerCase();
        const own = await store.invitedBy(top);
        const root: TreeNode = { jid: top, ...(own ? { inviteId: own.inviteId, registeredAt: own.registeredAt } : {}), children: [] };
        let count = 0, truncated = false;
        // Breadth first, so that a limit keeps the nearest accounts; `seen` guards against a loop.
        const seen = new Set([top]);
        for (let level = [root]; level.length > 0 && !truncated;) {
          const next: TreeNode[] = [];
          for (const node of level) {
            const kids = (await store.children(node.jid, max - count + 1)).filter((k) => !seen.has(k));
            const records = await Promise.all(kids.map((k) => store.invitedBy(k)));
            for (const [i, kid] of kids.entries()) {
              if (count >= max) { truncated = true; break; }
              seen.add(kid);
              const r = records[i];
              const child: TreeNode = { jid: kid, ...(r ? { inviteId: r.inviteId, registeredAt: r.registeredAt } : {}), children: [] };
              node.children.push(child);
              next.push(child);
              count++;
            }
            if (truncated) break;
          }
          level = next;
        }
        return { root, count, truncated } satisfies Tree;
      },
    };
    mod.provideCtl(treeCommand(mod, api, limit));
    return api;
  },
});

function treeCommand(mod: Pick<ModuleContext, "config">, api: InvitesTreeApi, limit: number) {
  return {
    group: "user",
    command: "tree <jid>",
    describe: "Show whom a user invited, and whom those invited, …",
    positionals: { jid: { type: "string" as const, describe: "The user" } },
    flags: { limit: { type: "number" as const, describe: "Show at most this many accounts (default 1000)", default: 1000 } },
    async run(args: Record<string, unknown>, out: { print(l: string): void; json(v: unknown): void; wantsJson: boolean }) {
      const jid = String(args["jid"]).trim().toLowerCase();
      const m = /^([^@/\s]+)@([^@/\s]+)$/.exec(jid);
      if (!m || !mod.config.hosts.includes(m[2]!)) throw errors.bad_jid(`${JSON.stringify(args["jid"])} is not a user of a host served here (${mod.config.hosts.join(", ")})`, { field: "jid" });
      const max = Number(args["limit"] ?? 1000);
      if (!Number.isInteger(max) || max < 1 || max > 1_000_000) throw errors.bad_jid("--limit: a whole number from 1 to 1000000", { field: "limit" });
      const [tree, of, by] = await Promise.all([api.tree(jid, { limit: max }), api.treeOf(jid), api.invitedBy(jid)]);
      if (out.wantsJson) return out.json({ ...tree, invited_by: by ?? null, tree_root: of.root, tree_size: of.size, tree_limit: of.limit || null });
      const day = (ms?: number) => (ms === undefined ? "" : `  ${new Date(ms).toISOString().slice(0, 10)}`);
      const lines: string[] = [];
      const walk = (n: TreeNode, depth: number) => {
        lines.push(`${"  ".repeat(depth)}${n.jid}${depth > 0 ? `${day(n.registeredAt)}  invite ${n.inviteId ?? "?"}` : ""}`);
        for (const c of n.children) walk(c, depth + 1);
      };
      walk(tree.root, 0);
      for (const l of lines) out.print(l);
      out.print(`${tree.count} account${tree.count === 1 ? "" : "s"} invited from ${jid}${tree.truncated ? ` (stopped at ${max}: --limit)` : ""}`);
      if (by) out.print(`${jid} was invited by ${by.parent} (invite ${by.inviteId})`);
      const cap = limit === 0 ? "no limit" : `invite_tree_limit ${limit}`;
      out.print(of.root === jid ? `Its tree has created ${of.size} accounts (${cap})` : `It counts in the tree of ${of.root}, which has created ${of.size} accounts (${cap})`);
    },
  };
}
