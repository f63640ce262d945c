// The host's own secret, kept out of the database: derived keys for what must not be
// recoverable from a stolen store (short codes, which are short enough to brute-force
// from a plain hash). It is `secret_key` from the config, or else a random key in
// <data_dir>/secret.key, made 0600 at the first start. Instances sharing one database
// on several machines must be given the same secret_key.
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { hkdfSync, randomBytes } from "node:crypto";
import { join } from "node:path";

const FILE = "secret.key";

/** Reads the key file, or creates it (exclusively, so that two processes starting together agree). */
function fileKey(dataDir: string): Buffer {
  const path = join(dataDir, FILE);
  try {
    const fd = openSync(path, "wx", 0o600);
    try { writeSync(fd, `${randomBytes(32).toString("base64")}\n`); } finally { closeSync(fd); }
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
  }
  const key = Buffer.from(readFileSync(path, "utf8").trim(), "base64");
  if (key.length < 32) throw new Error(`${path}: expected 32 random bytes in base64`);
  return key;
}

export class HostSecret {
  private master: Buffer | undefined;
  constructor(private readonly configured: string | undefined, private readonly dataDir: string) {}

  /** A 32-byte key for one purpose of one module (HKDF-SHA256 over the host secret). */
  derive(owner: string, purpose: string): Buffer {
    this.master ??= this.configured === undefined ? fileKey(this.dataDir) : Buffer.from(this.configured, "utf8");
    return Buffer.from(hkdfSync("sha256", this.master, Buffer.alloc(0), `xmpp-invites/${owner}/${purpose}`, 32));
  }
}
