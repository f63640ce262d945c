// The greeting operations both front ends use (the JSON API for terminals, the claim pages
// for browsers): who is asking, taking a seat, a side's steps, waiting for the other side,
// and creating the account through the registration flow once the greeter has confirmed.
import { randomBytes } from "node:crypto";
import { EventEmitter } from "node:events";
import { isModuleError, type Logger } from "../../core/types.js";
import { invitesErrors, isGreeted } from "../invites/index.js";
import type { Invite, InvitesApi } from "../invites/types.js";
import type { InvitesRegisterApi } from "../invites_register/types.js";
import { errors } from "./errors.js";
import { apply, created, creationFailed, join, phaseOf, seatOf, startCreating, tick, touch, type Action, type GreetingRecord, type Limits, type Side } from "./machine.js";
import type { GreetingRepo } from "./repo.js";
import { choicesFor, commitment, deriveCodes, newKeyPair, newNonce, sharedSecret } from "./sas.js";
import { hashSecret, newSecret, seal, unseal } from "./seal.js";

export interface ServiceDeps {
  repo: GreetingRepo;
  invites: InvitesApi;
  register: InvitesRegisterApi;
  now: () => number;
  limits: Limits;
  log: Logger;
  /** How often a waiting request reads the store again (another process may have changed it). */
  pollMs: number;
}

/** A browser claimer's secrets, sealed in the record (the server acts for it). */
interface Agent { privateKey: string; nonce: string }

export interface Who { side: Side; invite: Invite }

export class Greetings {
  /** Invites whose account this process is creating now (user-registering lets only these through). */
  readonly creating = new Set<string>();
  private readonly bell = new EventEmitter();
  constructor(private readonly d: ServiceDeps) {
    this.bell.setMaxListeners(0);
  }

  get limits(): Limits { return this.d.limits; }

  /** The greeter, by the invitation token it holds. */
  async greeter(token: unknown): Promise<Who> {
    const id = typeof token === "string" && /^[A-Za-z0-9_-]{16,128}$/.test(token) ? await this.d.repo.byGreeterToken(token) : undefined;
    const invite = id === undefined ? undefined : await this.d.invites.getById(id);
    if (!invite) throw errors.bad_token();
    return { side: "greeter", invite };
  }

  /** The claimer, by the invite's token (the link's). */
  async claimer(token: unknown): Promise<Who> {
    const invite = typeof token === "string" ? await this.d.invites.get(token) : undefined;
    if (!invite) throw invitesErrors.invalid();
    if (!isGreeted(invite)) throw errors.not_greeted();
    return { side: "claimer", invite };
  }

  /** The record, timeouts applied; refuses an invite that can no longer be used (unless its account exists). */
  async record(who: Who): Promise<GreetingRecord> {
    const rec = await this.d.repo.get(who.invite.id);
    if (!rec) throw errors.not_greeted();
    // While its account is being made, the invite's one use is reserved: that is not "used up".
    if (rec.done || rec.creating) return rec;
    if (rec.revoked) throw errors.revoked();
    const v = this.d.invites.validateInvite(who.invite);
    if (!v.ok) throw invitesErrors[v.reason]();
    return rec;
  }

  /** One atomic change, timeouts applied first; wakes this process's waiters and revokes after the last failed attempt. */
  private async change(who: Who, fn: (cur: GreetingRecord, now: number) => GreetingRecord): Promise<GreetingRecord> {
    await this.record(who);
    const now = this.d.now();
    let before: GreetingRecord | undefined;
    const rec = await this.d.repo.change(who.invite.id, (cur) => { before = cur; return fn(tick(cur, now, this.d.limits), now); });
    if (!rec) throw errors.not_greeted();
    if (rec.version !== before?.version) this.bell.emit(who.invite.id);
    if (rec.revoked && !before?.revoked) {
      await this.d.invites.revoke(who.invite.id, "greeting").catch((err: unknown) => this.d.log.error({ err, invite: who.invite.id }, "could not revoke the invite after its last failed greeting"));
      this.d.log.warn({ invite: who.invite.id, failures: rec.failures }, "greeted invite revoked after too many failed attempts");
    }
    if (rec.ended && rec.ended.at === now && before?.ended?.at !== now) this.d.log.info({ invite: who.invite.id, reason: rec.ended.reason }, "greeting attempt ended");
    return rec;
  }

