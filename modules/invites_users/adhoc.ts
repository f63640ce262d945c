// Admin ad-hoc commands (XEP-0050) on the component JID: deactivate an account (and, when
// asked, its branch of the invite tree, after a second stage that lists it) and reactivate one.
import type { AdhocCommand, AdhocResponse } from "../../core/types.js";
import { accountJid, branchOf, deactivate, describeDeactivated, describeReactivated, reactivate, type UsersDeps } from "./deactivate.js";
import { errors } from "./errors.js";

export const NODES = {
  deactivate: "urn:xmpp-invites:users#deactivate",
  reactivate: "urn:xmpp-invites:users#reactivate",
} as const;

interface Confirm { accounts: string[] }

/** The account in the form: on a served host, and not an admin's (those are the ctl's to lock). */
function target(d: UsersDeps, isAdmin: (jid: string) => boolean, from: string, value: unknown): string {
  const { jid } = accountJid(d, value);
  if (jid === from) throw errors.forbidden("You cannot deactivate your own account");
  if (isAdmin(jid)) throw errors.forbidden(`${jid} is an administrator: deactivate it with invitectl user deactivate`);
  return jid;
}

async function deactivateAll(d: UsersDeps, accounts: string[], by: string): Promise<AdhocResponse> {
  const lines: string[] = [];
  let failed = 0;
  for (const jid of accounts) {
    try { lines.push(...describeDeactivated(await deactivate(d, jid, by))); } catch (err) { failed++; lines.push(`${jid}: NOT deactivated: ${(err as Error).message}`); }
  }
  return { status: "completed", notes: [{ type: failed ? "warn" : "info", text: lines.join("\n") }] };
}

export function deactivateCommand(d: UsersDeps, isAdmin: (jid: string) => boolean): AdhocCommand {
  return {
    node: NODES.deactivate, name: "Deactivate a user", permission: "admin",
    form: () => ({
      type: "form", title: "Deactivate a user",
      instructions: "Locks the account, revokes the invites it created and deletes its API keys.",
      fields: [
        { var: "jid", type: "jid-single", label: "Account", required: true },
        { var: "tree", type: "boolean", label: "Also everyone it invited, recursively", value: "false" },
      ],
    }),
    async handler(req) {
      if (req.state !== undefined) {
        const { accounts } = req.state as Confirm;
        const yes = req.values["confirm"];
        if (req.action === "prev" || (yes !== "true" && yes !== "1")) return { status: "completed", notes: [{ type: "info", text: "Nothing was changed." }] };
        return deactivateAll(d, accounts, req.fromBare);
      }
      const jid = target(d, isAdmin, req.fromBare, req.values["jid"]);
      const tree = req.values["tree"] === "true" || req.values["tree"] === "1";
      if (!tree) return deactivateAll(d, [jid], req.fromBare);
      const branch = (await branchOf(d, jid)).filter((j) => j !== req.fromBare && !isAdmin(j));
      const accounts = [jid, ...branch];
      return {
        status: "executing", state: { accounts } satisfies Confirm, actions: ["complete"],
        form: {
          type: "form", title: `Deactivate ${accounts.length} account(s)?`,
          instructions: `These accounts will be deactivated:\n${accounts.join("\n")}`,
          fields: [{ var: "confirm", type: "boolean", label: `Deactivate these ${accounts.length} account(s)`, value: "false", required: true }],
        },
      };
    },
  };
}

export function reactivateCommand(d: UsersDeps): AdhocCommand {
  return {
    node: NODES.reactivate, name: "Reactivate a user", permission: "admin",
    form: () => ({ type: "form", title: "Reactivate a user", fields: [{ var: "jid", type: "jid-single", label: "Account", required: true }] }),
    async handler(req) {
      const { jid } = accountJid(d, req.values["jid"]);
      const r = await reactivate(d, jid, req.fromBare);
      return { status: "completed", notes: [{ type: "info", text: describeReactivated(r).join("\n") }] };
    },
  };
}
