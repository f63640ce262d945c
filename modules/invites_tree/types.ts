// The public side of invites_tree: who invited whom, as other modules (deactivating a whole
// branch, for one) read it through mod.depends("invites_tree").

/** One account in an invite tree and the accounts it invited. */
export interface TreeNode {
  jid: string;
  /** The invite that created it (undefined for the account the tree was asked about, when no user invited it). */
  inviteId?: string;
  /** When it was registered (epoch ms; undefined as for inviteId). */
  registeredAt?: number;
  children: TreeNode[];
}

export interface Tree {
  root: TreeNode;
  /** Accounts below the root in this answer. */
  count: number;
  /** True when `limit` stopped the walk: more accounts exist below. */
  truncated: boolean;
}

/** What is recorded per account a user's invite created. */
export interface InvitedBy {
  jid: string;
  /** The user whose invite it was. */
  parent: string;
  /** The first non-admin user up the chain: whose tree the account counts in. */
  root: string;
  inviteId: string;
  registeredAt: number;
}

export interface InvitesTreeApi {
  /** Who `jid` invited, recursively (breadth first, at most `limit` accounts, default 10,000). */
  tree(jid: string, opts?: { limit?: number }): Promise<Tree>;
  /** Who invited `jid`, through which invite (undefined: no user's invite made it). */
  invitedBy(jid: string): Promise<InvitedBy | undefined>;
  /** The tree `jid` counts in (the top non-admin inviter, or itself) and how many accounts that tree has created. */
  treeOf(jid: string): Promise<{ root: string; size: number; limit: number }>;
}
