// Published codes. A record is keyed by SHA-256 of the code and holds the redirect URL
// sealed with a key derived from the code (it leads to the publishing server's own short
// code), so the store alone gives neither codes nor where they lead. An entry id (not
// secret, useless without the server's key) lets the publishing server withdraw it.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { Store } from "../../core/types.js";
import { CODE_ALPHABET, randomText } from "../invites/index.js";

interface Sealed { iv: string; data: string; tag: string }
export interface CodeRecord { server: string; entry: string; sealed: Sealed; expiresAt: number }
export interface EntryRecord { server: string; codeHash: string; expiresAt: number }

const digest = (label: string, code: string) => createHash("sha256").update(`xmpp-invites/directory/${label}\n${code}`).digest();

export function newDirectoryCode(length: number): string {
  let code = "";
  for (const b of randomBytes(length)) code += CODE_ALPHABET[b & 31];
  return code;
}

function seal(code: string, text: string): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", digest("key", code), iv);
  const data = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
  return { iv: iv.toString("base64"), data: data.toString("base64"), tag: cipher.getAuthTag().toString("base64") };
}

function unseal(code: string, s: Sealed): string | undefined {
  try {
    const d = createDecipheriv("aes-256-gcm", digest("key", code), Buffer.from(s.iv, "base64"));
    d.setAuthTag(Buffer.from(s.tag, "base64"));
    return Buffer.concat([d.update(Buffer.from(s.data, "base64")), d.final()]).toString("utf8");
  } catch {
    return undefined;
  }
}

export class DirectoryCodes {
  constructor(private readonly codes: Store<CodeRecord>, private readonly entries: Store<EntryRecord>, private readonly length: number) {}

  /** A fresh code for `url` until `expiresAt`; a collision with a live code draws again. */
  async publish(server: string, url: string, expiresAt: number, now: number): Promise<{ code: string; entry: string }> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const code = newDirectoryCode(this.length);
      const key = digest("id", code).toString("hex");
      const entry = randomText(12);
      const mine: CodeRecord = { server, entry, sealed: seal(code, url), expiresAt };
      const held = await this.codes.update(key, (cur) => (cur && cur.expiresAt > now ? cur : mine));
      if (held?.entry !== entry) continue;
      // Written again with a time to live, so that the store forgets it by itself.
      await this.codes.set(key, mine, expiresAt - now);
      await this.entries.set(entry, { server, codeHash: key, expiresAt }, expiresAt - now);
      return { code, entry };
    }
    throw new Error("no free directory code after 20 draws");
  }

  /** Where a live code leads, or undefined. */
  async resolve(code: string, now: number): Promise<string | undefined> {
    const rec = await this.codes.get(digest("id", code).toString("hex"));
    if (!rec || rec.expiresAt <= now) return undefined;
    return unseal(code, rec.sealed);
  }

  /** Withdraws an entry of `server`; false when there is none (or it is another server's). */
  async withdraw(server: string, entry: string): Promise<boolean> {
    const e = await this.entries.get(entry);
    if (!e || e.server !== server) return false;
    await this.codes.delete(e.codeHash);
    await this.entries.delete(entry);
    return true;
  }
}
