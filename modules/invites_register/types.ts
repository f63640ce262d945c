// The registration events (any module may hook them) and what this module records.
import type { Invite } from "../invites/types.js";
import type { PasswordPolicy } from "./policy.js";

/** Payload of user-registering (a handler vetoes by throwing a ModuleError; its message is shown) and user-registered. */
export interface RegistrationEvent {
  invite: Invite;
  reservationId: string;
  username: string;
  host: string;
  /** Bare JID of the new account. */
  jid: string;
  /** Client address as the HTTP layer sees it (after trust_proxy). */
  ip: string | undefined;
  /** Where the registration came from, e.g. "web". */
  source: string;
  /** The roles the account gets: the invite's, or the part of them a greeter chose. */
  roles: string[];
  /** The name the new user gave (a greeting asks for one): the inviter's roster shows it. */
  displayName?: string;
}

export interface UserRegisteredEvent extends RegistrationEvent {
  /** Bare JIDs that handlers made mutual contacts of the new user (filled by handlers). */
  contacts: string[];
  /** Bare JIDs that should have become mutual contacts but could not (filled by handlers). */
  contactsMissing: string[];
}

declare module "../../core/events.js" {
  interface ModuleEvents {
    "user-registering": RegistrationEvent;
    "user-registered": UserRegisteredEvent;
  }
}

/** Kept per account created through an invite (roles and groups the invite carried). */
export interface AccountRecord {
  jid: string;
  /** Through which invite, and who invited (the invite's inviter: a user, or null for an admin's ctl or API invite). */
  inviteId: string;
  inviter: string | null;
  /** Who made that invite: "ctl", "api/key/<id>", "adhoc/<jid>" (absent in records written before it was kept). */
  inviteSource?: string;
  roles: string[];
  groups: string[];
  source: string;
  registeredAt: number;
}

/** A use reserved for one username while the account is being created elsewhere (in-app). */
export interface PendingRegistration { readonly event: RegistrationEvent }

export interface Registered { jid: string; invite: Invite; contacts: string[]; contactsMissing: string[] }

/** A reset invite's use reserved while the server changes the password itself (in-app). */
export interface PendingReset { readonly jid: string; readonly inviteId: string }

export interface ResetRequest {
  token: string;
  password: string;
  /** The account the requester names (in-band registration does); must be the bound one. */
  username?: string;
}

export interface RegisterRequest {
  /** The invite's token (from the link, the preauth IQ, or a greeting). */
  token: string;
  username: string;
  password: string;
  /** Client address, for logs and user-registering handlers. */
  ip: string | undefined;
  /** "web", "in-app", "greeted", … A greeted invite registers only with "greeted". */
  source: string;
  /** Only these of the invite's roles (a greeter's choice); default all of them. */
  roles?: string[];
  /** The new user's display name, for the inviter's roster. */
  displayName?: string;
  /**
   * The agreements the visitor ticked, with the version they were shown (the web form). Leave
   * it out where agreements cannot be shown (in-app, greeted): a host that requires some then
   * refuses with invites_register.terms_on_web, naming the web page to register on.
   */
  accepted?: readonly { id: string; version: string }[];
  /** The language the agreements were shown in (recorded with the signatures). */
  lang?: string;
}

/** An agreement a host requires (the agreements option), as other modules see it. */
export interface AgreementInfo {
  id: string;
  /** 16 hex digits of the SHA-256 of its titles and texts: a new version at each change. */
  version: string;
  title: Record<string, string>;
  /** Markdown per language. */
  text: Record<string, string>;
}

/** One acceptance of one version of an agreement by the account it created. */
export interface SignatureInfo {
  jid: string;
  host: string;
  agreement: string;
  version: string;
  /** The language the text was shown in. */
  lang: string;
  signedAt: number;
  inviteId: string;
  source: string;
}

/** What other modules use to register accounts: every path applies the same rules once. */
export interface InvitesRegisterApi {
  /** What the invite that created this account granted, if it was created here. */
  account(jid: string): Promise<AccountRecord | undefined>;
  /** The agreements `host` requires before an account is created, in config order. */
  agreements(host: string): AgreementInfo[];
  /** Signatures on `host` (of one account with `jid`), newest first, in pages (limit 1 to 500, default 50). */
  signatures(filter: { host: string; jid?: string; limit?: number; cursor?: string }): Promise<{ signatures: SignatureInfo[]; cursor: string | undefined }>;
  readonly passwordPolicy: PasswordPolicy;
  /** The rules alone (type, username, bound name, password); returns the canonical username or throws. */
  check(invite: Invite, username: string, password: string): string;
  /** Rules, reserve, veto, create the account through the XMPP server, spend the use, announce. */
  register(req: RegisterRequest): Promise<Registered>;
  /** For a server that creates the account itself: rules, reserve and veto; then finish(). */
  begin(req: RegisterRequest): Promise<PendingRegistration>;
  /** The account now exists (spend the use, announce it), or its creation failed (give the use back). */
  finish(pending: PendingRegistration, created: boolean): Promise<Registered | undefined>;
  /** A reset invite: checks the password rules and sets the bound account's password. Returns its JID. */
  reset(req: ResetRequest): Promise<string>;
  /** For a server that changes the password itself: the reset's rules and a reserved use; then finishReset(). */
  beginReset(req: ResetRequest): Promise<PendingReset>;
  /** The password was changed (spend the use; returns the account's JID) or not (give the use back). */
  finishReset(pending: PendingReset, changed: boolean): Promise<string | undefined>;
}
