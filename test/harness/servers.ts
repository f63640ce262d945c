// One interface over the real XMPP servers the tests run against, so that a test loops over
// SERVER_KINDS and gets the same shape for Prosody and for ejabberd.
import { access } from "node:fs/promises";
import { join } from "node:path";
import { startEjabberd } from "./ejabberd.js";
import { startProsody, type ProsodyOptions, type TestProsody } from "./prosody.js";

export type ServerKind = "prosody" | "ejabberd";
export const SERVER_KINDS: readonly ServerKind[] = ["prosody", "ejabberd"];

/** The Debian versions the tests run (bookworm), for test titles and docs. */
export const SERVER_NAMES: Record<ServerKind, string> = { prosody: "Prosody 0.12", ejabberd: "ejabberd 23.01" };

export interface ServerOptions {
  /** Grant the component XEP-0356 roster and message privileges (default true). */
  privilege?: boolean;
  /** ejabberd: give the product the mod_http_api URL and credentials (default true). */
  contactsApi?: boolean;
  /** Load this repository's server module (Prosody: mod_xmpp_invites.lua; ejabberd: mod_xmpp_invites.erl, compiled). */
  serverModule?: boolean;
  /** Prosody only: raw config additions (see ProsodyOptions). */
  prosody?: Omit<ProsodyOptions, "privilege">;
}

export interface TestXmppServer {
  readonly kind: ServerKind;
  /** e.g. "ejabberd 23.01". */
  readonly name: string;
  readonly domain: "localhost";
  readonly componentJid: "invites.localhost";
  readonly componentSecret: string;
  readonly adminJid: "admin@localhost";
  readonly c2sPort: number;
  readonly componentPort: number;
  /** "127.0.0.1:<componentPort>", the form component.server takes. */
  readonly componentServer: string;
  readonly logPath: string;
  /** Core config keys the product needs for this server (ejabberd: ejabberd_api), to merge into its config. */
  readonly productConfig: Record<string, unknown>;
  start(): Promise<void>;
  stop(): Promise<void>;
  restart(): Promise<void>;
  registerUser(user: string, password: string): Promise<void>;
  /** Which of these bare JIDs exist as accounts, asked of the server itself, not through the product. */
  existing(jids: string[]): Promise<Set<string>>;
  /** Stops the server and removes its directory. */
  destroy(): Promise<void>;
}

/** Prosody's file store names a file by the escaped node (util.datamanager: %xx for non-alphanumerics). */
const escapeNode = (s: string) => s.replace(/[^A-Za-z0-9]/g, (c) => [...Buffer.from(c, "utf8")].map((b) => `%${b.toString(16).padStart(2, "0")}`).join(""));

export async function startServer(kind: ServerKind, opts: ServerOptions = {}): Promise<TestXmppServer> {
  if (kind === "ejabberd") {
    const e = await startEjabberd({ privilege: opts.privilege ?? true, contactsApi: opts.contactsApi ?? true, serverModule: opts.serverModule ?? false });
    return { ...e, kind, name: SERVER_NAMES.ejabberd };
  }
  return startProsodyServer(opts);
}

/** Prosody with everything TestProsody has (its data dir, config path, HTTP port) besides the common shape. */
export async function startProsodyServer(opts: ServerOptions = {}): Promise<TestProsody & TestXmppServer> {
  const p = await startProsody({ ...opts.prosody, privilege: opts.privilege ?? true, ...(opts.serverModule ? { serverModule: true } : {}) });
  return {
    ...p, kind: "prosody", name: SERVER_NAMES.prosody, productConfig: {},
    async existing(jids) {
      const found = new Set<string>();
      await Promise.all(jids.map(async (jid) => {
        const [local, host] = jid.split("@");
        // internal_hashed accounts live in <data>/<host>/accounts/<user>.dat.
        const file = join(p.dataDir, escapeNode(host!), "accounts", `${escapeNode(local!)}.dat`);
        if (await access(file).then(() => true, () => false)) found.add(jid);
      }));
      return found;
    },
  };
}
