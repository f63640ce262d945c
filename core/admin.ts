// The XMPP admin port: what modules may ask of the XMPP server. Implemented over the
// component link in core/xmpp/admin-ops.ts; server-specific behaviour lives there only.
import { defineErrors } from "./errors.js";

export const adminErrors = defineErrors("admin", {
  not_connected: { status: 503, type: "wait", condition: "service-unavailable", message: "The XMPP server is not reachable; try again shortly" },
  timeout: { status: 503, type: "wait", condition: "remote-server-timeout", message: "The XMPP server did not answer in time; try again shortly" },
  username_taken: { status: 409, type: "cancel", condition: "conflict", message: "That username is already taken" },
  no_such_user: { status: 404, type: "cancel", condition: "item-not-found", message: "No such account" },
  privilege_missing: { status: 503, type: "cancel", condition: "forbidden", message: "The XMPP server did not grant the component the privilege this needs (XEP-0356)" },
  refused: { status: 502, type: "cancel", condition: "undefined-condition", message: "The XMPP server refused the request" },
  unsupported: { status: 501, type: "cancel", condition: "feature-not-implemented", message: "The XMPP server does not support this operation" },
});

export type Subscription = "none" | "to" | "from" | "both" | "remove";

/** A local user and the name the other one sees them by. */
export interface ContactSpec { jid: string; name: string }

export interface RosterItem {
  jid: string;
  name?: string;
  subscription: Subscription;
  groups: string[];
}

/** One thing the server can or cannot do for the component, and by which mechanism. */
export interface Capability {
  ok: boolean;
  /** The mechanism used (when ok) or looked for, e.g. "XEP-0133 add-user". */
  via: string;
  /** Why it does not work (when not ok), in plain words. */
  why?: string;
  /** The configuration that would make it work (when not ok). */
  fix?: string;
}

/** What the component learnt about one served host when the link came up. */
export interface HostCapabilities {
  host: string;
  /** XEP-0092 software version, else the server's disco#info identity name. */
  software?: { name: string; version?: string };
  /** XEP-0133 commands the server offers the component, by short name ("add-user", ...). */
  adminCommands: readonly string[];
  /** ejabberd API commands offered as ad-hoc commands (mod_adhoc_api, ejabberd 25.03+). */
  apiCommands: readonly string[];
  /** The XEP-0356 advertisement: its namespace and what was granted. */
  privilege?: { namespace: string; perms: Readonly<Record<string, string>>; iq?: Readonly<Record<string, string>> };
  /** The ejabberd HTTP API (config key ejabberd_api), when configured: whether the component may use it. */
  ejabberdApi?: Capability;
  accounts: Capability;
  passwordChange: Capability;
  /** Whether the component can ask if an account exists; when not, accountExists throws admin.unsupported. */
  accountCheck: Capability;
  /** Whether the component can make two users mutual contacts (and read the rosters back). */
  contacts: Capability;
}

export interface ServerCapabilities {
  /** True once the component has asked the server, on the current connection. */
  readonly known: boolean;
  readonly hosts: Readonly<Record<string, HostCapabilities>>;
}

/** What a user shows of themselves (XEP-0172 nick, XEP-0084 avatar, or vCard-temp). */
export interface Profile {
  nick?: string;
  /** The image as published: its declared type and bytes (at most the size asked for). */
  avatar?: { type: string; data: Buffer };
  /** Where it came from: "PEP", "vCard", "PEP, vCard" or "none". */
  via: string;
}

export interface AdminPort {
  readonly connected: boolean;
  /** What the server can do for the component, learnt each time the link comes up (read-only). */
  readonly capabilities: ServerCapabilities;
  /** XEP-0133 add-user. Throws admin.username_taken when the account exists. */
  createAccount(jid: string, password: string): Promise<void>;
  /** XEP-0133 change-user-password. */
  changePassword(jid: string, password: string): Promise<void>;
  /** XEP-0133 delete-user. */
  deleteAccount(jid: string): Promise<void>;
  /**
   * XEP-0133 §4.3 disable-user: the account stays but cannot log in (ejabberd 25.10+). Throws
   * admin.unsupported where the server does not offer it (see adminCommands in the capabilities).
   */
  disableAccount(jid: string): Promise<void>;
  /** XEP-0133 §4.4 reenable-user: undoes disableAccount. admin.unsupported where not offered. */
  enableAccount(jid: string): Promise<void>;
  /** XEP-0133 §4.5 end-user-session: closes every session of the account (its clients are disconnected). */
  endSessions(jid: string): Promise<void>;
  /**
   * Whether a local account exists, by the best mechanism the server offers (see
   * docs/admin-port.md). Throws admin.unsupported when this server cannot tell.
   */
  accountExists(jid: string): Promise<boolean>;
  /**
   * Makes `a` and `b` mutual contacts (subscription both on both rosters) with the server's
   * working contact backend, then reads both rosters back. Throws admin.unsupported when no
   * backend works here, admin.refused when the rosters do not show "both" afterwards.
   */
  makeMutualContacts(a: ContactSpec, b: ContactSpec): Promise<{ via: string }>;
  /** XEP-0356 roster get for a local user. */
  getRoster(userJid: string): Promise<RosterItem[]>;
  /** XEP-0356 roster set of one item for a local user. */
  setRosterItem(userJid: string, item: RosterItem): Promise<void>;
  /**
   * A local user's nickname and avatar, as far as the server lets the component read them
   * (docs/admin-port.md): a user without either, or one who hides them, is { via: "none" }.
   */
  getProfile(jid: string, opts: { maxAvatarBytes: number }): Promise<Profile>;
  /** What the server granted on connect (XEP-0356 perms), e.g. { roster: "both", message: "outgoing" }. */
  readonly privileges: Readonly<Record<string, string>>;
}
