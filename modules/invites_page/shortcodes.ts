// Short code -> invite token. The invites module keeps only a hash of the token, so the
// landing page behind /i/CODE needs the token from somewhere: it is kept here, encrypted
// with a key derived from the code, under a key that is another keyed hash of the code. Both
// are HMACs keyed by the host's secret, which is not in the store (mod.secretKey): a code is
// short enough to try them all, but without the key the store alone holds neither codes
// nor tokens.
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from "node:crypto";
import type { Store } from "../../core/types.js";

interface Sealed { iv: string; data: string; tag: string }

export class ShortCodes {
  constructor(private readonly store: Store<Sealed>, private readonly key: Buffer) {}

  private digest(label: string, code: string): Buffer {
    return createHmac("sha256", this.key).update(`${label}\n${code}`).digest();
  }

  async put(code: string, token: string, expiresAt: number, now = Date.now()): Promise<void> {
    const ttl = expiresAt - now;
    if (ttl <= 0) return;
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.digest("key", code), iv);
    const data = Buffer.concat([cipher.update(token, "utf8"), cipher.final()]);
    await this.store.set(this.digest("id", code).toString("hex"), { iv: iv.toString("base64"), data: data.toString("base64"), tag: cipher.getAuthTag().toString("base64") }, ttl);
  }

  /** The token behind a code, or undefined when this module never saw the code. */
  async token(code: string): Promise<string | undefined> {
    const sealed = await this.store.get(this.digest("id", code).toString("hex"));
    if (!sealed) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.digest("key", code), Buffer.from(sealed.iv, "base64"));
      decipher.setAuthTag(Buffer.from(sealed.tag, "base64"));
      return Buffer.concat([decipher.update(Buffer.from(sealed.data, "base64")), decipher.final()]).toString("utf8");
    } catch {
      return undefined;
    }
  }
}
