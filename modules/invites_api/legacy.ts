// The Prosody-compatible endpoint (mod_invites_api): GET or POST /invites_api with the
// key, answering 201 + Location (or 303 with redirect=...). The query is read as Prosody
// reads it (unknown names ignored, `redirect` with any value redirects); unlike Prosody it
// also works without a query string, refuses bad keys with 401, and takes optional
// parameters within the key's scope.
import type { HttpRequest, HttpResponse } from "../../core/types.js";
import type { ApiKey } from "./keys.js";
import { errors } from "./errors.js";
import { createForKey, type KeyDeps } from "./create.js";
import { parseQuery, rawQuery } from "./params.js";
import { splitList } from "./scope.js";
import { parseExpiry, parseType, parseUses } from "./validate.js";

export const LEGACY_PARAMS = ["key", "redirect", "type", "uses", "expires-after", "username", "inviter", "roles", "groups", "note", "inviter_name"] as const;
const MAX_NOTE = 1000;

type Authenticate = (req: HttpRequest, res: HttpResponse, queryKey: string | undefined) => Promise<ApiKey>;

function hasFields(body: unknown): body is Record<string, unknown> {
  return typeof body === "object" && body !== null && Object.keys(body).length > 0;
}

export function legacyHandler(d: KeyDeps, authenticate: Authenticate, now: () => number) {
  return async (req: HttpRequest, res: HttpResponse): Promise<void> => {
    if (req.method === "HEAD") {
      // Express would run the GET route for HEAD; creating an invite on HEAD would surprise.
      res.setHeader("Allow", "GET, POST, OPTIONS");
      throw errors.method_not_allowed("Use GET or POST to create an invite");
    }
    const q = parseQuery(rawQuery(req.originalUrl), LEGACY_PARAMS, { prosody: true });
    const key = await authenticate(req, res, q["key"]);
    if (!(key.methods as string[]).includes(req.method)) {
      res.setHeader("Allow", key.methods.join(", "));
      throw errors.method_not_allowed(`This API key allows only ${key.methods.join(", ")}`);
    }
    if (hasFields(req.body)) {
      throw errors.bad_parameter(`Parameters go in the query string, not the body (got ${Object.keys(req.body).slice(0, 5).join(", ")})`);
    }
    // Prosody: `if query_params.redirect then return 303`: any value, even empty or "false".
    const redirect = q["redirect"] !== undefined;
    const note = q["note"];
    if (note !== undefined && note.length > MAX_NOTE) throw errors.bad_parameter(`note: at most ${MAX_NOTE} characters`, { field: "note" });
    const at = now();
    const created = await createForKey(d, key, {
      type: parseType(q["type"], "type"),
      ...(q["uses"] !== undefined ? { uses: parseUses(q["uses"], "uses") } : {}),
      ...(q["expires-after"] !== undefined ? { expiresAt: parseExpiry(q["expires-after"], undefined, ["expires-after", "expires-at"], at) } : {}),
      ...(q["username"] !== undefined ? { username: q["username"] } : {}),
      ...(q["inviter"] !== undefined ? { inviter: q["inviter"] } : {}),
      ...(q["roles"] !== undefined ? { roles: splitList(q["roles"]) } : {}),
      ...(q["groups"] !== undefined ? { groups: splitList(q["groups"]) } : {}),
      ...(note !== undefined ? { note } : {}),
      ...(q["inviter_name"] !== undefined ? { inviterName: q["inviter_name"] } : {}),
    }, at);
    res.setHeader("Location", created.link);
    res.setHeader("Cache-Control", "no-store");
    res.status(redirect ? 303 : 201).type("text/plain").send(`${created.link}\n`);
  };
}
