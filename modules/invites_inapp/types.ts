// The public shape of invites_inapp: which hosts' XMPP servers run the server module
// (prosody-module/mod_xmpp_invites.lua), so that apps can use invites in-app there.

/** Asked by pages before they offer an in-app path; invites_inapp sets `available`. */
export interface InAppQuery {
  /** The invite's host. */
  host: string;
  /** True when the XMPP server of `host` has announced the server module on the current link. */
  available: boolean;
}

declare module "../../core/events.js" {
  interface ModuleEvents {
    /** Fired by invites_page for an invite's host: handlers say whether in-app paths work there. */
    "in-app-paths": InAppQuery;
  }
}

/** What the server module announced for one host. */
export interface ServerModule {
  host: string;
  /** Changes when the XMPP server process restarts (in-flight registrations of the old one are settled). */
  boot: string;
  version: string;
  since: number;
}

export interface InvitesInAppApi {
  /** Whether apps can register, reset and accept contact invites in-app on this host right now. */
  available(host: string): boolean;
  /** The hosts whose server module is announced, with what it said. */
  servers(): ServerModule[];
}
