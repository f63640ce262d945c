// The claim pages' words, in the languages of web/i18n.ts, after the wording of Parsec's
// `invite claim` (the ✔ steps, "Select code provided by greeter", "Code to provide to greeter").
import type { Lang } from "../../web/i18n.js";

const en = {
  title: "Invitation from {greeter}",
  intro: "{greeter} invites you to create an account on {host}.",
  how: "Before the account is made, you and {greeter} confirm each other with short codes: call or meet {greeter}, then start. Each of you reads a code to the other.",
  start: "Start",
  again: "Try again",
  busy: "Someone else is claiming this invite right now. If it is not you, tell {greeter}.",
  step_info: "Retrieving invitation info",
  step_greeter: "Waiting for the greeter to start the invitation procedure",
  step_wait: "Waiting for the greeter",
  pick: "Select the code provided by the greeter:",
  pick_none: "None of these",
  your_code: "Code to provide to the greeter:",
  details: "Your account",
  username: "Username",
  display_name: "Your name (shown to {greeter})",
  password: "Password",
  submit: "Send to the greeter",
  review: "Waiting for the greeter to confirm your account",
  entered: "You asked for {jid}.",
  problem: "The greeter was told: {why}",
  done_title: "Your account is ready",
  done_text: "Your address is {jid}. Sign in with it and your password in any XMPP app.",
  ended_title: "This attempt was cancelled",
  cancel: "Cancel",
  cancelled_text: "You cancelled. Nothing was created.",
  revoked_title: "This invite has been revoked",
  no_js: "This page updates by itself.",
};
type Key = keyof typeof en;

const fr: Record<Key, string> = {
  title: "Invitation de {greeter}",
  intro: "{greeter} vous invite à créer un compte sur {host}.",
  how: "Avant la création du compte, vous et {greeter} vous confirmez l’un l’autre avec des codes courts : appelez ou retrouvez {greeter}, puis commencez. Chacun lit un code à l’autre.",
  start: "Commencer",
  again: "Réessayer",
  busy: "Quelqu’un d’autre revendique cette invitation en ce moment. Si ce n’est pas vous, prévenez {greeter}.",
  step_info: "Récupération des informations de l’invitation",
  step_greeter: "En attente du démarrage de la procédure par l’hôte",
  step_wait: "En attente de l’hôte",
  pick: "Sélectionnez le code fourni par l’hôte :",
  pick_none: "Aucun de ceux-ci",
  your_code: "Code à fournir à l’hôte :",
  details: "Votre compte",
  username: "Nom d’utilisateur",
  display_name: "Votre nom (montré à {greeter})",
  password: "Mot de passe",
  submit: "Envoyer à l’hôte",
  review: "En attente de la confirmation de votre compte par l’hôte",
  entered: "Vous avez demandé {jid}.",
  problem: "L’hôte en a été informé : {why}",
  done_title: "Votre compte est prêt",
  done_text: "Votre adresse est {jid}. Connectez-vous avec elle et votre mot de passe dans n’importe quelle application XMPP.",
  ended_title: "Cette tentative a été annulée",
  cancel: "Annuler",
  cancelled_text: "Vous avez annulé. Rien n’a été créé.",
  revoked_title: "Cette invitation a été révoquée",
  no_js: "Cette page se met à jour toute seule.",
};

export type GreetingText = (key: Key, vars?: Record<string, string>) => string;

export function texts(lang: Lang): GreetingText {
  const table: Record<Key, string> = lang === "fr" ? fr : en;
  return (key, vars = {}) => table[key].replace(/\{(\w+)\}/g, (m, name: string) => vars[name] ?? m);
}
