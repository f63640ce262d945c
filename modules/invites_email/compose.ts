// The message an invite's recipient gets, in English or French, as plain text and HTML:
// who invites them to which service, the link, until when it works, and what happens next
// (other modules add to that, see the email-composing event in types.ts).
import type { Invite } from "../invites/types.js";
import { html, safeUrl } from "../../web/html.js";
import { formatDate, type Lang } from "../../web/i18n.js";

const STRINGS = {
  en: {
    subject_inviter: "{inviter} invites you to {site}",
    subject: "Your invitation to {site}",
    subject_contact: "{inviter} would like to chat with you on {site}",
    subject_preactivated: "Your account {jid} on {site} is ready",
    subject_reset: "Choose a new password for {jid}",
    hello: "Hello,",
    intro_inviter: "{inviter} has invited you to chat on {site}.",
    intro: "You have been invited to chat on {site}.",
    intro_contact: "{inviter} ({jid}) would like to add you as a contact on {site}.",
    intro_preactivated: "An account has been set aside for you on {site}: {jid}. It is yours once you choose its password.",
    intro_reset: "Someone asked for a new password for {jid} on {site}.",
    button: "Open the invite",
    button_preactivated: "Activate my account",
    button_reset: "Choose a new password",
    link_text: "Open this link, on your phone if you want to chat there:",
    valid_until: "The link works until {date}.",
    next_account: "The page helps you pick an app for your device and create your account; then you can start chatting.",
    next_account_contact: "The page helps you pick an app and create your account; {inviter} will then be in your contacts.",
    next_contact: "The page helps you open the invite in your XMPP app, or get one.",
    next_preactivated: "On the page, choose a password: your account {jid} is created then, and you can sign in with any XMPP app.",
    next_reset: "If you did not ask for this, ignore this message: your password stays as it is.",
    ignore: "If you did not expect this message, you can ignore it: nothing happens unless you open the link.",
    reply: "Questions? Reply to this message.",
    admins: "the administrators of {site}",
  },
  fr: {
    subject_inviter: "{inviter} vous invite sur {site}",
    subject: "Votre invitation sur {site}",
    subject_contact: "{inviter} aimerait discuter avec vous sur {site}",
    subject_preactivated: "Votre compte {jid} sur {site} vous attend",
    subject_reset: "Choisissez un nouveau mot de passe pour {jid}",
    hello: "Bonjour,",
    intro_inviter: "{inviter} vous invite à discuter sur {site}.",
    intro: "Vous êtes invité·e à discuter sur {site}.",
    intro_contact: "{inviter} ({jid}) aimerait vous ajouter à ses contacts sur {site}.",
    intro_preactivated: "Un compte vous est réservé sur {site} : {jid}. Il est à vous dès que vous choisissez son mot de passe.",
    intro_reset: "Un nouveau mot de passe a été demandé pour {jid} sur {site}.",
    button: "Ouvrir l’invitation",
    button_preactivated: "Activer mon compte",
    button_reset: "Choisir un nouveau mot de passe",
    link_text: "Ouvrez ce lien, sur votre téléphone si vous voulez y discuter :",
    valid_until: "Le lien fonctionne jusqu’au {date}.",
    next_account: "La page vous aide à choisir une application pour votre appareil et à créer votre compte ; vous pourrez ensuite discuter.",
    next_account_contact: "La page vous aide à choisir une application et à créer votre compte ; {inviter} sera alors dans vos contacts.",
    next_contact: "La page vous aide à ouvrir l’invitation dans votre application XMPP, ou à en choisir une.",
    next_preactivated: "Sur la page, choisissez un mot de passe : votre compte {jid} est alors créé, et vous pouvez vous connecter avec n’importe quelle application XMPP.",
    next_reset: "Si vous n’avez rien demandé, ignorez ce message : votre mot de passe ne change pas.",
    ignore: "Si vous n’attendiez pas ce message, ignorez-le : rien ne se passe tant que vous n’ouvrez pas le lien.",
    reply: "Des questions ? Répondez à ce message.",
    admins: "les administrateurs de {site}",
  },
} as const satisfies Record<Lang, Record<string, string>>;

type Key = keyof (typeof STRINGS)["en"];

function fill(lang: Lang, key: Key, vars: Record<string, string>): string {
  return STRINGS[lang][key].replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}

export interface MessageInput {
  invite: Invite;
  lang: Lang;
  link: string;
  site: string;
  /** The inviter's display name, when a user made the invite. */
  inviter: string | undefined;
  preactivated: boolean;
  withReplyTo: boolean;
}

export interface Composed { subject: string; text: string; html: string; next: string[] }

/** The "what happens next" paragraphs before other modules add theirs. */
export function defaultNext(m: Omit<MessageInput, "link">): string[] {
  const { invite, lang } = m;
  const vars = { inviter: m.inviter ?? "", jid: `${invite.username ?? ""}@${invite.host}` };
  if (m.preactivated) return [fill(lang, "next_preactivated", vars)];
  if (invite.type === "reset") return [fill(lang, "next_reset", vars)];
  if (invite.type === "contact") return [fill(lang, "next_contact", vars)];
  if (invite.type === "account_and_contact" && m.inviter) return [fill(lang, "next_account_contact", vars)];
  return [fill(lang, "next_account", vars)];
}

export function compose(m: MessageInput, next: string[]): Composed {
  const { invite, lang } = m;
  const jid = invite.type === "contact" || (invite.type === "account_and_contact" && !invite.username) ? invite.inviter ?? invite.host : `${invite.username ?? ""}@${invite.host}`;
  const vars = { site: m.site, inviter: m.inviter ?? fill(lang, "admins", { site: m.site }), jid };
  const kind = m.preactivated ? "preactivated" : invite.type === "reset" ? "reset" : invite.type === "contact" ? "contact" : undefined;
  // A header line: no control characters from a display name.
  const subject = fill(lang, kind ? `subject_${kind}` : m.inviter ? "subject_inviter" : "subject", vars).replace(/\p{Cc}+/gu, " ");
  const intro = fill(lang, kind ? `intro_${kind}` : m.inviter ? "intro_inviter" : "intro", vars);
  const button = fill(lang, kind === "preactivated" ? "button_preactivated" : kind === "reset" ? "button_reset" : "button", vars);
  const until = fill(lang, "valid_until", { date: formatDate(lang, invite.expiresAt) });
  const tail = [fill(lang, "ignore", vars), ...(m.withReplyTo ? [fill(lang, "reply", vars)] : [])];

  const text = [fill(lang, "hello", vars), intro, `${fill(lang, "link_text", vars)}\n${m.link}`, until, ...next, ...tail, `-- \n${m.site}`].join("\n\n") + "\n";
  const body = html`<!DOCTYPE html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${subject}</title></head>
<body style="font-family: sans-serif; line-height: 1.5; color: #222; max-width: 36em; margin: 0 auto; padding: 1em">
<p>${fill(lang, "hello", vars)}</p>
<p>${intro}</p>
<p><a href="${safeUrl(m.link)}" style="display: inline-block; padding: .6em 1.2em; background: #1a5fb4; color: #fff; border-radius: .4em; text-decoration: none">${button}</a></p>
<p style="font-size: .9em">${fill(lang, "link_text", vars)}<br><a href="${safeUrl(m.link)}">${m.link}</a></p>
<p>${until}</p>
${next.map((p) => html`<p>${p}</p>\n`)}${tail.map((p) => html`<p style="font-size: .9em; color: #555">${p}</p>\n`)}<p style="font-size: .9em; color: #555">— ${m.site}</p>
</body></html>
`;
  return { subject, text, html: body.text, next };
}
