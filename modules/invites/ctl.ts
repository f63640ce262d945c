// invitectl commands: prosodyctl's `mod_invites generate` and the trunk shell's
// `invite create_account|create_contact|create_reset|list|show|revoke|extend|delete`.
import QRCode from "qrcode";
import type { CtlCommand, CtlOption, CtlOutput, ModuleContext } from "../../core/types.js";
import { formatCode } from "./codes.js";
import { checkHost, normalizeJid } from "./create.js";
import { errors } from "./errors.js";
import { parseUses, parseWhen } from "./parse.js";
import { LIST_HEADER, iso, listLine, publicView, showLines } from "./format.js";
import { parseBareJid } from "./uri.js";
import { LANGS } from "../../web/i18n.js";
import type { InviteRepo } from "./repo.js";
import type { CreateOptions, CreatedInvite, Invite, InviteStatus, InviteType, InvitesApi } from "./types.js";

type Args = Record<string, unknown>;

/** yargs gives both "expires-after" and "expiresAfter"; read either. */
function arg(args: Args, name: string): unknown {
  const camel = name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
  return args[name] ?? args[camel];
}
const str = (args: Args, name: string) => {
  const v = arg(args, name);
  return v === undefined || v === null ? undefined : String(v);
};
const list = (args: Args, name: string) => {
  const v = arg(args, name);
  return v === undefined ? [] : (Array.isArray(v) ? v : [v]).map(String);
};


const s = (describe: string, extra: Partial<CtlOption> = {}): CtlOption => ({ type: "string", describe, ...extra });
const b = (describe: string): CtlOption => ({ type: "boolean", describe, default: false });

const COMMON: Record<string, CtlOption> = {
  uses: s("How many accounts it may create: a number or \"unlimited\" (default 1)"),
  "expires-after": s("Lifetime (15d, 2h, 30min, 1w) or an ISO 8601 date (default invite_expiry)"),
  "not-before": s("Not valid before this time (duration from now or ISO 8601 date)"),
  note: s("Note for admins"),
  "short-code": b("Also issue a short code to read out (short_code_ttl)"),
  email: s("Email address the invite is for (invites_email sends it there)"),
  lang: s("The invitee's language, for the email", { choices: [...LANGS] }),
  qr: b("Print a QR code of the link in the terminal"),
};
const ROLES: Record<string, CtlOption> = {
  role: s("Role for the new account (repeatable)", { array: true }),
  group: s("Group to add the new account to (repeatable)", { array: true }),
};
const HOST_AND_TOKEN: Record<string, CtlOption> = { host: s("The XMPP host"), token: s("The invite's token, id or short code") };

