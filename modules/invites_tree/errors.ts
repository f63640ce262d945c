// invites_tree's error codes (invites_tree.<code>).
import { defineErrors } from "../../core/types.js";

export const errors = defineErrors("invites_tree", {
  tree_full: { status: 403, type: "cancel", condition: "policy-violation", message: "This invite tree has created as many accounts as allowed" },
  bad_jid: { status: 400, type: "modify", condition: "jid-malformed", message: "Not a user's JID" },
});
