// Invites by email, and pre-activated accounts. An invite created with an email address (ctl
// --email, the JSON API's email, ad-hoc create-account's email field) is queued in the store
// once it exists and sent through SMTP by the server's queue pass, never inside the request
// that made it; an SMTP outage only delays it (queue.ts). A pre-activation is an account invite
// bound to a username and an email address that also holds the username (holds.ts) until it
// is used, revoked or expires. See docs/email.md.
import { defineModule, opt } from "../../core/types.js";
import type { InviteCreatedEvent, InvitesApi } from "../invites/types.js";
import type { InvitesPageApi } from "../invites_page/types.js";
import type {} from "../invites_register/types.js";
import { LANGS, type Lang } from "../../web/i18n.js";
import { ctlCommands } from "./ctl.js";
import { deliveryDetail } from "./details.js";
import { errors } from "./errors.js";
import { ExpiryIndex } from "./expiry.js";
import { Holds } from "./holds.js";
import { MailQueue } from "./queue.js";
import { Sealer } from "./seal.js";
import { makeSender } from "./send.js";
import { smtpMailer } from "./smtp.js";
import type { Delivery, InvitesEmailApi } from "./types.js";
import type { Hold } from "./holds.js";

export type * from "./types.js";
export { errors as emailErrors } from "./errors.js";

const LOOPBACK = /^(localhost|127\.\d+\.\d+\.\d+|::1|\[::1\])$/i;

