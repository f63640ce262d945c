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

export interface RosterItem {
  jid: string;
  name?: string;
  subscription: Subscription;
  groups: string[];
}

export interface AdminPort {
  readonly connected: boolean;
  /** XEP-0133 add-user. Throws admin.username_taken when the account exists. */
  createAccount(jid: string, password: string): Promise<void>;
  /** XEP-0133 change-user-password. */
  changePassword(jid: string, password: string): Promise<void>;
  /** XEP-0133 delete-user. */
  deleteAccount(jid: string): Promise<void>;
  /** Reliable probe of whether a local account exists (see docs/admin-port.md for how). */
  accountExists(jid: string): Promise<boolean>;
  /** XEP-0356 roster get for a local user. */
  getRoster(userJid: string): Promise<RosterItem[]>;
  /** XEP-0356 roster set of one item for a local user. */
  setRosterItem(userJid: string, item: RosterItem): Promise<void>;
  /** What the server granted on connect (XEP-0356 perms), e.g. { roster: "both", message: "outgoing" }. */
  readonly privileges: Readonly<Record<string, string>>;
}
