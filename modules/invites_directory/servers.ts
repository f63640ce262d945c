// The directory's allow-list: the servers that may publish codes here, each with a key
// "ID/SECRET" (shown once by `invitectl mod_invites_directory add`) of which only SHA-256 of
// the secret is stored, and the origin its codes may lead to.
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Store } from "../../core/types.js";
import { randomText } from "../invites/index.js";

export interface RegisteredServer { id: string; name: string; origin: string; secretHash: string; createdAt: number }

const hash = (secret: string) => createHash("sha256").update(secret, "utf8").digest();
const DUMMY = Buffer.alloc(32);

/** An origin a code may lead to: https, or http to a loopback address only. */
export function checkOrigin(text: string): { ok: true; origin: string } | { ok: false; why: string } {
  let url: URL;
  try { url = new URL(text); } catch { return { ok: false, why: `not a URL: ${JSON.stringify(text)}` }; }
  if (url.protocol !== "https:" && url.protocol !== "http:") return { ok: false, why: "expected an https:// origin" };
  if (url.protocol === "http:" && !/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)) return { ok: false, why: `plain http only to a loopback address, got ${url.hostname}; use https` };
  return { ok: true, origin: url.origin };
}

export class Servers {
  constructor(private readonly records: Store<RegisteredServer>, private readonly index: Store<string[]>) {}

  async add(name: string, origin: string, now: number): Promise<{ server: RegisteredServer; key: string }> {
    const id = randomText(9);
    const secret = randomBytes(32).toString("base64url");
    const server: RegisteredServer = { id, name, origin, secretHash: hash(secret).toString("hex"), createdAt: now };
    await this.records.set(id, server);
    await this.index.update("all", (ids) => [...(ids ?? []), id]);
    return { server, key: `${id}/${secret}` };
  }

  async remove(id: string): Promise<boolean> {
    await this.index.update("all", (ids) => (ids ?? []).filter((x) => x !== id));
    return this.records.delete(id);
  }

  /** The registered servers (a short list: the directory's own allow-list). */
  async list(): Promise<RegisteredServer[]> {
    const ids = (await this.index.get("all")) ?? [];
    return (await this.records.getMany(ids)).filter((s): s is RegisteredServer => s !== undefined);
  }

  /** The server a presented "ID/SECRET" belongs to, compared in constant time; undefined otherwise. */
  async authenticate(presented: string): Promise<RegisteredServer | undefined> {
    const m = /^([A-Za-z0-9_-]{12})\/([A-Za-z0-9_-]{43})$/.exec(presented);
    const server = m ? await this.records.get(m[1]!) : undefined;
    const stored = server && /^[0-9a-f]{64}$/.test(server.secretHash) ? Buffer.from(server.secretHash, "hex") : DUMMY;
    const ok = timingSafeEqual(hash(m?.[2] ?? ""), stored);
    return ok && server ? server : undefined;
  }
}
