// Append-only index pages, so listing and sweeping never scan the store.
// An index ("all", "host:<host>", "inviter:<jid>") is a head record { next, tail } and
// pages "<index>:<n>" of at most PAGE_SIZE ids. Slot s lives at page floor(s / PAGE_SIZE),
// position s % PAGE_SIZE; a deleted invite leaves null in its slot, so positions (and the
// cursors that name them) never shift. Appends go to the open page, floor(next / PAGE_SIZE):
// an id's slot is its position in that page, so one compare-and-set of the page both takes
// the slot and writes the id; the head moves only when the open page is full. A page whose
// slots are all null is deleted (never the open one) and the tail moves past it. See
// README.md for why this stays correct with several writers.
import { createHash } from "node:crypto";
import type { Store } from "../../core/types.js";

export const PAGE_SIZE = 256;

export type Page = (string | null)[];
export interface IndexHead {
  /** Slots below this are all handed out; appends go to page floor(next / PAGE_SIZE). */
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
/** The page appends go to (it may not exist yet). Older files hold the exact slot count. */
export const openPage = (head: IndexHead) => pageOf(head.next);

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
   * Writes the id into the next free slot of the index. Appends to one index are
   * group-committed: while one batch is being written, new ids queue, and the next batch
   * writes them all with one compare-and-set of the open page. Under load this turns N
   * serialized read-modify-writes of the same hot keys into a few.
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
  /** Where this process last appended to each index: a hint, checked against the page itself. */
  private readonly lastPage = new Map<string, number>();

  private async flush(index: string): Promise<void> {
    this.flushing.add(index);
    try {
      for (let batch = this.take(index); batch.length; batch = this.take(index)) {
        try {
          const slots = await this.place(index, batch.map((w) => w.id));
          batch.forEach((w, i) => w.resolve(slots[i]!));
        } catch (e) {
          for (const w of batch) w.reject(e);
        }
      }
    } finally {
      this.flushing.delete(index);
    }
  }

  /** Appends ids at the end of the open page, moving the head on when that page is full. */
  private async place(index: string, ids: string[]): Promise<number[]> {
    const slots: number[] = [];
    let page = this.lastPage.get(index) ?? openPage(await this.head(index));
    let rest = ids;
    while (rest.length) {
      const p = page;
      let first = 0, taken = 0;
      await this.pages.update(`${index}:${p}`, async (cur) => {
        taken = 0;
        // A missing page is new, or one that filled and was emptied: only a page the head
        // still names as open may be (re)created, so no slot is ever handed out twice.
        if (!cur && openPage(await this.head(index)) > p) return undefined;
        const ids = cur ?? [];
        if (ids.length >= PAGE_SIZE) return cur;
        first = p * PAGE_SIZE + ids.length;
        const add = rest.slice(0, PAGE_SIZE - ids.length);
        taken = add.length;
        return [...ids, ...add];
      });
      for (let i = 0; i < taken; i++) slots.push(first + i);
      rest = rest.slice(taken);
      if (rest.length) page = await this.nextOpen(index, p);
    }
    this.lastPage.set(index, page);
    return slots;
  }

  /** Page `full` is full: moves the head to the page after it (or further, if already there). */
  private async nextOpen(index: string, full: number): Promise<number> {
    const head = await this.heads.update(index, (h) => {
      const next = Math.max(h?.next ?? 0, (full + 1) * PAGE_SIZE);
      return h && h.next === next ? h : { next, tail: h?.tail ?? 0 };
    });
    return openPage(head!);
  }

  private take(index: string): Waiter[] {
    const batch = this.queued.get(index) ?? [];
    this.queued.delete(index);
    return batch;
  }

  /** Empties one slot; deletes the page when nothing is left in it. */
  async clear(index: string, slot: number, id: string): Promise<void> {
    const page = pageOf(slot);
    // The head only moves forward, so a page below the open one read now stays below it.
    const open = openPage(await this.head(index));
    let emptied = false;
    await this.pages.update(`${index}:${page}`, (cur) => {
      if (!cur || cur[slot % PAGE_SIZE] !== id) return cur;
      const next = [...cur];
      next[slot % PAGE_SIZE] = null;
      // Only a full page below the open one can be dropped: appends never go back to it.
      emptied = page < open && next.length === PAGE_SIZE && next.every((x) => x === null);
      return emptied ? undefined : next;
    });
    if (emptied) await this.advanceTail(index);
  }

  /** Moves the tail past deleted pages; never past the page before the open one. */
  private async advanceTail(index: string): Promise<void> {
    await this.heads.update(index, async (h) => {
      if (!h) return h;
      const limit = Math.max(0, openPage(h) - 1);
      let tail = h.tail;
      for (let steps = 0; tail < limit && steps < 64; steps++) {
        if (await this.readPage(index, tail)) break;
        tail++;
      }
      return tail === h.tail ? h : { ...h, tail };
    });
  }
}