export function ctlCommands(mod: Pick<ModuleContext, "config" | "now">, api: InvitesApi, repo: InviteRepo): CtlCommand[] {
  const hosts = () => mod.config.hosts;
  /** An optional flag's moment in the future (duration from now or ISO 8601 date). */
  const when = (args: Args, name: string): number | undefined => {
    const v = str(args, name);
    return v === undefined ? undefined : parseWhen(v, `--${name}`, mod.now());
  };

  function common(args: Args): Omit<CreateOptions, "host"> {
    const uses = str(args, "uses");
    const expiresAt = when(args, "expires-after");
    return {
      source: "ctl",
      ...(uses === undefined ? {} : { usesAllowed: parseUses(uses, "--uses") }),
      ...(expiresAt === undefined ? {} : { expiresAt }),
      notBefore: when(args, "not-before") ?? null,
      note: str(args, "note") ?? null,
      roles: list(args, "role"),
      groups: list(args, "group"),
      shortCode: arg(args, "short-code") === true,
      email: str(args, "email") ?? null,
      ...(str(args, "lang") === undefined ? {} : { extra: { lang: str(args, "lang") } }),
    };
  }

  async function report(created: CreatedInvite, args: Args, out: CtlOutput): Promise<void> {
    const { invite } = created;
    const details = (await api.details([invite])).get(invite.id);
    if (out.wantsJson) {
      out.json({
        ...publicView(invite, api.status(invite), details), link: created.link, uri: created.uri, landing_url: created.landingUrl ?? null, short_url: created.shortUrl ?? null,
        ...(created.greeterToken === undefined ? {} : { greeter_token: created.greeterToken }),
      });
      return;
    }
    if (created.greeterToken !== undefined) {
      // As Parsec prints an invitation: the token for the greeter, the URL for the claimer.
      out.print(`Invitation token: ${created.greeterToken}`);
      out.print(`Invitation URL: ${created.link}`);
    } else out.print(created.link);
    if (invite.shortCode) out.print(`Short code: ${formatCode(invite.shortCode)} (valid until ${iso(invite.shortCodeExpiresAt)})${created.shortUrl ? ` ${created.shortUrl}` : ""}`);
    for (const [name, d] of Object.entries(details ?? {})) out.print(`${name.replace(/_/g, " ")}: ${d.text}`);
    if (arg(args, "qr") === true) out.print(await QRCode.toString(created.link, { type: "terminal", small: true }));
  }

  /** TOKEN|ID|CODE on HOST, or invites.not_found (exit 1). */
  async function findOn(host: string, text: string): Promise<Invite> {
    const h = checkHost(host, hosts());
    const invite = await api.find(String(text));
    if (!invite || invite.host !== h) throw errors.not_found(`No invite ${String(text).slice(0, 4)}… on ${h}`, { host: h });
    return invite;
  }

  function localJid(text: unknown, what: string): { local: string; host: string } {
    const jid = parseBareJid(String(text));
    if (!jid || jid.local === undefined) throw errors.bad_jid(`${what}: ${JSON.stringify(text)} is not a user JID (user@host)`, { field: what });
    return { local: jid.local, host: checkHost(jid.domain, hosts()) };
  }

  const invite = (c: Omit<CtlCommand, "group">): CtlCommand => ({ group: "invite", ...c });

  return [
    {
      command: "generate <host>",
      describe: "Create an account invite (prosodyctl mod_invites generate)",
      positionals: { host: s("The XMPP host") },
      flags: { reset: s("Create a password reset invite for this username instead"), admin: b("The new account gets the role prosody:admin"), ...ROLES },
      async run(args, out) {
        const host = checkHost(args.host, hosts());
        const roles = [...list(args, "role"), ...(args.admin === true ? ["prosody:admin"] : [])];
        const reset = str(args, "reset");
        const created = reset !== undefined
          ? await api.createReset({ host, username: reset, source: "ctl" })
          : await api.createAccount({ host, source: "ctl", roles, groups: list(args, "group") });
        await report(created, args, out);
      },
    },
    invite({
      command: "create_account <target>",
      describe: "Create an invite to register an account on HOST (or for the username in JID)",
      positionals: { target: s("HOST, or JID to bind the username") },
      flags: {
        username: s("Bind the invite to this username"),
        greeted: b("Greeted invite: the account is made only after inviter and invitee confirm each other with codes (invitectl invite greet)"),
        greeter: s("Who the invitee is told invites them, for a greeted invite (default: \"An administrator of HOST\")"),
        ...COMMON, ...ROLES,
      },
      async run(args, out) {
        const target = parseBareJid(String(args.target));
        if (!target) throw errors.bad_jid(`${JSON.stringify(args.target)} is neither a host nor a JID`, { field: "target" });
        const host = checkHost(target.domain, hosts());
        const flag = str(args, "username");
        if (flag !== undefined && target.local !== undefined && flag !== target.local) throw errors.bad_request(`--username ${JSON.stringify(flag)} contradicts the JID ${JSON.stringify(args.target)}`, { field: "username" });
        const greeted = arg(args, "greeted") === true;
        const greeter = str(args, "greeter");
        if (greeter !== undefined && !greeted) throw errors.bad_request("--greeter goes with --greeted", { field: "greeter" });
        const created = await api.createAccount({
          ...common(args), host, username: flag ?? target.local ?? null,
          ...(greeted ? { greeted, extra: greeter === undefined ? {} : { greeter_name: greeter } } : {}),
        });
        await report(created, args, out);
      },
    }),
    invite({
      command: "create_contact <jid>",
      describe: "Create an invite to become JID's contact (XEP-0379)",
      positionals: { jid: s("The local user whose contact the invitee becomes") },
      flags: { "allow-registration": b("Also let the invitee create an account"), ...COMMON, ...ROLES },
      async run(args, out) {
        const { host } = localJid(args.jid, "jid");
        const inviter = normalizeJid(args.jid, "jid");
        const created = await api.createContact({ ...common(args), host, inviter, allowRegistration: arg(args, "allow-registration") === true });
        await report(created, args, out);
      },
    }),
    invite({
      command: "create_reset <jid>",
      describe: "Create a password reset invite for an existing account",
      positionals: { jid: s("The account") },
      flags: { "expires-after": COMMON["expires-after"]!, note: COMMON.note!, "short-code": COMMON["short-code"]!, qr: COMMON.qr!, email: COMMON.email!, lang: COMMON.lang! },
      async run(args, out) {
        const { local, host } = localJid(args.jid, "jid");
        const created = await api.createReset({ ...common(args), host, username: local, roles: [], groups: [], usesAllowed: 1 });
        await report(created, args, out);
      },
    }),
    invite({
      command: "list <host>",
      describe: "List invites of HOST, newest first",
      positionals: { host: s("The XMPP host") },
      flags: {
        status: s("Only invites with this status", { choices: ["pending", "used", "expired", "revoked"] }),
        type: s("Only invites of this type", { choices: ["account", "contact", "account_and_contact", "reset"] }),
        limit: { type: "number", describe: "At most this many (1-500)", default: 100 },
        cursor: s("Continue from where a previous list stopped"),
      },
      async run(args, out) {
        const host = checkHost(args.host, hosts());
        const limit = Number(arg(args, "limit") ?? 100);
        const filter = { host, limit, status: str(args, "status") as InviteStatus | undefined, type: str(args, "type") as InviteType | undefined };
        const found: Invite[] = [];
        let cursor = str(args, "cursor");
        // The store answers in bounded pages; keep asking until `limit` or the end.
        do {
          const page = await api.list({ ...filter, limit: limit - found.length, ...(cursor === undefined ? {} : { cursor }) });
          found.push(...page.invites);
          cursor = page.cursor;
        } while (cursor !== undefined && found.length < limit);
        const details = await api.details(found);
        if (out.wantsJson) return out.json({ invites: found.map((i) => publicView(i, api.status(i), details.get(i.id))), cursor: cursor ?? null });
        if (found.length === 0) out.print(`No invites on ${host}${filter.status ? ` with status ${filter.status}` : ""}`);
        else out.print(LIST_HEADER);
        for (const i of found) out.print(listLine(i, api.status(i), details.get(i.id)));
        if (cursor !== undefined) out.print(`(more: --cursor ${cursor})`);
      },
    }),
    invite({
      command: "show <host> <token>",
      describe: "Show one invite",
      positionals: HOST_AND_TOKEN,
      async run(args, out) {
        const found = await findOn(String(args.host), String(args.token));
        const details = (await api.details([found])).get(found.id);
        if (out.wantsJson) out.json(publicView(found, api.status(found), details));
        else for (const line of showLines(found, api.status(found), details)) out.print(line);
      },
    }),
    invite({
      command: "revoke <host> <token>",
      describe: "Revoke an invite (extend un-revokes it)",
      positionals: HOST_AND_TOKEN,
      async run(args, out) {
        const found = await findOn(String(args.host), String(args.token));
        const done = await api.revoke(found.id, "ctl");
        out.print(`Revoked invite ${done.id}`);
      },
    }),
    invite({
      command: "extend <host> <token> <duration>",
      describe: "Give an invite a new expiry, counted from now (also un-revokes it)",
      positionals: { ...HOST_AND_TOKEN, duration: s("New lifetime (15d, 2h, 1w) or ISO 8601 date") },
      async run(args, out) {
        const at = parseWhen(String(args.duration), "duration", mod.now());
        const found = await findOn(String(args.host), String(args.token));
        const done = await api.extend(found.id, at, "ctl");
        out.print(`Invite ${done.id} now expires at ${iso(done.expiresAt)}`);
      },
    }),
    invite({
      command: "reservations <host>",
      describe: "List the open reservations of HOST (uses reserved by a registration not yet settled), oldest first",
      positionals: { host: s("The XMPP host") },
      flags: { limit: { type: "number", describe: "At most this many (1-1000)", default: 100 } },
      async run(args, out) {
        const host = checkHost(args.host, hosts());
        const limit = Math.max(1, Math.min(1000, Number(arg(args, "limit") ?? 100) || 100));
        const rows = await repo.openReservations(host, limit);
        if (out.wantsJson) return out.json(rows.map((r) => ({ reservation: r.id, invite: r.invite_id, type: r.type, jid: `${r.username}@${r.host}`, reserved_at: iso(r.reserved_at), owner: r.owner })));
        if (rows.length === 0) out.print(`No open reservations on ${host}`);
        for (const r of rows) out.print(`${r.id}\t${r.invite_id}\t${r.username}@${r.host}\t${iso(r.reserved_at)}\t${r.owner ?? "(recovery)"}`);
      },
    }),
    invite({
      command: "settle <host> <reservation> <outcome>",
      describe: "Settle an open reservation by hand: created (the account exists: the use is spent) or not-created (the use is given back)",
      positionals: { host: s("The XMPP host"), reservation: s("The reservation id (invitectl invite reservations HOST)"), outcome: s("created or not-created", { choices: ["created", "not-created"] }) },
      async run(args, out) {
        const host = checkHost(args.host, hosts());
        const r = await repo.reservation(String(args.reservation));
        const invite = r ? await api.getById(r.invite_id) : undefined;
        if (!r || !invite || invite.host !== host) throw errors.not_found(`No open reservation ${String(args.reservation).slice(0, 24)} on ${host}`, { host });
        const done = args.outcome === "created" ? await api.complete({ invite, reservationId: r.id }) : await api.release({ invite, reservationId: r.id });
        out.print(`Reservation ${r.id} (${r.username}@${host}) ${args.outcome === "created" ? "completed" : "released"}; invite ${done.id}: ${done.usesCompleted} completed, ${done.usesPending} pending`);
      },
    }),
    invite({
      command: "delete <host> <token>",
      describe: "Delete an invite",
      positionals: HOST_AND_TOKEN,
      async run(args, out) {
        const found = await findOn(String(args.host), String(args.token));
        await api.delete(found.id);
        out.print(`Deleted invite ${found.id}`);
      },
    }),
  ];
}
