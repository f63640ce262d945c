// Append-only index pages, so listing and sweeping never scan the store.
// An index ("all", "host:<host>", "inviter:<jid>") is a head record { next, tail } and
// pages "<index>:<n>" of at most PAGE_SIZE ids. Slot s lives at page floor(s / PAGE_SIZE),
// position s % PAGE_SIZE; a deleted invite leaves null in its slot, so positions (and the
// cursors that name them) never shift. A page whose slots are all null is deleted and the
// tail moves past it. See README.md for why this stays correct with several writers.
import { createHash } from "node:crypto";
import type { Store } from "../../core/types.js";

export const PAGE_SIZE = 256;

export type Page = (string | null)[];
export interface IndexHead {
  /** Next slot number to hand out. */
  next: number;
  /** Lowest page that may still exist. */
  tail: number;
}

/** Index names are part of store keys; very long JIDs are hashed to keep keys short. */
export function indexName(kind: "all" | "host" | "inviter", value?: string): string {
  if (kind === "all") return "all";
  const v = value!.toLowerCase();
  return `${kind}:${v.length > 200 ? "sha256-" + createHash("sha256").update(v).digest("hex") : v}`;
}

export const pageOf = (slot: number) => Math.floor(slot / PAGE_SIZE);

interface Waiter { id: string; resolve(slot: number): void; reject(e: unknown): void }

export class IndexPages {
  constructor(private readonly pages: Store<Page>, private readonly heads: Store<IndexHead>) {}

  async head(index: string): Promise<IndexHead> {
    return (await this.heads.get(index)) ?? { next: 0, tail: 0 };
  }

  readPage(index: string, page: number): Promise<Page | undefined> {
    return this.pages.get(`${index}:${page}`);
  }

  readPages(index: string, pages: number[]): Promise<(Page | undefined)[]> {
    return this.pages.getMany(pages.map((p) => `${index}:${p}`));
  }

  /**
   * Takes the next slot (an atomic counter) and writes the id into it. Appends to one index
   * are group-committed: while one batch is being written, new ids queue, and the next batch
   * takes them all with one counter update and one write per page. Under load this turns
   * N serialized read-modify-writes of the same hot keys into a few.
   */
  append(index: string, id: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      let batch = this.queued.get(index);
      if (!batch) { batch = []; this.queued.set(index, batch); }
      batch.push({ id, resolve, reject });
      if (!this.flushing.has(index)) void this.flush(index);
    });
  }

  private readonly queued = new Map<string, Waiter[]>();
  private readonly flushing = new Set<string>();

  private async flush(index: string): Promise<void> {
    this.flushing.add(index);
    try {
      for (let batch = this.take(index); batch.length; batch = this.take(index)) {
        try {
          const head = await this.heads.update(index, (h) => ({ next: (h?.next ?? 0) + batch.length, tail: h?.tail ?? 0 }));
          const first = head!.next - batch.length;
          const byPage = new Map<number, { pos: number; id: string }[]>();
          batch.forEach((w, i) => {
            const slot = first + i;
            const list = byPage.get(pageOf(slot)) ?? [];
            list.push({ pos: slot % PAGE_SIZE, id: w.id });
            byPage.set(pageOf(slot), list);
          });
          await Promise.all([...byPage].map(([page, items]) => this.pages.update(`${index}:${page}`, (cur) => {
            const next = cur ? [...cur] : [];
            for (const { pos, id } of items) {
              while (next.length < pos) next.push(null);
              next[pos] = id;
            }
            return next;
          })));
          batch.forEach((w, i) => w.resolve(first + i));
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.flushing.delete(index);
    }
  }

  private take(index: string): Waiter[] {
    const batch = this.queued.get(index) ?? [];
    this.queued.delete(index);
    return batch;
  }

  /** Empties one slot; deletes the page when nothing is left in it. */
  async clear(index: string, slot: number, id: string): Promise<void> {
    const page = pageOf(slot);
    let emptied = false;
    await this.pages.update(`${index}:${page}`, (cur) => {
      if (!cur || cur[slot % PAGE_SIZE] !== id) return cur;
      const next = [...cur];
      next[slot % PAGE_SIZE] = null;
      // Only a full page can be dropped: a partial one is still receiving appends.
      emptied = next.length === PAGE_SIZE && next.every((x) => x === null);
      return emptied ? undefined : next;
    });
    if (emptied) await this.advanceTail(index);
  }

  /**
   * Moves the tail past deleted pages. Never past the page before the newest one, so a
   * slot handed out but not yet written (a concurrent append) cannot be skipped.
   */
  private async advanceTail(index: string): Promise<void> {
    await this.heads.update(index, async (h) => {
      if (!h) return h;
      const limit = Math.max(0, pageOf(Math.max(0, h.next - 1)) - 1);
      let tail = h.tail;
      for (let steps = 0; tail < limit && steps < 64; steps++) {
        if (await this.readPage(index, tail)) break;
        tail++;
      }
      return tail === h.tail ? h : { ...h, tail };
    });
  }
}
