// invitectl mod_invites_api create|list|delete, as prosodyctl mod_invites_api has them:
//   create HOST [NAME] [--scope ...] [--expires-after DUR]  prints ID/SECRET once
//   list HOST                                                prints "ID<TAB>NAME" per key
//   delete HOST KEY_ID                                       "key not found" + exit 1 if unknown
import type { CtlCommand } from "../../core/types.js";
import { parseDuration } from "../../core/types.js";
import { errors } from "./errors.js";
import { METHODS, newKey, type KeyStore, type Method } from "./keys.js";
import { ACCOUNT_OPERATIONS, OPERATIONS, INVITE_TYPES, formatScope, parseScope, splitList } from "./scope.js";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

export function ctlCommands(keys: KeyStore, hosts: readonly string[], now: () => number, checkUsername: (name: string) => { ok: true; username: string } | { ok: false; reason: string }): CtlCommand[] {
  const hostArg = (v: unknown): string => {
    const host = String(v ?? "").trim().toLowerCase();
    if (!hosts.includes(host)) throw errors.unknown_host(`Error: please supply a valid host (served here: ${hosts.join(", ")})`);
    return host;
  };
  const str = { type: "string" } as const;

  return [
    {
      command: "create <host> [name]",
      describe: "Create an API key for HOST; prints ID/SECRET once",
      positionals: { host: { ...str, describe: "XMPP host the key makes invites for" }, name: { ...str, describe: "A name to recognise the key by" } },
      flags: {
        scope: { ...str, describe: `Operations, comma-separated: ${OPERATIONS.join(", ")}, or all of those (default: create); on accounts, only by name: ${ACCOUNT_OPERATIONS.join(", ")}` },
        types: { ...str, describe: `Invite types: ${INVITE_TYPES.join(", ")}, or all (default: account)` },
        "max-uses": { ...str, describe: "Most uses one invite may allow, or unlimited (default: 1)" },
        "max-expiry": { ...str, describe: "Longest validity of an invite, e.g. 30d (default: the server's bound)" },
        roles: { ...str, describe: "Roles the key may assign, comma-separated, or * (default: none)" },
        groups: { ...str, describe: "Groups the key may assign, comma-separated, or * (default: none)" },
        methods: { ...str, describe: "HTTP methods allowed on /invites_api (default: GET,POST)" },
        inviter: { ...str, describe: "The user the key acts for: its contact invites name this JID as the inviter" },
        "any-inviter": { type: "boolean", describe: "Let the key name any local user as the inviter (an admin's key)", default: false },
        "reset-users": { ...str, describe: "Usernames a reset key may reset, comma-separated, or * (default: any user but admins)" },
        "reset-admins": { type: "boolean", describe: "Let a reset key reset admins' accounts too", default: false },
        email: { type: "boolean", describe: "Let the key have invites emailed (the email field; needs invites_email)", default: false },
        preactivate: { type: "boolean", describe: "Let the key pre-activate accounts (preactivate: hold a username for an email address; implies --email)", default: false },
        "expires-after": { ...str, describe: "The key stops working after this long, e.g. 90d (default: never)" },
      },
      async run(args, out) {
        const host = hostArg(args["host"]);
        let inviter: string | null = null;
        if (args["inviter"] !== undefined) {
          const m = /^([^@/\s]+)@([^@/\s]+)$/.exec(String(args["inviter"]));
          const local = m ? checkUsername(m[1]!) : undefined;
          if (!m || m[2]!.toLowerCase() !== host || !local?.ok) throw errors.bad_scope(`--inviter: ${JSON.stringify(args["inviter"])} is not a user of ${host}`, { flag: "inviter" });
          inviter = `${local.username}@${host}`;
        }
        const scope = parseScope({
          scope: args["scope"], types: args["types"], maxUses: args["max-uses"], maxExpiry: args["max-expiry"], roles: args["roles"], groups: args["groups"],
          inviter, anyInviter: args["any-inviter"], resetUsers: args["reset-users"], resetAdmins: args["reset-admins"],
          email: args["email"], preactivate: args["preactivate"],
        });
        const methods = (splitList(args["methods"])?.map((m) => m.toUpperCase()) ?? [...METHODS]) as Method[];
        const badMethod = methods.find((m) => !(METHODS as readonly string[]).includes(m));
        if (badMethod !== undefined || methods.length === 0) throw errors.bad_scope(`--methods: choose from ${METHODS.join(", ")}`, { flag: "methods" });
        let expiresAt: number | null = null;
        if (args["expires-after"] !== undefined) {
          const ms = parseDuration(String(args["expires-after"]));
          if (ms === undefined || ms <= 0) throw errors.bad_scope(`--expires-after: expected a duration such as "90d", got ${JSON.stringify(args["expires-after"])}`, { flag: "expires-after" });
          expiresAt = now() + ms;
        }
        const name = args["name"] === undefined ? null : String(args["name"]);
        const { key, presented } = newKey({ host, name, expiresAt, methods, scope }, now());
        await keys.add(key);
        if (out.wantsJson) out.json({ key: presented, id: key.id, host, name, expires_at: iso(expiresAt), scope: formatScope(scope), methods });
        else out.print(presented);
      },
    },
    {
      command: "list <host>",
      describe: "List the API keys of HOST (ID and name; --json adds times and scope)",
      positionals: { host: { ...str, describe: "XMPP host" } },
      async run(args, out) {
        const host = hostArg(args["host"]);
        const rows = await keys.list(host);
        if (out.wantsJson) {
          out.json(rows.map(({ key, lastUsedAt }) => ({
            id: key.id, name: key.name, host: key.host, created_at: iso(key.createdAt), last_used_at: iso(lastUsedAt),
            expires_at: iso(key.expiresAt), methods: key.methods, scope: formatScope(key.scope), scope_detail: key.scope,
          })));
          return;
        }
        for (const { key } of rows) out.print(`${key.id}\t${key.name ?? "<unknown>"}`);
      },
    },
    {
      command: "delete <host> <key_id>",
      describe: "Revoke an API key at once",
      positionals: { host: { ...str, describe: "XMPP host" }, key_id: { ...str, describe: "The ID part of the key" } },
      async run(args, out) {
        const host = hostArg(args["host"]);
        const id = String(args["key_id"] ?? "");
        if (!(await keys.remove(host, id))) throw errors.key_not_found();
        if (out.wantsJson) out.json({ deleted: id });
      },
    },
  ];
}
