// The invite link (which carries the token) waits in the queue until it is sent, and stays
// for a resend. The invites module stores only the token's hash, so the link is kept here
// sealed (AES-256-GCM) with a key derived from the host's secret (mod.secretKey), which is
// kept out of the database: a copy of the database alone (a backup, a dump) holds no
// usable token. Every instance sending from the same store needs the same secret_key.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

export class Sealer {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error("a sealing key has 32 bytes");
  }

  seal(text: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const data = Buffer.concat([cipher.update(text, "utf8"), cipher.final()]);
    return [iv, cipher.getAuthTag(), data].map((b) => b.toString("base64url")).join(".");
  }

  /** The text, or undefined when it was sealed with another key (or is damaged). */
  open(sealed: string): string | undefined {
    const [iv, tag, data] = sealed.split(".").map((p) => Buffer.from(p, "base64url"));
    if (!iv || !tag || !data) return undefined;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, iv);
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(data), decipher.final()]).toString("utf8");
    } catch {
      return undefined;
    }
  }
}
