// invitectl agreements list HOST | signatures HOST [JID]: what a host requires, and who
// accepted which version when (newest first, in pages: --limit, --cursor).
import type { CtlCommand } from "../../core/types.js";
import type { InvitesRegisterApi } from "./types.js";
import { errors } from "./errors.js";

const iso = (ms: number) => new Date(ms).toISOString();

export function agreementCommands(hosts: readonly string[], api: Pick<InvitesRegisterApi, "agreements" | "signatures">): CtlCommand[] {
  const hostArg = (v: unknown): string => {
    const h = String(v ?? "").trim().toLowerCase();
    if (!hosts.includes(h)) throw errors.bad_request(`${JSON.stringify(String(v))} is not a host served here (${hosts.join(", ")})`, { field: "host" });
    return h;
  };
  return [
    {
      group: "agreements",
      command: "list <host>",
      describe: "List the agreements HOST requires before an account is created (id, version, English title)",
      positionals: { host: { type: "string", describe: "The XMPP host" } },
      run(args, out) {
        const host = hostArg(args["host"]);
        const list = api.agreements(host);
        if (out.wantsJson) return out.json({ host, agreements: list.map((a) => ({ id: a.id, version: a.version, title: a.title })) });
        if (list.length === 0) return out.print(`${host} requires no agreements`);
        for (const a of list) out.print(`${a.id}\t${a.version}\t${a.title["en"] ?? ""}`);
      },
    },
    {
      group: "agreements",
      command: "signatures <host> [jid]",
      describe: "List the signatures on HOST (or of the account JID), newest first",
      positionals: { host: { type: "string", describe: "The XMPP host" }, jid: { type: "string", describe: "Only this account" } },
      flags: {
        limit: { type: "number", describe: "At most this many (1-500)", default: 100 },
        cursor: { type: "string", describe: "Continue from where a previous list stopped" },
      },
      async run(args, out) {
        const host = hostArg(args["host"]);
        let jid: string | undefined;
        if (args["jid"] !== undefined) {
          jid = String(args["jid"]).toLowerCase();
          if (!/^[^@/\s]+@[^@/\s]+$/.test(jid) || jid.slice(jid.lastIndexOf("@") + 1) !== host) throw errors.bad_request(`${JSON.stringify(String(args["jid"]))} is not an account of ${host} (user@${host})`, { field: "jid" });
        }
        const page = await api.signatures({ host, limit: Number(args["limit"] ?? 100), ...(jid ? { jid } : {}), ...(args["cursor"] !== undefined ? { cursor: String(args["cursor"]) } : {}) });
        if (out.wantsJson) {
          return out.json({ signatures: page.signatures.map((s) => ({ jid: s.jid, agreement: s.agreement, version: s.version, lang: s.lang, signed_at: iso(s.signedAt), invite: s.inviteId, source: s.source })), cursor: page.cursor ?? null });
        }
        if (page.signatures.length === 0) out.print(`No signatures on ${host}${jid ? ` by ${jid}` : ""}`);
        for (const s of page.signatures) out.print(`${iso(s.signedAt)}\t${s.jid}\t${s.agreement}\t${s.version}\t${s.lang}\t${s.source}`);
        if (page.cursor !== undefined) out.print(`(more: --cursor ${page.cursor})`);
      },
    },
  ];
}
