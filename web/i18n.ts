// Page strings in English and French. The language comes from ?lang=, then the "lang"
// cookie the switch sets, then Accept-Language (RFC 9110 §12.5.4 quality values).
import type { HttpRequest } from "../core/types.js";
import { readCookie } from "./security.js";

export const LANGS = ["en", "fr"] as const;
export type Lang = (typeof LANGS)[number];
export const LANG_NAMES: Record<Lang, string> = { en: "English", fr: "Français" };

const en = {
  join_title: "Join {site}",
  intro: "You have been invited to chat on {site}.",
  intro_inviter: "{inviter} has invited you to chat on {site}.",
  xmpp_blurb: "{site} is part of XMPP, an open network for private messaging: like e-mail, you can talk with people on any XMPP service.",
  contact_too: "{inviter} will be in your contacts as soon as your account is ready.",
  contact_by_hand: "Once your account is ready, add {inviter} to your contacts in your app: their address is {jid}.",
  bound_to: "This invite is for the address {jid}.",
  expires_on: "This invite is valid until {date}.",
  get_app: "Get an app",
  get_app_text: "Choose an app for your device. It will guide you through the rest.",
  get_app_text_web: "Choose the app you will use: you create your account here first, then sign in to the app with it.",
  for_device: "For your device",
  all_apps: "Other apps",
  choose: "Choose {app}",
  have_app: "Already have an XMPP app?",
  open_in_app: "Open in my app",
  register_web: "Create the account in your browser",
  register_web_text: "You can also create your account here first, then sign in with any XMPP app.",
  register_web_first: "Create your account here first, then sign in with your app using your new address and password.",
  qr_title: "On another device?",
  qr_text: "Scan this code with your phone's camera to open the invite there.",
  contact_title: "Chat with {inviter}",
  contact_intro: "{inviter} would like to add you as a contact.",
  contact_address: "Their address is {jid}.",
  contact_add: "Add {inviter} in my app",
  contact_no_app: "No XMPP app yet? Pick one below, install it, then come back to this page.",
  contact_approval: "{inviter} will be asked to accept your request.",
  reset_title: "Reset your password",
  reset_intro: "This link lets you choose a new password for {jid}.",
  reset_button: "Choose a new password",
  invalid_title: "This invite does not exist",
  invalid_text: "Check that the link or code is complete, or ask the person who invited you for a new one.",
  expired_title: "This invite has expired",
  expired_text: "Invites are valid for a limited time only. Ask the person who invited you for a new one.",
  revoked_title: "This invite has been cancelled",
  revoked_text: "The person who made it cancelled it. Ask them for a new one if you still need it.",
  used_up_title: "This invite has already been used",
  used_up_text: "If you already created your account, just sign in with your app. Otherwise, ask for a new invite.",
  not_yet_valid_title: "This invite is not valid yet",
  not_yet_valid_text: "It can be used from {date}.",
  code_title: "I have a code",
  code_label: "Invite code",
  code_help: "Letters and digits, for example ABCD-2345.",
  code_submit: "Continue",
  code_bad: "This is not a valid code: codes have 6 to 8 letters and digits.",
  code_no_link: "This code is valid, but its invite cannot be opened here. Ask for the invite link instead.",
  too_many_title: "Too many attempts",
  too_many_text: "Please wait a minute, then try again.",
  unavailable_title: "Please try again shortly",
  unavailable_text: "The chat server is not reachable right now. Nothing was lost: your invite can still be used. Please try again in a few minutes.",
  error_title: "Something went wrong",
  error_text: "Please try again. If it keeps happening, tell the person who invited you.",
  not_found_title: "Page not found",
  not_found_text: "There is nothing at this address. If someone gave you a short invite code, you can type it below.",
  setup_title: "Join {site} with {app}",
  setup_contact_title: "Add {inviter} with {app}",
  step_install: "Install {app}",
  step_install_text: "Download and install {app}, then come back to this page.",
  step_activate: "Accept the invite",
  step_activate_text: "Installed? Tap the button to continue in {app}.",
  accept_with: "Open the invite in {app}",
  step_register: "Create your account",
  step_register_text: "Create your account in the browser, then sign in to {app} with your new address and password.",
  step_add: "Add {inviter}",
  step_add_text: "Installed? Tap the button to add {inviter} in {app}.",
  step_add_web_text: "Sign in to {app}, then add {jid} to your contacts.",
  download: "Download {app}",
  fallback_register: "Not working? Create your account in the browser instead.",
  back_to_apps: "Back to all apps",
  register_title: "Create your account",
  register_intro: "Your new address will be username@{domain}.",
  register_with_app: "After this step you will sign in with {app}.",
  username: "Username",
  username_help: "The first part of your address. Letters, digits, dots and dashes work everywhere.",
  password: "Password",
  new_password: "New password",
  password_help: "At least {n} characters. Use a password you do not use anywhere else.",
  password_help_username: "It must not contain your username.",
  create_account: "Create my account",
  change_password: "Change my password",
  err_fill: "Please fill in all fields.",
  err_username: "This username cannot be used: {reason}.",
  err_taken: "The username {name} is already taken. Please try another one.",
  err_bound: "This invite is for the username {name} only.",
  err_pw_short: "The password must have at least {n} characters.",
  err_pw_long: "The password is too long: at most {n} characters.",
  err_pw_username: "The password must not contain the username.",
  err_pw_char: "The password cannot contain the character {char} (control characters and characters such as U+FFFF cannot be sent to the server).",
  err_field_once: "The form field \"{field}\" was sent more than once; send the form again.",
  err_csrf: "This form has expired. Please load the page again and send it once more.",
  err_refused: "Registration was refused: {reason}",
  err_server_refused: "The server did not accept this username and password. Please try another password, with letters, digits and common symbols.",
  err_no_account: "The account {jid} does not exist any more.",
  agreements_title: "Before you create your account",
  agreements_intro: "{site} asks you to read and accept the following.",
  agree_to: "I have read and accept the {title}.",
  err_terms: "To create an account, accept the {title}.",
  err_terms_changed: "The {title} changed while you were reading them: read them again and accept them.",
  success_title: "Your account is ready",
  success_address: "Your new address is",
  success_contact: "{inviter} is already in your contacts.",
  success_contact_missing: "We could not add {inviter} to your contacts. To add them yourself, open your app, choose to add a contact and enter {jid}.",
  success_next_app: "Now sign in with {app}",
  success_next: "Now sign in with any XMPP app",
  success_steps_1: "Open {app}.",
  success_steps_1_any: "Open your chat app.",
  success_steps_2: "Choose to sign in with an existing account.",
  success_steps_3: "Enter your address {jid} and the password you just chose.",
  success_webchat: "Or start chatting in your browser",
  reset_done_title: "Password changed",
  reset_done_text: "You can now sign in as {jid} with your new password.",
  language: "Language",
  powered: "Secure messaging with XMPP",
  recommended: "Recommended",
  pairing_box: "Someone else, or another device? Go to {url} and type the code {code}.",
  dir_title: "Enter your invite code",
  dir_intro: "Type the code you were given by phone or in a message. It takes you to the chat service that invited you.",
  dir_unknown: "No invite has this code. It may have expired: codes work for a short time only. Check the code, or ask for a new one.",
} as const;