export default defineModule({
  name: "invites_email",
  description: "Invites sent by email through SMTP (a queue in the store), and pre-activated accounts",
  dependencies: ["invites", "invites_page"],
  options: {
    email_smtp_host: opt.string({ default: "localhost", describe: "SMTP server (a relay or submission server)" }),
    email_smtp_port: opt.integer({ default: 587, min: 1, max: 65535, describe: "SMTP port (587 submission with STARTTLS, 465 TLS, 25 a local relay)" }),
    email_smtp_tls: opt.enum({ values: ["starttls", "tls", "none"], default: "starttls", describe: "starttls: STARTTLS required; tls: TLS from the start (port 465); none: plain (a relay on this machine only)" }),
    email_smtp_ca_file: opt.optionalString({ describe: "PEM file of a CA to trust for the SMTP server's certificate, besides the system's" }),
    email_smtp_user: opt.optionalString({ describe: "SMTP user name (with email_smtp_password)" }),
    email_smtp_password: opt.optionalString({ describe: "SMTP password; write ${NAME} to take it from the environment" }),
    email_from: opt.optionalString({ describe: "Sender, e.g. \"Example Chat <invites@example.org>\" (default: the site name and noreply@ the first host)" }),
    email_reply_to: opt.optionalString({ describe: "Where replies go (e.g. the admins' address); unset: no Reply-To" }),
    email_lang: opt.enum({ values: LANGS, default: "en", describe: "Language of messages whose invite names none (ctl --lang, the API's lang)" }),
    email_retry_delay: opt.period({ default: "1 minute", min: "1 second", max: "1 day", describe: "Wait before retrying a message that could not be sent; doubles with each attempt" }),
    email_retry_max_delay: opt.period({ default: "1 hour", min: "1 second", max: "1 week", describe: "Longest wait between two attempts" }),
    email_max_attempts: opt.integer({ default: 20, min: 1, max: 1000, describe: "Attempts before a message is marked failed" }),
    email_queue_interval: opt.period({ default: "10 seconds", min: "1 second", max: "10 minutes", describe: "How often the server looks for messages due" }),
    preactivation_expiry: opt.period({ default: "4 weeks", min: "1 hour", describe: "Lifetime of a pre-activation (invitectl user preactivate, the API's preactivate) unless one is given" }),
  },
  setup(mod) {
    const o = mod.options;
    const invites = mod.depends<InvitesApi>("invites");
    const pages = mod.depends<InvitesPageApi>("invites_page");
    if ((o.email_smtp_user === undefined) !== (o.email_smtp_password === undefined)) {
      throw errors.bad_option("set both email_smtp_user and email_smtp_password, or neither", { option: o.email_smtp_user === undefined ? "email_smtp_password" : "email_smtp_user" });
    }
    if (o.email_smtp_tls === "none" && o.email_smtp_user !== undefined && !LOOPBACK.test(o.email_smtp_host)) {
      throw errors.bad_option(`"none" would send the SMTP password in clear to ${o.email_smtp_host}; use starttls or tls (plain only to a relay on this machine)`, { option: "email_smtp_tls" });
    }
    if (o.email_retry_delay > o.email_retry_max_delay) throw errors.bad_option("email_retry_delay is longer than email_retry_max_delay", { option: "email_retry_delay" });
    for (const [name, value] of [["email_from", o.email_from], ["email_reply_to", o.email_reply_to]] as const) {
      if (value !== undefined && !/^[^\s@<>]+@[^\s@<>]+$|<[^\s@<>]+@[^\s@<>]+>$/.test(value.trim())) throw errors.bad_option(`${JSON.stringify(value)} is not an email address (address@domain or "Name <address@domain>")`, { option: name });
    }

    const now = () => mod.now();
    const sealer = new Sealer(mod.secretKey("link-seal"));
    const deliveryExpiry = new ExpiryIndex(mod.openStore<string[]>("delivery_expiry"), mod.openStore<number>("delivery_expiry_cursor"), now);
    const holdExpiry = new ExpiryIndex(mod.openStore<string[]>("hold_expiry"), mod.openStore<number>("hold_expiry_cursor"), now);
    const queue = new MailQueue({
      deliveries: mod.openStore<Delivery>("delivery"),
      buckets: mod.openStore<string[]>("queue"),
      cursor: mod.openStore<number>("queue_cursor"),
    }, deliveryExpiry, { firstDelayMs: o.email_retry_delay, maxDelayMs: o.email_retry_max_delay, maxAttempts: o.email_max_attempts }, now);
    const held = new Holds(mod.openStore<Hold>("hold"), holdExpiry, invites, now);
    const lang = (v: unknown): Lang => ((LANGS as readonly unknown[]).includes(v) ? (v as Lang) : o.email_lang);

    // Made only when the first message goes out: invitectl never opens an SMTP connection.
    let mailer: ReturnType<typeof smtpMailer> | undefined;
    const send = makeSender({
      invites, pages, sealer, queue, log: mod.log, now, lang,
      fire: (e, p) => mod.fire(e, p),
      mailer: () => (mailer ??= smtpMailer({ host: o.email_smtp_host, port: o.email_smtp_port, tls: o.email_smtp_tls, caFile: o.email_smtp_ca_file, user: o.email_smtp_user, password: o.email_smtp_password, clientName: undefined })),
      from: o.email_from ?? { name: pages.site.name, address: `noreply@${mod.config.hosts[0] ?? "localhost"}` },
      replyTo: o.email_reply_to,
    });
    mod.onStop(() => mailer?.close());

    const runQueue = async () => {
      const pass = await queue.run(send);
      if (pass.sent || pass.failed || pass.retried) mod.log.info(pass, "email queue pass");
      return pass;
    };
    /** Soon, outside the request that queued something (server only: the ctl leaves it to the server). */
    const kick = () => { if (mod.mode === "server") setImmediate(() => { void runQueue().catch((err: unknown) => mod.log.warn({ err }, "email queue pass failed")); }); };

    // After every other invite-created handler (invites_page sets the link, others may veto).
    mod.hook("invite-created", async ({ created }: InviteCreatedEvent) => {
      const { invite } = created;
      const preactivation = invite.extra["preactivation"] === true;
      // The invites module takes any user@domain; what goes to SMTP is one plain address.
      if (invite.email !== null && !/^[^\s@",;:<>()[\]\\]+@[A-Za-z0-9\p{L}\p{N}.-]+$/u.test(invite.email)) {
        throw errors.bad_address(`email ${JSON.stringify(invite.email)} is not an address this service can send to (one plain address: name@domain)`, { field: "email" });
      }
      if (preactivation) {
        if (invite.type !== "account" || invite.username === null || invite.email === null || invite.usesAllowed !== 1) throw errors.not_preactivation();
        await held.claim(invite);
        (created.handled ??= []).push("preactivation");
      } else if (invite.username !== null && (invite.type === "account" || invite.type === "account_and_contact")) {
        // An invite bound to a name someone's pre-activation holds could only fail later: say so now.
        const holder = await held.holder(invite.host, invite.username);
        if (holder) throw errors.username_held(`The username ${invite.username} on ${invite.host} is set aside by the pre-activation ${holder.id}`, { field: "username", invite: holder.id });
      }
      if (invite.email === null) return;
      await queue.enqueue({ inviteId: invite.id, to: invite.email, sealed: sealer.seal(created.link) }, invite.expiresAt);
      (created.handled ??= []).push("email");
      kick();
    }, -100);

    // Every way to register (web, in-app, greeted) passes user-registering: a held name is refused.
    mod.hook("user-registering", async (ev) => {
      const holder = await held.holder(ev.host, ev.username);
      if (holder && holder.id !== ev.invite.id) throw errors.username_held(`The username ${ev.username} is reserved for someone else; choose another one`, { field: "username" });
    });
    mod.hook("user-registered", async (ev) => {
      if (ev.invite.extra["preactivation"] === true) await held.release(ev.host, ev.username, ev.invite.id);
    });
    mod.hook("invite-used", async ({ invite }) => {
      // Spent: the sealed link is of no more use to anyone.
      if (invite.usesAllowed !== null && invite.usesCompleted >= invite.usesAllowed && invite.email !== null) await queue.dropLink(invite.id);
    });
    mod.hook("invite-extended", async ({ invite }) => {
      if (invite.email !== null) await queue.keep(invite.id, invite.expiresAt);
    });
    mod.hook("invite-details", async ({ invites: list, details }) => {
      const withEmail = list.filter((i) => i.email !== null);
      const found = await queue.get(withEmail.map((i) => i.id));
      withEmail.forEach((invite, i) => {
        const d = found[i];
        if (d) details.set(invite.id, { ...details.get(invite.id), email_delivery: deliveryDetail(d) });
      });
    });

    const api: InvitesEmailApi = {
      deliveries: (ids) => queue.get(ids),
      async resend(inviteId) {
        const invite = await invites.getById(inviteId);
        if (!invite) throw errors.no_email(`No invite ${inviteId}`);
        const v = invites.validateInvite(invite);
        if (!v.ok && (v.reason === "revoked" || v.reason === "expired")) throw errors.cannot_resend(`The invite is ${v.reason}: extend it first (invitectl invite extend)`);
        const d = await queue.requeue(inviteId, (cur) => {
          if (!cur) throw errors.no_email(`Invite ${inviteId} has no email (it was made without an address, before email delivery was enabled, or long ago)`);
          if (cur.state === "sending") throw errors.cannot_resend(`The email to ${cur.to} is being sent right now`);
          if (cur.sealed === null) throw errors.cannot_resend("This invite has been used: its link is no longer kept");
        }, invite.expiresAt);
        kick();
        return d;
      },
      runQueue,
      async sweep() {
        const at = now();
        const [a, b] = await Promise.all([deliveryExpiry.sweep(at, (id, t) => queue.expire(id, t)), holdExpiry.sweep(at, (key, t) => held.expire(key, t))]);
        return a + b;
      },
      heldBy: async (host, username) => (await held.holder(host, username))?.id,
    };
    for (const cmd of ctlCommands({ mod, invites, api, preactivationExpiryMs: o.preactivation_expiry })) mod.provideCtl(cmd);

    if (mod.mode === "server") {
      const tick = () => {
        runQueue().catch((err: unknown) => mod.log.warn({ err }, "email queue pass failed; retrying at the next one"));
      };
      const timer = setInterval(tick, o.email_queue_interval);
      timer.unref();
      // Forgetting old records is cheap and rarely has work: once an hour is plenty.
      const sweep = setInterval(() => { api.sweep().catch((err: unknown) => mod.log.warn({ err }, "email expiry sweep failed")); }, 3_600_000);
      sweep.unref();
      mod.onStop(() => { clearInterval(timer); clearInterval(sweep); });
      mod.hook("component-online", () => { tick(); });
    }
    return api;
  },
});
