// The invite link (which carries the token) waits in the queue until it is sent, and stays
// for a resend. The invites module stores only the token's hash, so the link is kept here
// sealed (AES-256-GCM) with a key that lives in a file of its own, not in the store: a copy
// of the database alone (a backup, a dump) holds no usable token. Every process sending
// from the same store needs the same key file (the default is in data_dir).
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";

export class Sealer {
  private constructor(private readonly key: Buffer, readonly file: string) {}

  /** Reads the key file, or creates it (0600) when it does not exist yet. */
  static open(file: string): Sealer {
    try {
      writeFileSync(file, `${randomBytes(32).toString("base64")}\n`, { mode: 0o600, flag: "wx" });
    } catch (e) {
      // Another process (or an earlier start) made it: use that one.
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
    }
    const key = Buffer.from(readFileSync(file, "utf8").trim(), "base64");
    if (key.length !== 32) throw new Error(`${file} does not hold a 32-byte key in base64`);
    return new Sealer(key, file);
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
