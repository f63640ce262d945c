// invitectl user deactivate JID [--tree [--yes]] | reactivate JID | deactivation JID. They
// act on the XMPP server (link: true): through the running server's link, or the ctl's own.
import { userInfo } from "node:os";
import type { CtlCommand, CtlOutput } from "../../core/types.js";
import { accountJid, branchOf, deactivate, deactivatedJson, describeDeactivated, describeReactivated, reactivate, reactivatedJson, type Deactivated, type UsersDeps } from "./deactivate.js";
import { errors } from "./errors.js";

/** Who ran the ctl, for the record: "ctl (user)". */
function ctlUser(): string {
  let name = process.env["SUDO_USER"];
  try { name ??= userInfo().username; } catch { /* no passwd entry */ }
  return name ? `ctl (${name})` : "ctl";
}

const jidArg = { jid: { type: "string", describe: "The account (user@host)" } } as const;

export function userCommands(d: UsersDeps): CtlCommand[] {
  return [
    {
      group: "user",
      command: "deactivate <jid>",
      describe: "Lock an account, revoke its pending invites and delete its API keys (--tree: also everyone it invited, recursively)",
      positionals: jidArg,
      flags: {
        tree: { type: "boolean", describe: "Also deactivate the accounts it brought in through invites, and theirs", default: false },
        yes: { type: "boolean", describe: "With --tree: confirm, after reading the list a run without --yes prints", default: false },
      },
      link: true,
      async run(args, out) {
        const { jid } = accountJid(d, args["jid"]);
        const accounts = args["tree"] === true ? [jid, ...(await branchOf(d, jid))] : [jid];
        if (args["tree"] === true && args["yes"] !== true) {
          if (out.wantsJson) out.json({ confirm: true, accounts });
          else {
            out.print(`This deactivates ${accounts.length} account(s):`);
            for (const a of accounts) out.print(`  ${a}`);
          }
          throw errors.confirm(`Nothing was changed: run again with --yes to deactivate these ${accounts.length} account(s)`);
        }
        await run(d, accounts, ctlUser(), out);
      },
    },
    {
      group: "user",
      command: "reactivate <jid>",
      describe: "Undo a deactivation where it can be undone: re-enable the account, or print a password reset invite for its owner",
      positionals: jidArg,
      link: true,
      async run(args, out) {
        const { jid } = accountJid(d, args["jid"]);
        const r = await reactivate(d, jid, ctlUser());
        if (out.wantsJson) out.json(reactivatedJson(r));
        else for (const line of describeReactivated(r)) out.print(line);
      },
    },
    {
      group: "user",
      command: "deactivation <jid>",
      describe: "Show who deactivated an account, when and how (and whether it was reactivated)",
      positionals: jidArg,
      async run(args, out) {
        const { jid } = accountJid(d, args["jid"]);
        const r = await d.records.get(jid);
        if (!r) throw errors.not_deactivated(`${jid} was never deactivated here`);
        const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
        if (out.wantsJson) {
          return out.json({ jid, deactivated_at: iso(r.deactivated_at), deactivated_by: r.deactivated_by, lock: r.lock, sessions_ended: r.sessions_ended === 1,
            invites_revoked: r.invites_revoked, keys_deleted: r.keys_deleted, reactivated_at: iso(r.reactivated_at), reactivated_by: r.reactivated_by });
        }
        out.print(`${jid}: deactivated by ${r.deactivated_by} at ${iso(r.deactivated_at)} (lock: ${r.lock}; sessions ${r.sessions_ended ? "ended" : "not ended"}; ${r.invites_revoked} invite(s) revoked; ${r.keys_deleted} API key(s) deleted)`);
        if (r.reactivated_at !== null) out.print(`  reactivated by ${r.reactivated_by} at ${iso(r.reactivated_at)}`);
      },
    },
  ];
}

/** Deactivates each account; one that fails does not stop the others, and the last failure is thrown. */
async function run(d: UsersDeps, accounts: string[], by: string, out: CtlOutput): Promise<void> {
  const done: Deactivated[] = [];
  let failure: unknown;
  for (const jid of accounts) {
    try {
      const r = await deactivate(d, jid, by);
      done.push(r);
      if (!out.wantsJson) for (const line of describeDeactivated(r)) out.print(line);
    } catch (err) {
      failure = err;
      if (!out.wantsJson) out.print(`${jid}: NOT deactivated: ${(err as Error).message}`);
    }
  }
  if (out.wantsJson) out.json({ deactivated: done.map(deactivatedJson) });
  if (failure !== undefined) throw failure;
}