export type Key = keyof typeof en;

const fr: Record<Key, string> = {
  join_title: "Rejoignez {site}",
  intro: "Vous êtes invité·e à discuter sur {site}.",
  intro_inviter: "{inviter} vous invite à discuter sur {site}.",
  xmpp_blurb: "{site} fait partie de XMPP, un réseau ouvert de messagerie privée : comme avec l'e-mail, vous pouvez parler avec les personnes de n'importe quel service XMPP.",
  contact_too: "{inviter} sera dans vos contacts dès que votre compte sera prêt.",
  contact_by_hand: "Une fois votre compte prêt, ajoutez {inviter} à vos contacts dans votre application : son adresse est {jid}.",
  bound_to: "Cette invitation est pour l'adresse {jid}.",
  expires_on: "Cette invitation est valable jusqu'au {date}.",
  get_app: "Installez une application",
  get_app_text: "Choisissez une application pour votre appareil. Elle vous guidera pour la suite.",
  get_app_text_web: "Choisissez l'application que vous utiliserez : vous créez d'abord votre compte ici, puis vous vous connectez avec dans l'application.",
  for_device: "Pour votre appareil",
  all_apps: "Autres applications",
  choose: "Choisir {app}",
  have_app: "Vous avez déjà une application XMPP ?",
  open_in_app: "Ouvrir dans mon application",
  register_web: "Créer le compte dans le navigateur",
  register_web_text: "Vous pouvez aussi créer votre compte ici, puis vous connecter avec n'importe quelle application XMPP.",
  register_web_first: "Créez d'abord votre compte ici, puis connectez-vous dans votre application avec votre nouvelle adresse et votre mot de passe.",
  qr_title: "Sur un autre appareil ?",
  qr_text: "Scannez ce code avec l'appareil photo de votre téléphone pour y ouvrir l'invitation.",
  contact_title: "Discutez avec {inviter}",
  contact_intro: "{inviter} souhaite vous ajouter à ses contacts.",
  contact_address: "Son adresse est {jid}.",
  contact_add: "Ajouter {inviter} dans mon application",
  contact_no_app: "Pas encore d'application XMPP ? Choisissez-en une ci-dessous, installez-la, puis revenez sur cette page.",
  contact_approval: "{inviter} devra accepter votre demande.",
  reset_title: "Réinitialiser votre mot de passe",
  reset_intro: "Ce lien vous permet de choisir un nouveau mot de passe pour {jid}.",
  reset_button: "Choisir un nouveau mot de passe",
  invalid_title: "Cette invitation n'existe pas",
  invalid_text: "Vérifiez que le lien ou le code est complet, ou demandez une nouvelle invitation à la personne qui vous a invité·e.",
  expired_title: "Cette invitation a expiré",
  expired_text: "Les invitations ne sont valables que pour une durée limitée. Demandez-en une nouvelle à la personne qui vous a invité·e.",
  revoked_title: "Cette invitation a été annulée",
  revoked_text: "La personne qui l'a créée l'a annulée. Demandez-lui une nouvelle invitation si besoin.",
  used_up_title: "Cette invitation a déjà été utilisée",
  used_up_text: "Si vous avez déjà créé votre compte, connectez-vous simplement avec votre application. Sinon, demandez une nouvelle invitation.",
  not_yet_valid_title: "Cette invitation n'est pas encore valable",
  not_yet_valid_text: "Elle pourra être utilisée à partir du {date}.",
  code_title: "J'ai un code",
  code_label: "Code d'invitation",
  code_help: "Des lettres et des chiffres, par exemple ABCD-2345.",
  code_submit: "Continuer",
  code_bad: "Ce code n'est pas valide : un code compte 6 à 8 lettres et chiffres.",
  code_no_link: "Ce code est valable, mais son invitation ne peut pas être ouverte ici. Demandez plutôt le lien d'invitation.",
  too_many_title: "Trop de tentatives",
  too_many_text: "Veuillez patienter une minute, puis réessayer.",
  unavailable_title: "Veuillez réessayer dans un instant",
  unavailable_text: "Le serveur de discussion est injoignable pour le moment. Rien n'est perdu : votre invitation reste utilisable. Réessayez dans quelques minutes.",
  error_title: "Une erreur s'est produite",
  error_text: "Veuillez réessayer. Si le problème persiste, prévenez la personne qui vous a invité·e.",
  not_found_title: "Page introuvable",
  not_found_text: "Il n'y a rien à cette adresse. Si quelqu'un vous a donné un code d'invitation court, vous pouvez le saisir ci-dessous.",
  setup_title: "Rejoignez {site} avec {app}",
  setup_contact_title: "Ajoutez {inviter} avec {app}",
  step_install: "Installez {app}",
  step_install_text: "Téléchargez et installez {app}, puis revenez sur cette page.",
  step_activate: "Acceptez l'invitation",
  step_activate_text: "C'est installé ? Touchez le bouton pour continuer dans {app}.",
  accept_with: "Ouvrir l'invitation dans {app}",
  step_register: "Créez votre compte",
  step_register_text: "Créez votre compte dans le navigateur, puis connectez-vous dans {app} avec votre nouvelle adresse et votre mot de passe.",
  step_add: "Ajoutez {inviter}",
  step_add_text: "C'est installé ? Touchez le bouton pour ajouter {inviter} dans {app}.",
  step_add_web_text: "Connectez-vous à {app}, puis ajoutez {jid} à vos contacts.",
  download: "Télécharger {app}",
  fallback_register: "Ça ne marche pas ? Créez plutôt votre compte dans le navigateur.",
  back_to_apps: "Retour à toutes les applications",
  register_title: "Créez votre compte",
  register_intro: "Votre nouvelle adresse sera nom@{domain}.",
  register_with_app: "Ensuite, vous vous connecterez avec {app}.",
  username: "Nom d'utilisateur",
  username_help: "La première partie de votre adresse. Lettres, chiffres, points et tirets fonctionnent partout.",
  password: "Mot de passe",
  new_password: "Nouveau mot de passe",
  password_help: "Au moins {n} caractères. Utilisez un mot de passe que vous n'utilisez nulle part ailleurs.",
  password_help_username: "Il ne doit pas contenir votre nom d'utilisateur.",
  create_account: "Créer mon compte",
  change_password: "Changer mon mot de passe",
  err_fill: "Veuillez remplir tous les champs.",
  err_username: "Ce nom d'utilisateur ne peut pas être utilisé : {reason}.",
  err_taken: "Le nom d'utilisateur {name} est déjà pris. Essayez-en un autre.",
  err_bound: "Cette invitation est réservée au nom d'utilisateur {name}.",
  err_pw_short: "Le mot de passe doit compter au moins {n} caractères.",
  err_pw_long: "Le mot de passe est trop long : {n} caractères au plus.",
  err_pw_username: "Le mot de passe ne doit pas contenir le nom d'utilisateur.",
  err_pw_char: "Le mot de passe ne peut pas contenir le caractère {char} (les caractères de contrôle et ceux comme U+FFFF ne peuvent pas être envoyés au serveur).",
  err_field_once: "Le champ « {field} » a été envoyé plusieurs fois ; renvoyez le formulaire.",
  err_csrf: "Ce formulaire a expiré. Rechargez la page et envoyez-le à nouveau.",
  err_refused: "L'inscription a été refusée : {reason}",
  err_server_refused: "Le serveur n'a pas accepté ce nom d'utilisateur et ce mot de passe. Essayez un autre mot de passe, avec des lettres, des chiffres et des symboles courants.",
  err_no_account: "Le compte {jid} n'existe plus.",
  agreements_title: "Avant de créer votre compte",
  agreements_intro: "{site} vous demande de lire et d'accepter ce qui suit.",
  agree_to: "J'ai lu et j'accepte : {title}.",
  err_terms: "Pour créer un compte, acceptez : {title}.",
  err_terms_changed: "Le texte « {title} » a changé pendant votre lecture : relisez-le et acceptez-le.",
  success_title: "Votre compte est prêt",
  success_address: "Votre nouvelle adresse est",
  success_contact: "{inviter} est déjà dans vos contacts.",
  success_contact_missing: "Nous n'avons pas pu ajouter {inviter} à vos contacts. Pour l'ajouter vous-même, ouvrez votre application, choisissez d'ajouter un contact et saisissez {jid}.",
  success_next_app: "Connectez-vous maintenant avec {app}",
  success_next: "Connectez-vous maintenant avec une application XMPP",
  success_steps_1: "Ouvrez {app}.",
  success_steps_1_any: "Ouvrez votre application de discussion.",
  success_steps_2: "Choisissez de vous connecter avec un compte existant.",
  success_steps_3: "Saisissez votre adresse {jid} et le mot de passe que vous venez de choisir.",
  success_webchat: "Ou discutez directement dans votre navigateur",
  reset_done_title: "Mot de passe changé",
  reset_done_text: "Vous pouvez maintenant vous connecter en tant que {jid} avec votre nouveau mot de passe.",
  language: "Langue",
  powered: "Messagerie sécurisée avec XMPP",
  recommended: "Recommandé",
  pairing_box: "Pour quelqu'un d'autre, ou un autre appareil ? Allez sur {url} et saisissez le code {code}.",
  dir_title: "Saisissez votre code d'invitation",
  dir_intro: "Tapez le code reçu par téléphone ou dans un message. Il vous mène au service de discussion qui vous a invité.",
  dir_unknown: "Aucune invitation n'a ce code. Il a peut-être expiré : les codes ne servent que peu de temps. Vérifiez le code, ou demandez-en un nouveau.",
};