  /** Takes the side's seat with its public key (a browser claimer: the server makes one for it). */
  async join(who: Who, key: string | undefined, passive: boolean): Promise<{ secret: string; rec: GreetingRecord }> {
    const secret = newSecret();
    let agent: string | undefined;
    if (key === undefined) {
      const pair = newKeyPair();
      key = pair.publicKey;
      agent = seal(secret, "agent", { privateKey: pair.privateKey, nonce: newNonce() } satisfies Agent);
    }
    const sid = hashSecret(secret);
    const rec = await this.change(who, (cur, now) => {
      const next = join(cur, who.side, { sid, key: key!, passive }, now);
      return agent === undefined ? next : { ...next, agent };
    });
    this.d.log.info({ invite: who.invite.id, side: who.side }, "greeting: a side joined");
    return { secret, rec: await this.drive(who, secret, rec) };
  }

  /** The state for this side, its seat kept alive; a browser claimer's automatic steps are taken. */
  async view(who: Who, secret: string, passive?: boolean): Promise<GreetingRecord> {
    const sid = hashSecret(secret);
    const rec = await this.change(who, (cur, now) => {
      if (cur.done?.sids.includes(sid)) return cur;
      return touch(cur, who.side, sid, now, passive);
    });
    return this.drive(who, secret, rec);
  }

  async act(who: Who, secret: string, action: Action): Promise<GreetingRecord> {
    const sid = hashSecret(secret);
    const rec = await this.change(who, (cur, now) => {
      const a = action.do === "reveal" ? { ...action, matches: commitment(action.nonce) === cur.commitment } : action;
      return apply(cur, who.side, sid, a, now, this.d.limits);
    });
    return this.drive(who, secret, rec);
  }

  /**
   * Waits until the record changes past `since` (or `maxMs`), reading the store every pollMs
   * (another process may be the one that changes it) and keeping the seat alive.
   */
  async wait(who: Who, secret: string, since: number, maxMs: number, signal?: AbortSignal): Promise<GreetingRecord> {
    const end = Date.now() + maxMs;
    let lastTouch = 0;
    for (;;) {
      const touchNow = Date.now() - lastTouch > this.d.limits.livenessMs / 3;
      const rec = touchNow ? await this.view(who, secret) : await this.peek(who, secret);
      if (touchNow) lastTouch = Date.now();
      if (rec.version > since || Date.now() >= end || signal?.aborted) return rec;
      await new Promise<void>((resolve) => {
        const done = () => { clearTimeout(timer); this.bell.off(who.invite.id, done); signal?.removeEventListener("abort", done); resolve(); };
        const timer = setTimeout(done, Math.min(this.d.pollMs, Math.max(1, end - Date.now())));
        this.bell.on(who.invite.id, done);
        signal?.addEventListener("abort", done);
      });
    }
  }

  /** A read without a write, unless a timeout is due. */
  private async peek(who: Who, secret: string): Promise<GreetingRecord> {
    const rec = await this.record(who);
    const sid = hashSecret(secret);
    if (!rec.done?.sids.includes(sid)) seatOf(rec, who.side, sid);
    return tick(rec, this.d.now(), this.d.limits) === rec ? rec : this.view(who, secret);
  }

  /** A browser claimer's steps that need no person: its nonce once the greeter has committed, its choices once the codes exist. */
  private async drive(who: Who, secret: string, rec: GreetingRecord): Promise<GreetingRecord> {
    if (who.side !== "claimer" || !rec.agent || rec.done) return rec;
    const agent = unseal<Agent>(secret, "agent", rec.agent);
    if (!agent) return rec;
    const p = phaseOf(rec);
    if (p === "claimer_nonce") return this.act(who, secret, { do: "nonce", nonce: agent.nonce });
    if (p === "claimer_pick" && !rec.choices) {
      const codes = this.agentCodes(rec, secret)!;
      const choices = choicesFor(codes.greeter);
      return this.change(who, (cur) => (cur.version === rec.version ? { ...cur, choices } : cur));
    }
    return rec;
  }

