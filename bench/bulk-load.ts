// Bulk-loads account invites straight into the SQLite table the store uses, for the
// "after 1M stored invites" figures. Rows are written exactly as keyv writes them (key
// "keyv:<namespace>:<key>", value {"value": ...}), with the records, the token index and
// full index pages built the same way modules/invites builds them, 50,000 rows per
// transaction. Loading through the module API instead would cost one transaction per write.
// The file must exist already (open a host on it once so the table exists).
import Database from "better-sqlite3";
import { buildInvite } from "../modules/invites/create.js";
import { PAGE_SIZE, indexName } from "../modules/invites/pages.js";

/** Writes `count` account invites for `host`; returns the tokens of every 500th. */
export function bulkLoad(file: string, host: string, count: number): string[] {
  const db = new Database(file);
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = OFF");
  const insert = db.prepare("INSERT INTO keyv (key, value) VALUES (?, ?)");
  const put = (ns: string, key: string, value: unknown) => insert.run(`keyv:invites.${ns}:${key}`, JSON.stringify({ value }));
  const settings = { hosts: [host], maxExpiryMs: 31_536_000_000, maxResetExpiryMs: 604_800_000, expiryMs: 7 * 86_400_000, resetExpiryMs: 86_400_000, maxUsernameLength: 64 };
  const all = indexName("all"), byHost = indexName("host", host);
  const sample: string[] = [];
  const now = Date.now();
  let page: string[] = [];
  const batch = db.transaction((from: number, to: number) => {
    for (let slot = from; slot < to; slot++) {
      const { invite, token } = buildInvite("account", { host, source: "bench" }, settings, now);
      if (slot % 500 === 0) sample.push(token);
      put("invite", invite.id, { ...invite, slots: { [all]: slot, [byHost]: slot } });
      put("invite_token", invite.tokenHash, invite.id);
      page.push(invite.id);
      if (page.length === PAGE_SIZE || slot === count - 1) {
        const n = Math.floor(slot / PAGE_SIZE);
        put("invite_index", `${all}:${n}`, page);
        put("invite_index", `${byHost}:${n}`, page);
        page = [];
      }
    }
  });
  for (let from = 0; from < count; from += 25_000) batch(from, Math.min(count, from + 25_000));
  db.transaction(() => { for (const index of [all, byHost]) put("invite_index_head", index, { next: count, tail: 0 }); })();
  db.close();
  return sample;
}
