// Short code -> invite token. The invites module keeps only a hash of the token, so the
// landing page behind /i/CODE needs the token from somewhere: it is kept here, encrypted
// with a key derived from the code, under a key that is a hash of the code. The store
// alone then holds neither codes nor tokens (a code is short, so this slows an attacker
// with the database down rather than stops one; the code expires quickly anyway).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { Store } from "../../core/types.js";

interface Sealed { iv: string; data: string; tag: string }

const digest = (label: string, code: string) => createHash("sha256").update(`xmpp-invites/short-code/${label}\n${code}`).digest();

export class ShortCodes {
  constructor(private readonly store: Store<Sealed>) {}

  async put(code: string, token: string, expiresAt: number, now = Date.now()): Promise<void> {
    const ttl = expiresAt - now;
    if (ttl <= 0) return;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", digest("key", code), iv);
    const data = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
    await this.store.set(digest("id", code).toString("hex"), { iv: iv.toString("base64"), data: data.toString("base64"), tag: cipher.getAuthTag().toString("base64") }, ttl);
  }

  /** The token behind a code, or undefined when this module never saw the code. */
  async token(code: string): Promise<string | undefined> {
    const sealed = await this.store.get(digest("id", code).toString("hex"));
    if (!sealed) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", digest("key", code), Buffer.from(sealed.iv, "base64"));
      decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]).toString("utf8");
    } catch {
      return undefined;
    }
  }
}
