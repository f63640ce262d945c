// Where greetings live, behind this one file so that it is easy to move: a record per
// invite id (machine.ts) and the index of greeter tokens (SHA-256 of the token -> invite id).
// Every change is one Store.update of one record, atomic across processes.
import { createHash } from "node:crypto";
import type { Store } from "../../core/types.js";
import type { GreetingRecord } from "./machine.js";

export const hashToken = (token: string) => createHash("sha256").update(token, "utf8").digest("hex");

export class GreetingRepo {
  constructor(private readonly records: Store<GreetingRecord>, private readonly greeters: Store<string>) {}

  get(id: string): Promise<GreetingRecord | undefined> {
    return this.records.get(id);
  }

  getMany(ids: string[]): Promise<(GreetingRecord | undefined)[]> {
    return ids.length ? this.records.getMany(ids) : Promise.resolve([]);
  }

  async insert(rec: GreetingRecord, greeterToken: string): Promise<void> {
    await this.records.set(rec.inviteId, rec);
    await this.greeters.set(hashToken(greeterToken), rec.inviteId);
  }

  /** The invite id a greeter token belongs to (a lookup by its hash). */
  byGreeterToken(token: string): Promise<string | undefined> {
    return this.greeters.get(hashToken(token));
  }

  /** Atomic change of one record; `fn` may throw (nothing is written then) and may run more than once. */
  async change(id: string, fn: (cur: GreetingRecord) => GreetingRecord): Promise<GreetingRecord | undefined> {
    let failure: unknown;
    const out = await this.records.update(id, (cur) => {
      failure = undefined;
      if (!cur) return undefined;
      try { return fn(cur); } catch (e) { failure = e; return cur; }
    });
    if (failure !== undefined) throw failure;
    return out;
  }
}
