// One send attempt of a queued message: the invite must still be usable, its sealed link
// opens with this process's key, other modules add what happens next, and SMTP takes it.
import type { Logger, ModuleContext } from "../../core/types.js";
import type { InvitesApi } from "../invites/types.js";
import type { InvitesPageApi } from "../invites_page/types.js";
import type { Lang } from "../../web/i18n.js";
import { compose, defaultNext } from "./compose.js";
import { SendFailure, type MailQueue } from "./queue.js";
import type { Sealer } from "./seal.js";
import type { Mailer } from "./smtp.js";
import type { Delivery, EmailComposingEvent } from "./types.js";

export interface SenderDeps {
  invites: InvitesApi;
  pages: InvitesPageApi;
  sealer: Sealer;
  queue: MailQueue;
  mailer: () => Mailer;
  fire: ModuleContext["fire"];
  log: Logger;
  now: () => number;
  lang: (value: unknown) => Lang;
  from: string | { name: string; address: string };
  replyTo: string | undefined;
}

const quoted = (from: SenderDeps["from"]) => (typeof from === "string" ? from : `"${from.name.replace(/["\\\r\n]/g, "")}" <${from.address}>`);

export function makeSender(d: SenderDeps): (delivery: Delivery) => Promise<void> {
  return async (delivery) => {
    const invite = await d.invites.getById(delivery.inviteId);
    if (!invite) throw new SendFailure("the invite was deleted before its email went out", true);
    const at = d.now();
    if (invite.revokedAt !== null) throw new SendFailure("the invite was revoked before its email went out", true);
    if (invite.expiresAt <= at) throw new SendFailure("the invite expired before its email went out", true);
    if (invite.usesAllowed !== null && invite.usesCompleted >= invite.usesAllowed) {
      await d.queue.dropLink(invite.id);
      throw new SendFailure("the invite was used before its email went out", true);
    }
    const link = delivery.sealed === null ? undefined : d.sealer.open(delivery.sealed);
    // Not permanent: another instance, with the right secret_key, may send it.
    if (link === undefined) throw new SendFailure("the invite link cannot be opened with this instance's secret_key (sealed by an instance with another one?)", false);

    const lang = d.lang(invite.extra["lang"]);
    const preactivated = invite.extra["preactivation"] === true;
    const inviter = preactivated ? undefined : d.pages.inviter(invite)?.name;
    const input = { invite, lang, link, site: d.pages.site.name, inviter, preactivated, withReplyTo: d.replyTo !== undefined };
    const ev: EmailComposingEvent = { invite, lang, next: defaultNext(input) };
    await d.fire("email-composing", ev);
    const message = compose(input, ev.next.map(String));
    await d.mailer().send({ from: quoted(d.from), replyTo: d.replyTo, to: delivery.to, subject: message.subject, text: message.text, html: message.html, lang });
    d.log.info({ invite: invite.id }, "invite email sent");
  };
}
