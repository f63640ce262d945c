// Where invites live: the records (id -> invite), the token index (sha256 -> id), short
// codes (SHA-256 of the code -> id) and the index pages. Every read goes to the store (no cache), so a
// ctl change is seen by the running server on its next request.
import type { ModuleContext, Store } from "../../core/types.js";
import { errors } from "./errors.js";
import { newCode } from "./codes.js";
import { hashToken } from "./tokens.js";
import { IndexPages, indexName, type IndexHead, type Page } from "./pages.js";
import type { Invite } from "./types.js";

/** The stored form: the invite plus the index slots it occupies (internal, never returned). */
export type StoredInvite = Invite & { slots?: Record<string, number> };
export interface CodeRecord { id: string; expiresAt: number }

export interface Stores {
  records: Store<StoredInvite>;
  tokens: Store<string>;
  codes: Store<CodeRecord>;
  pages: Store<Page>;
  heads: Store<IndexHead>;
}

export function openStores(mod: Pick<ModuleContext, "openStore">): Stores {
  return {
    records: mod.openStore<StoredInvite>("invite"),
    tokens: mod.openStore<string>("invite_token"),
    codes: mod.openStore<CodeRecord>("invite_code"),
    pages: mod.openStore<Page>("invite_index"),
    heads: mod.openStore<IndexHead>("invite_index_head"),
  };
}

export function toPublic(stored: StoredInvite): Invite;
export function toPublic(stored: StoredInvite | undefined): Invite | undefined;
export function toPublic(stored: StoredInvite | undefined): Invite | undefined {
  if (!stored) return undefined;
  const { slots: _slots, ...invite } = stored;
  return invite;
}

/** The indexes an invite is listed in. */
export function indexesOf(invite: Invite): string[] {
  const out = [indexName("all"), indexName("host", invite.host)];
  if (invite.inviter) out.push(indexName("inviter", invite.inviter));
  return out;
}

export class InviteRepo {
  readonly index: IndexPages;
  constructor(readonly stores: Stores) {
    this.index = new IndexPages(stores.pages, stores.heads);
  }

  async byId(id: string): Promise<Invite | undefined> {
    return toPublic(await this.stores.records.get(id));
  }

  async byIds(ids: string[]): Promise<(Invite | undefined)[]> {
    if (ids.length === 0) return [];
    return (await this.stores.records.getMany(ids)).map((s) => toPublic(s));
  }

  /** Looks the token up by its hash; the record must carry the same hash. */
  async byToken(token: string): Promise<Invite | undefined> {
    const hash = hashToken(token);
    const id = await this.stores.tokens.get(hash);
    if (id === undefined) return undefined;
    const invite = await this.byId(id);
    return invite && invite.tokenHash === hash ? invite : undefined;
  }

  /**
   * Indexes first, then the record and its token: a half-done insert is invisible (an index
   * entry without a record is skipped by list and sweep; a token without its record is
   * "invalid").
   */
  async insert(invite: Invite): Promise<void> {
    const indexes = indexesOf(invite);
    const taken = await Promise.all(indexes.map((index) => this.index.append(index, invite.id)));
    const slots = Object.fromEntries(indexes.map((index, i) => [index, taken[i]!]));
    // Issued together, the two writes land in the same group commit on SQLite.
    await Promise.all([
      this.stores.records.set(invite.id, { ...invite, slots }),
      this.stores.tokens.set(invite.tokenHash, invite.id),
    ]);
  }

  /**
   * Atomic read-modify-write of one invite through Store.update. `fn` may throw (e.g. a
   * ModuleError for a validation reason); nothing is written then and the error is rethrown.
   */
  async change(id: string, fn: (current: Invite) => Invite): Promise<Invite> {
    let failure: unknown;
    let found = false;
    const out = await this.stores.records.update(id, (cur) => {
      if (!cur) return undefined;
      found = true;
      try {
        return { ...fn(toPublic(cur)), slots: cur.slots ?? {} };
      } catch (e) {
        failure = e;
        return cur;
      }
    });
    if (failure !== undefined) throw failure;
    if (!found || !out) throw errors.not_found(undefined, { id });
    return toPublic(out);
  }

  async remove(id: string): Promise<boolean> {
    const stored = await this.stores.records.get(id);
    if (!stored) return false;
    // The token goes first: from then on the invite cannot be used, whatever fails next.
    await this.stores.tokens.delete(stored.tokenHash);
    if (stored.shortCodeHash) {
      const code = await this.stores.codes.get(stored.shortCodeHash);
      if (code?.id === id) await this.stores.codes.delete(stored.shortCodeHash);
    }
    await this.stores.records.delete(id);
    for (const [index, slot] of Object.entries(stored.slots ?? {})) await this.index.clear(index, slot, id);
    return true;
  }

  /** Claims a code not held by another live invite (atomic per code), retrying on collision. */
  async claimCode(id: string, length: number, expiresAt: number, now = Date.now()): Promise<string> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const code = newCode(length);
      // Keyed by the code's hash: whoever reads the store learns no usable code.
      const key = hashToken(code);
      const held = await this.stores.codes.update(key, (cur) => (cur && cur.expiresAt > now && cur.id !== id ? cur : { id, expiresAt }));
      if (held?.id === id) {
        // Written again with a TTL so that stores which expire keys clean it up themselves.
        await this.stores.codes.set(key, { id, expiresAt }, Math.max(1, expiresAt - now));
        return code;
      }
    }
    throw errors.code_space_full();
  }

  /** By the code's hash. */
  code(hash: string): Promise<CodeRecord | undefined> {
    return this.stores.codes.get(hash);
  }
}
