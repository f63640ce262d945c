// Where the invite tree lives: per account, who invited it (InvitedBy); per inviter, the
// accounts they invited in append-only pages of 256 (a head counter and the pages, so an
// inviter with many invitees never makes one value grow without bound); per tree root, how
// many accounts its tree has created (an atomic counter). Nothing here reads more than the
// keys it names.
import type { Store } from "../../core/types.js";
import type { InvitedBy } from "./types.js";

export const PAGE = 256;

export interface TreeStores {
  invitedBy: Store<InvitedBy>;
  children: Store<string[]>;
  childHeads: Store<number>;
  sizes: Store<number>;
}

export class TreeStore {
  constructor(private readonly s: TreeStores) {}

  invitedBy(jid: string): Promise<InvitedBy | undefined> {
    return this.s.invitedBy.get(jid);
  }

  /** The tree `jid` counts in: its recorded root, or itself. */
  async rootOf(jid: string): Promise<string> {
    return (await this.s.invitedBy.get(jid))?.root ?? jid;
  }

  async size(root: string): Promise<number> {
    return (await this.s.sizes.get(root)) ?? 0;
  }

  /** Takes one account of the root's allowance; false when `limit` (0: none) is reached. */
  async take(root: string, limit: number): Promise<boolean> {
    let taken = false;
    await this.s.sizes.update(root, (n) => {
      const cur = n ?? 0;
      taken = limit === 0 || cur < limit;
      return taken ? cur + 1 : cur;
    });
    return taken;
  }

  /** Gives back what take() took (the registration failed). */
  async giveBack(root: string): Promise<void> {
    await this.s.sizes.update(root, (n) => (n && n > 0 ? n - 1 : n));
  }

  /** Records the new account and lists it under its inviter (listed first, so a crash leaves no orphan record). */
  async add(node: InvitedBy): Promise<void> {
    if ((await this.s.invitedBy.get(node.jid))?.parent === node.parent) return;
    const slot = (await this.s.childHeads.update(node.parent, (n) => (n ?? 0) + 1))! - 1;
    await this.s.children.update(`${node.parent}:${Math.floor(slot / PAGE)}`, (cur) => {
      const page = cur ? [...cur] : [];
      page[slot % PAGE] = node.jid;
      // A slot handed out but not written yet (a crash) stays a hole: fill it with "".
      for (let i = 0; i < page.length; i++) page[i] ??= "";
      return page;
    });
    await this.s.invitedBy.set(node.jid, node);
  }

  /** The accounts `jid` invited, in the order they registered (the first `max` or so). */
  async children(jid: string, max = Infinity): Promise<string[]> {
    const count = Math.min((await this.s.childHeads.get(jid)) ?? 0, max);
    if (count === 0) return [];
    const pages = await this.s.children.getMany(Array.from({ length: Math.ceil(count / PAGE) }, (_, p) => `${jid}:${p}`));
    return pages.flatMap((p) => p ?? []).filter((j) => j !== "");
  }
}
