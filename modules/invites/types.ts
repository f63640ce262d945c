// The public shape of invites: what modules/invites returns from setup() and what
// every other module builds on. See README.md beside this file.

export type InviteType = "account" | "contact" | "account_and_contact" | "reset";
export type InviteStatus = "pending" | "used" | "expired" | "revoked";
export type InvalidReason = "invalid" | "expired" | "not_yet_valid" | "revoked" | "used_up";

/** The stored record. The token itself is never stored, only its SHA-256 (tokenHash). */
export interface Invite {
  id: string;
  tokenHash: string;
  type: InviteType;
  host: string;
  /** Bound username (localpart), enforced at registration; for reset invites the account's. */
  username: string | null;
  email: string | null;
  /** Bare JID of who made it (for contact invites: whose contact the new user becomes). */
  inviter: string | null;
  /** "api/key/<id>", "ctl", "adhoc/<jid>", ... */
  source: string;
  roles: string[];
  groups: string[];
  note: string | null;
  /** null = unlimited. */
  usesAllowed: number | null;
  usesPending: number;
  usesCompleted: number;
  /** Reservations not yet completed or released: reservation id -> { username, at }. */
  reservations: Record<string, { username: string; at: number }>;
  createdAt: number;
  notBefore: number | null;
  expiresAt: number;
  revokedAt: number | null;
  /** When the last use completed (for sweep). */
  usedAt: number | null;
  /** The short code (upper case, no look-alikes): only in the creation result; stored invites keep its hash. */
  shortCode: string | null;
  /** SHA-256 of the short code, so the store never holds a usable code. */
  shortCodeHash: string | null;
  shortCodeExpiresAt: number | null;
  /** Extra data other modules attach (e.g. landing page settings). */
  extra: Record<string, unknown>;
}

/** What creation returns: the record plus the secret parts, shown once. */
export interface CreatedInvite {
  invite: Invite;
  token: string;
  /** xmpp: URI as XEP-0401 / XEP-0379 write it. */
  uri: string;
  /** Landing page URL, filled by invites_page on invite-created; undefined without it. */
  landingUrl: string | undefined;
  /** Landing URL when there is one, else the URI. */
  link: string;
  /** Short link /i/CODE when a short code was asked for. */
  shortUrl: string | undefined;
  /**
   * What invite-created handlers took on that the creator asked for in `extra` (e.g.
   * "preactivation"), so that a creator can tell a request no loaded module honoured.
   */
  handled?: string[];
  /**
   * A greeted invite's second secret, for the greeter (`invitectl invite greet TOKEN`); set by
   * invites_greeting on invite-created. The link (`token`) is the claimer's.
   */
  greeterToken?: string;
}

export interface CreateOptions {
  host: string;
  username?: string | null;
  email?: string | null;
  inviter?: string | null;
  source: string;
  roles?: string[];
  groups?: string[];
  note?: string | null;
  /** Default 1; null = unlimited. */
  usesAllowed?: number | null;
  /** Epoch ms. */
  notBefore?: number | null;
  /** Epoch ms; default now + invite_expiry (reset: reset_invite_expiry). */
  expiresAt?: number;
  /** Epoch ms: without expiresAt, the default expiry is brought back to this (an API key's max-expiry). */
  expiryCap?: number;
  shortCode?: boolean;
  /**
   * The account is made only through a greeting (invites_greeting): inviter and invitee
   * confirm each other with short codes first. Account invites with one use only.
   */
  greeted?: boolean;
  extra?: Record<string, unknown>;
}

export type Validation =
  | { ok: true; invite: Invite }
  | { ok: false; reason: InvalidReason; invite?: Invite };

export interface Reservation {
  invite: Invite;
  reservationId: string;
}

export interface ListFilter {
  host?: string;
  type?: InviteType;
  inviter?: string;
  status?: InviteStatus;
  cursor?: string;
  /** Default 50, max 500. */
  limit?: number;
}