  /** The codes, as a browser claimer's agent computes them (undefined before both nonces are known). */
  agentCodes(rec: GreetingRecord, secret: string): { greeter: string; claimer: string } | undefined {
    const agent = rec.agent ? unseal<Agent>(secret, "agent", rec.agent) : undefined;
    if (!agent || !rec.greeter || !rec.claimer || !rec.attempt || !rec.commitment || !rec.claimerNonce || !rec.greeterNonce) return undefined;
    return deriveCodes(sharedSecret(agent.privateKey, rec.greeter.key), {
      inviteId: rec.inviteId, attempt: rec.attempt, greeterKey: rec.greeter.key, claimerKey: rec.claimer.key,
      commitment: rec.commitment, claimerNonce: rec.claimerNonce, greeterNonce: rec.greeterNonce,
    });
  }

  /** The claimer's information: the registration rules are checked now, the password sealed until the greeter confirms. */
  async info(who: Who, secret: string, input: { username: string; password: string; displayName: string }): Promise<GreetingRecord> {
    const username = this.d.register.check(who.invite, input.username, input.password);
    return this.act(who, secret, { do: "info", username, displayName: input.displayName, sealed: seal(secret, "password", input.password) });
  }

  /** The greeter's decision: the (corrected) username and the roles, among the invite's. */
  async confirm(who: Who, secret: string, input: { username: string; roles: string[] }): Promise<GreetingRecord> {
    const check = this.d.invites.checkUsername(input.username.trim());
    if (!check.ok) throw errors.bad_request(`username ${JSON.stringify(input.username)}: ${check.reason}`, { field: "username" });
    if (who.invite.username !== null && check.username !== who.invite.username) throw invitesErrors.username_mismatch(`This invite is for the username ${who.invite.username} only`, { field: "username" });
    const foreign = input.roles.find((r) => !who.invite.roles.includes(r));
    if (foreign !== undefined) throw errors.bad_request(`roles: the invite does not carry ${JSON.stringify(foreign)} (it carries ${who.invite.roles.join(", ") || "none"})`, { field: "roles" });
    return this.act(who, secret, { do: "confirm", username: check.username, roles: [...new Set(input.roles)] });
  }

  /**
   * Creates the account once the greeter has confirmed: only a claimer request can, since only
   * the claimer's secret opens the password. One request does it; the others see it done.
   */
  async create(who: Who, secret: string, token: string, ip: string | undefined): Promise<GreetingRecord> {
    const by = randomBytes(9).toString("base64url");
    const sid = hashSecret(secret);
    let rec = await this.change(who, (cur, now) => { seatOf(cur, "claimer", sid); return startCreating(cur, by, now); });
    if (rec.creating?.by !== by || !rec.info || !rec.confirmed) return rec;
    const password = unseal<string>(secret, "password", rec.info.sealed);
    const { confirmed, info } = rec;
    this.creating.add(who.invite.id);
    try {
      if (password === undefined) throw errors.no_session("The claimer's session does not open the password it gave");
      const done = await this.d.register.register({ token, username: confirmed.username, password, ip, source: "greeted", roles: confirmed.roles, displayName: info.displayName });
      rec = await this.change(who, (cur, now) => created(cur, done.jid, now));
      this.d.log.info({ invite: who.invite.id, jid: done.jid }, "greeted account created");
    } catch (err) {
      const why = isModuleError(err) && err.status < 500 ? err.message : "The account could not be created right now (the XMPP server did not answer); confirm again to retry.";
      this.d.log.warn({ err, invite: who.invite.id }, "greeted account creation failed");
      rec = await this.change(who, (cur, now) => creationFailed(cur, why, now));
    } finally {
      this.creating.delete(who.invite.id);
    }
    return rec;
  }
}