const TABLES: Record<Lang, Record<Key, string>> = { en, fr };

export type Translate = (key: Key, vars?: Record<string, string | number>) => string;

/** Each string split once at its {placeholders}: odd positions are names. */
const COMPILED: Record<Lang, Map<Key, string[]>> = { en: new Map(), fr: new Map() };

function compiled(lang: Lang, key: Key): string[] {
  let parts = COMPILED[lang].get(key);
  if (!parts) COMPILED[lang].set(key, parts = TABLES[lang][key].split(/\{(\w+)\}/));
  return parts;
}

const TRANSLATORS = Object.fromEntries(LANGS.map((lang) => [lang, ((key, vars) => {
  const parts = compiled(lang, key);
  if (parts.length === 1) return parts[0]!;
  let out = parts[0]!;
  for (let i = 1; i < parts.length; i += 2) {
    const name = parts[i]!;
    out += (vars && name in vars ? String(vars[name]) : `{${name}}`) + parts[i + 1]!;
  }
  return out;
}) as Translate])) as Record<Lang, Translate>;

export function translator(lang: Lang): Translate {
  return TRANSLATORS[lang];
}

function asLang(v: unknown): Lang | undefined {
  if (typeof v !== "string") return undefined;
  const base = v.trim().toLowerCase().split(/[-_]/)[0];
  return (LANGS as readonly string[]).includes(base ?? "") ? (base as Lang) : undefined;
}

/** Best supported language for an Accept-Language header; English when none matches. */
export function negotiate(header: string | undefined): Lang {
  if (!header) return "en";
  const ranked = header.split(",").slice(0, 20).map((part, i) => {
    const [tag, ...params] = part.trim().split(";");
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)).find(Boolean);
    return { lang: asLang(tag), q: q ? Number(q[1]) : 1, i };
  }).filter((r) => r.lang && r.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  return ranked[0]?.lang ?? "en";
}

/** The language for this request; `query` is the parsed ?lang= (if any). */
export function pickLang(req: HttpRequest, queryLang?: string): Lang {
  return asLang(queryLang) ?? asLang(readCookie(req, "lang")) ?? negotiate(req.get("accept-language"));
}

// Building an Intl.DateTimeFormat costs far more than formatting with one: keep one per language.
const DATE_FORMATS: Record<Lang, Intl.DateTimeFormat> = {
  en: new Intl.DateTimeFormat("en-GB", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" }),
  fr: new Intl.DateTimeFormat("fr-FR", { dateStyle: "long", timeStyle: "short", timeZone: "UTC" }),
};

export function formatDate(lang: Lang, epochMs: number): string {
  return `${DATE_FORMATS[lang].format(new Date(epochMs))} UTC`;
}
