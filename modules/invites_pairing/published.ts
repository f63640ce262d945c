// What this server knows of its published codes, by invite id: the directory's entry (to
// withdraw it) and, sealed with a key derived from the invite's token, the directory's code
// and URL (the landing page has the token and shows them; the store alone does not give them).
import { createCipheriv, createDecipheriv, createHash, randomBytes } from "node:crypto";
import type { Store } from "../../core/types.js";

interface Sealed { iv: string; data: string; tag: string }
export interface Published { withdrawUrl: string; sealed: Sealed; expiresAt: number }
export interface Pairing { code: string; url: string }

const keyOf = (token: string) => createHash("sha256").update(`xmpp-invites/pairing\n${token}`).digest();

export function sealPairing(token: string, p: Pairing): Sealed {
  const iv = randomBytes(12);
  const cipher = createCipheriv("aes-256-gcm", keyOf(token), iv);
  const data = Buffer.concat([cipher.update(JSON.stringify(p), "utf8"), cipher.final()]);
  return { iv: iv.toString("base64"), data: data.toString("base64"), tag: cipher.getAuthTag().toString("base64") };
}

export function unsealPairing(token: string, s: Sealed): Pairing | undefined {
  try {
    const d = createDecipheriv("aes-256-gcm", keyOf(token), Buffer.from(s.iv, "base64"));
    d.setAuthTag(Buffer.from(s.tag, "base64"));
    const p = JSON.parse(Buffer.concat([d.update(Buffer.from(s.data, "base64")), d.final()]).toString("utf8")) as Pairing;
    return typeof p.code === "string" && typeof p.url === "string" ? p : undefined;
  } catch {
    return undefined;
  }
}

export type PublishedStore = Store<Published>;
