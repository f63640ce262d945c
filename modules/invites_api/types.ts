// The public shape of invites_api: what mod.depends("invites_api") returns. Other modules
// add JSON routes under /v1 with route(): authenticated with an API key (Authorization:
// Bearer only), for the key's host, refused unless the key's scope names the operation.
import type { HttpRequest } from "../../core/types.js";
import type { Operation, Scope } from "./scope.js";

export type { Operation, Scope } from "./scope.js";

/** The key a route handler acts for. */
export interface CallerKey {
  id: string;
  /** The XMPP host the key is for: handlers act on this host only. */
  host: string;
  name: string | null;
  scope: Scope;
}

export interface ApiRoute {
  method: "get" | "post";
  /** Under /v1, express syntax, e.g. "/v1/users/:jid/deactivate". */
  path: string;
  /** The scope operation a key needs. */
  operation: Operation;
  /** For the OpenAPI document. */
  summary: string;
  /** Returns the JSON body (status 200 unless given); a thrown ModuleError answers with its status. */
  handle(req: HttpRequest, key: CallerKey): Promise<{ status?: number; body: unknown }>;
}

export interface InvitesApiModule {
  /** Adds a route (call it from setup()). */
  route(r: ApiRoute): void;
  /** Deletes every API key that acts for `jid` (made with --inviter); returns their ids. */
  removeKeysOf(jid: string): Promise<string[]>;
}
