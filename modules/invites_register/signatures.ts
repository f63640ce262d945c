// Signatures: one row per agreement an account accepted when it was created (account,
// agreement id and version, language shown, time, the invite and the way it registered),
// in the table agreement_signatures. Listing is newest first in pages, by host or by account,
// on an index: never a scan of the whole table.
import { randomBytes } from "node:crypto";
import type { Kysely, Migration } from "../../core/types.js";
import { errors } from "./errors.js";
import type { SignatureInfo } from "./types.js";

export interface SignatureRow {
  id: string;
  jid: string;
  host: string;
  agreement: string;
  version: string;
  lang: string;
  signed_at: number;
  invite_id: string;
  source: string;
}

export interface SignatureTables { agreement_signatures: SignatureRow }

export type Signature = SignatureInfo;

export interface SignatureFilter { host: string; jid?: string; limit?: number; cursor?: string }
export interface SignaturePage { signatures: Signature[]; cursor: string | undefined }

export const MAX_LIMIT = 500;

export const migrations: Migration[] = [
  {
    name: "0001_create_agreement_signatures",
    async up(db) {
      await db.schema.createTable("agreement_signatures")
        .addColumn("id", "text", (c) => c.primaryKey())
        .addColumn("jid", "text", (c) => c.notNull())
        .addColumn("host", "text", (c) => c.notNull())
        .addColumn("agreement", "text", (c) => c.notNull())
        .addColumn("version", "text", (c) => c.notNull())
        .addColumn("lang", "text", (c) => c.notNull())
        .addColumn("signed_at", "bigint", (c) => c.notNull())
        .addColumn("invite_id", "text", (c) => c.notNull())
        .addColumn("source", "text", (c) => c.notNull())
        .addUniqueConstraint("agreement_signatures_once", ["jid", "agreement", "version"])
        .execute();
      await db.schema.createIndex("agreement_signatures_host").on("agreement_signatures").columns(["host", "signed_at", "id"]).execute();
      await db.schema.createIndex("agreement_signatures_jid").on("agreement_signatures").columns(["jid", "signed_at", "id"]).execute();
    },
  },
];

const toSignature = (r: SignatureRow): Signature => ({
  jid: r.jid, host: r.host, agreement: r.agreement, version: r.version, lang: r.lang, signedAt: Number(r.signed_at), inviteId: r.invite_id, source: r.source,
});

function parseCursor(text: string): { at: number; id: string } {
  const m = /^(\d{1,16})\.([A-Za-z0-9_-]{1,32})$/.exec(text);
  if (!m || !Number.isSafeInteger(Number(m[1]))) throw errors.bad_request(`Bad cursor ${JSON.stringify(text)}: pass back the cursor a previous page returned`, { field: "cursor" });
  return { at: Number(m[1]), id: m[2]! };
}

export class Signatures {
  constructor(private readonly db: Kysely<SignatureTables>) {}

  /** Records what `jid` accepted; accepting the same version again changes nothing. */
  async record(rows: Omit<Signature, "host">[]): Promise<void> {
    if (rows.length === 0) return;
    await this.db.insertInto("agreement_signatures").values(rows.map((s) => ({
      id: randomBytes(12).toString("base64url"), jid: s.jid.toLowerCase(), host: s.jid.slice(s.jid.lastIndexOf("@") + 1).toLowerCase(),
      agreement: s.agreement, version: s.version, lang: s.lang, signed_at: s.signedAt, invite_id: s.inviteId, source: s.source,
    }))).onConflict((oc) => oc.columns(["jid", "agreement", "version"]).doNothing()).execute();
  }

  async list(f: SignatureFilter): Promise<SignaturePage> {
    const limit = f.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIMIT) throw errors.bad_request(`limit must be a whole number from 1 to ${MAX_LIMIT}, got ${String(f.limit)}`, { field: "limit" });
    let q = this.db.selectFrom("agreement_signatures").selectAll();
    q = f.jid !== undefined ? q.where("jid", "=", f.jid.toLowerCase()).where("host", "=", f.host) : q.where("host", "=", f.host);
    if (f.cursor !== undefined) {
      const c = parseCursor(f.cursor);
      q = q.where((eb) => eb.or([eb("signed_at", "<", c.at), eb.and([eb("signed_at", "=", c.at), eb("id", "<", c.id)])]));
    }
    const rows = await q.orderBy("signed_at", "desc").orderBy("id", "desc").limit(limit + 1).execute();
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return { signatures: page.map(toSignature), cursor: rows.length > limit && last ? `${Number(last.signed_at)}.${last.id}` : undefined };
  }
}