export interface ListPage { invites: Invite[]; cursor: string | undefined }

export interface UpdateOptions {
  usesAllowed?: number | null;
  note?: string | null;
  expiresAt?: number;
  /** Clear revokedAt (un-revoke). */
  unrevoke?: boolean;
}

/** Payload of invite-created: handlers may set landingUrl / shortUrl. */
export interface InviteCreatedEvent { created: CreatedInvite }
export interface InviteEvent { invite: Invite; by?: string }
export interface InviteReservationEvent { invite: Invite; reservationId: string; username: string }

/** What another module knows about an invite, for admin views (invitectl, the JSON API). */
export interface InviteDetail {
  /** A word or two for list lines, e.g. "sent". */
  short: string;
  /** One line for `invite show`, e.g. "failed (550 mailbox unavailable)". */
  text: string;
  /** Further "key: value" lines for `invite show`, after `text` (a greeting's greeter, claimer, …). */
  more?: string[];
  /** The JSON form (ctl --json, the JSON API). */
  json: unknown;
}
/** Payload of invite-details: handlers add details by invite id, under a snake_case name ("email_delivery"). */
export interface InviteDetailsEvent { invites: Invite[]; details: Map<string, Record<string, InviteDetail>> }

export interface InvitesApi {
  createAccount(opts: CreateOptions): Promise<CreatedInvite>;
  /** Contact invite: opts.inviter is required; allowRegistration makes it account_and_contact. */
  createContact(opts: CreateOptions & { inviter: string; allowRegistration?: boolean }): Promise<CreatedInvite>;
  /** Password reset for an existing account: opts.username required. */
  createReset(opts: CreateOptions & { username: string }): Promise<CreatedInvite>;

  /** By token (constant-time via hash lookup). */
  get(token: string): Promise<Invite | undefined>;
  getById(id: string): Promise<Invite | undefined>;
  /** Token, id, or short code. */
  find(tokenOrId: string): Promise<Invite | undefined>;
  validate(token: string): Promise<Validation>;
  validateInvite(invite: Invite | undefined, now?: number): Validation;
  resolveShortCode(code: string): Promise<Validation>;
  status(invite: Invite, now?: number): InviteStatus;

  /** Atomically takes one use as pending. Throws invites.<reason> (ModuleError) when it cannot. */
  reserve(token: string, username: string): Promise<Reservation>;
  /** As reserve(), by invite id: for a short code, which resolves to an invite but not to its token. */
  reserveById(id: string, username: string): Promise<Reservation>;
  /** The account exists: the pending use becomes completed. */
  complete(reservation: Reservation): Promise<Invite>;
  /**
   * Registration failed: the pending use is given back. `cause` is the failure: when it
   * leaves open whether the account was made (the XMPP server timed out or went away during
   * the request), the reservation goes to crash recovery instead, which asks the server.
   */
  release(reservation: Reservation, cause?: unknown): Promise<Invite>;

  revoke(id: string, by?: string): Promise<Invite>;
  /** New expiry; also un-revokes (Galène's /reinvite). */
  extend(id: string, expiresAt: number, by?: string): Promise<Invite>;
  update(id: string, changes: UpdateOptions, by?: string): Promise<Invite>;
  delete(id: string): Promise<boolean>;
  list(filter: ListFilter): Promise<ListPage>;
  /** What other modules know about these invites (invite-details), by invite id; a failing handler is logged and left out. */
  details(invites: Invite[]): Promise<Map<string, Record<string, InviteDetail>>>;
  /** Deletes invites expired or used up more than invite_retention ago; returns how many. */
  sweep(now?: number): Promise<number>;
  /** xmpp: URI for an invite and its token. */
  uriFor(invite: Invite, token: string): string;
  /** PRECIS UsernameCaseMapped localpart check with the configured max_username_length (see username.ts). */
  checkUsername(input: string): { ok: true; username: string } | { ok: false; reason: string };
}
