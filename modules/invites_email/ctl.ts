// invitectl invite resend HOST ID and invitectl user preactivate HOST USERNAME EMAIL.
// The ctl only queues: the running server sends at its next queue pass (email_queue_interval).
import type { CtlCommand, ModuleContext } from "../../core/types.js";
import { invitesErrors, parseWhen } from "../invites/index.js";
import type { InvitesApi } from "../invites/types.js";
import { LANGS } from "../../web/i18n.js";
import { deliveryDetail } from "./details.js";
import type { InvitesEmailApi } from "./types.js";

export interface CtlDeps {
  mod: Pick<ModuleContext, "config" | "now" | "mode">;
  invites: InvitesApi;
  api: InvitesEmailApi;
  preactivationExpiryMs: number;
}

const s = (describe: string) => ({ type: "string" as const, describe });

export function ctlCommands({ mod, invites, api, preactivationExpiryMs }: CtlDeps): CtlCommand[] {
  const hostOf = (v: unknown) => {
    const h = String(v).trim().toLowerCase();
    if (!mod.config.hosts.includes(h)) throw invitesErrors.unknown_host(`Unknown host ${JSON.stringify(v)}: this service serves ${mod.config.hosts.join(", ")}`, { field: "host" });
    return h;
  };
  const later = mod.mode === "ctl" ? " (the server sends it at its next queue pass)" : "";
  return [
    {
      group: "invite",
      command: "resend <host> <token>",
      describe: "Send an invite's email again (a new round of attempts)",
      positionals: { host: s("The XMPP host"), token: s("The invite's id, token or short code") },
      async run(args, out) {
        const host = hostOf(args["host"]);
        const invite = await invites.find(String(args["token"]));
        if (!invite || invite.host !== host) throw invitesErrors.not_found(`No invite ${String(args["token"]).slice(0, 4)}… on ${host}`, { host });
        const d = await api.resend(invite.id);
        if (out.wantsJson) return out.json({ id: invite.id, email_delivery: deliveryDetail(d).json });
        out.print(`email: ${deliveryDetail(d).text}${later}`);
      },
    },
    {
      group: "user",
      command: "preactivate <host> <username> <email>",
      describe: "Set an account aside for a known person: USERNAME is held until they follow the emailed link and choose a password",
      positionals: { host: s("The XMPP host"), username: s("The account's username"), email: s("The person's email address") },
      flags: {
        "expires-after": s("How long the link works and the name is held (15d, 1w) or an ISO 8601 date (default preactivation_expiry)"),
        lang: { type: "string", describe: "The person's language, for the email", choices: [...LANGS] },
        note: s("Note for admins"),
      },
      async run(args, out) {
        const host = hostOf(args["host"]);
        const when = args["expires-after"] ?? args["expiresAfter"];
        const expiresAt = when === undefined ? mod.now() + preactivationExpiryMs : parseWhen(String(when), "--expires-after", mod.now());
        const lang = args["lang"] === undefined ? {} : { lang: String(args["lang"]) };
        const created = await invites.createAccount({
          host, username: String(args["username"]), email: String(args["email"]), usesAllowed: 1, expiresAt, source: "ctl",
          note: args["note"] === undefined ? null : String(args["note"]), extra: { preactivation: true, ...lang },
        });
        const { invite } = created;
        const [d] = await api.deliveries([invite.id]);
        if (out.wantsJson) {
          return out.json({ id: invite.id, jid: `${invite.username}@${host}`, email: invite.email, expires_at: new Date(invite.expiresAt).toISOString(), link: created.link, email_delivery: d ? deliveryDetail(d).json : null });
        }
        out.print(created.link);
        out.print(`${invite.username}@${host} is held for ${invite.email} until ${new Date(invite.expiresAt).toISOString().replace(/\.\d{3}Z$/, "Z")} (invite ${invite.id})`);
        if (d) out.print(`email: ${deliveryDetail(d).text}${later}`);
      },
    },
  ];
}
