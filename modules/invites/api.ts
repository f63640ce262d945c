// The module's public API (InvitesApi): creation, lookups, the reserve -> complete |
// release lifecycle, admin changes, listing and sweeping.
import { randomBytes } from "node:crypto";
import type { Logger, ModuleContext } from "../../core/types.js";
import { errors, reasonError } from "./errors.js";
import { normalizeCode } from "./codes.js";
import { buildInvite, checkLifetime, checkText, checkUses, type CreateSettings } from "./create.js";
import { listInvites, sweepInvites } from "./list.js";
import type { InviteRepo } from "./repo.js";
import { hashToken, looksLikeId, looksLikeToken } from "./tokens.js";
import { buildUri } from "./uri.js";
import { checkUsername, prepareUsername } from "./username.js";
import { inviteStatus, livePending, validateInvite } from "./validate.js";
import type { OpenReservations } from "./recovery.js";
import type { CreateOptions, CreatedInvite, Invite, InviteType, InvitesApi, Reservation, UpdateOptions, Validation } from "./types.js";

export interface ApiSettings extends CreateSettings {
  retentionMs: number;
  codeTtlMs: number;
  codeLength: number;
}

export interface ApiDeps {
  repo: InviteRepo;
  settings: ApiSettings;
  fire: ModuleContext["fire"];
  log: Logger;
  now?: () => number;
  /** The index of open reservations that crash recovery reads (recovery.ts). */
  open?: Pick<OpenReservations, "opening" | "closed" | "handOver">;
  /**
   * True when a release cannot be trusted to mean "no account": the XMPP link is down, so
   * the request that failed may still have created the account. Such a release is left to
   * crash recovery, which asks the server once the link is back (recovery.ts).
   */
  releaseUncertain?: (invite: Invite) => boolean;
}

const livePendingOf = (reservations: Invite["reservations"], at: number) => livePending({ reservations } as Invite, at);

export function createApi({ repo, settings, fire, log, now = Date.now, open, releaseUncertain }: ApiDeps): InvitesApi {
  async function create(type: InviteType, opts: CreateOptions): Promise<CreatedInvite> {
    const at = now();
    const { invite, token } = buildInvite(type, opts, settings, at);
    if (opts.shortCode) {
      invite.shortCodeExpiresAt = Math.min(at + settings.codeTtlMs, invite.expiresAt);
      invite.shortCode = await repo.claimCode(invite.id, settings.codeLength, invite.shortCodeExpiresAt, at);
      invite.shortCodeHash = hashToken(invite.shortCode);
    }
    // The code is a secret like the token: only its hash is stored.
    await repo.insert({ ...invite, shortCode: null });
    const uri = buildUri(invite, token);
    const created: CreatedInvite = { invite, token, uri, landingUrl: undefined, link: uri, shortUrl: undefined };
    try {
      await fire("invite-created", { created });
      // Without invites_greeting nobody could greet it, and it must not be usable otherwise.
      if (opts.greeted === true && created.greeterToken === undefined) throw errors.greeting_unavailable();
    } catch (e) {
      // A handler vetoed (or failed): an invite nobody was told about must not stay usable.
      await repo.remove(invite.id);
      throw e;
    }
    created.link = created.landingUrl ?? uri;
    log.info({ invite: invite.id, type, host: invite.host, source: invite.source }, "invite created");
    return created;
  }

  async function reserveInvite(invite: Invite | undefined, username: string): Promise<Reservation> {
    if (!invite) throw errors.invalid();
    const wanted = prepareUsername(String(username));
    const reservationId = randomBytes(12).toString("base64url");
    const at = now();
    // Listed as open before the reservation exists, so that a crash after it is recovered.
    await open?.opening(invite.id, reservationId);
    let updated: Invite;
    try {
      updated = await repo.change(invite.id, (cur) => {
        const v = validateInvite(cur, at);
        if (!v.ok) throw reasonError(v.reason);
        if (cur.username !== null && cur.username !== wanted) throw errors.username_mismatch();
        // Abandoned reservations stop holding a slot but stay in the record until crash
        // recovery settles them (their account may exist: recovery.ts).
        const reservations = { ...cur.reservations, [reservationId]: { username: wanted, at } };
        return { ...cur, reservations, usesPending: livePendingOf(reservations, at) };
      });
    } catch (e) {
      await open?.closed(invite.id, reservationId);
      throw e;
    }
    await fire("invite-reserved", { invite: updated, reservationId, username: wanted });
    return { invite: updated, reservationId };
  }

  async function settle(reservation: Reservation, outcome: "complete" | "release"): Promise<Invite> {
    if (outcome === "release" && open && releaseUncertain?.(reservation.invite)) {
      open.handOver(reservation.reservationId);
      log.warn({ invite: reservation.invite.id }, "the XMPP server is unreachable, so whether the account was created is unknown; the use stays reserved until the server answers");
      return (await repo.byId(reservation.invite.id)) ?? reservation.invite;
    }
    let username: string | undefined;
    let updated: Invite;
    try {
      updated = await repo.change(reservation.invite.id, (cur) => {
        const r = cur.reservations[reservation.reservationId];
        if (!r) {
          if (outcome === "release") return cur; // releasing twice is harmless
          throw errors.no_reservation();
        }
        username = r.username;
        const { [reservation.reservationId]: _gone, ...reservations } = cur.reservations;
        const base = { ...cur, reservations, usesPending: livePendingOf(reservations, now()) };
        return outcome === "complete" ? { ...base, usesCompleted: cur.usesCompleted + 1, usedAt: now() } : base;
      });
    } finally {
      await open?.closed(reservation.invite.id, reservation.reservationId);
    }
    if (username !== undefined) {
      const payload = { invite: updated, reservationId: reservation.reservationId, username };
      await fire(outcome === "complete" ? "invite-used" : "invite-released", payload);
    }
    return updated;
  }

  async function getById(id: string): Promise<Invite | undefined> {
    return looksLikeId(id) ? repo.byId(id) : undefined;
  }

  async function get(token: string): Promise<Invite | undefined> {
    return typeof token === "string" && looksLikeToken(token) ? repo.byToken(token) : undefined;
  }

  async function resolveShortCode(input: string): Promise<Validation> {
    const code = typeof input === "string" ? normalizeCode(input) : undefined;
    const hash = code === undefined ? undefined : hashToken(code);
    const rec = hash === undefined ? undefined : await repo.code(hash);
    if (!rec) return { ok: false, reason: "invalid" };
    const invite = await repo.byId(rec.id);
    if (!invite || invite.shortCodeHash !== hash) return { ok: false, reason: "invalid" };
    if (rec.expiresAt <= now() || (invite.shortCodeExpiresAt ?? 0) <= now()) return { ok: false, reason: "expired", invite };
    return validateInvite(invite, now());
  }

  const api: InvitesApi = {
    createAccount: (opts) => create("account", opts),
    createContact: (opts) => create(opts.allowRegistration ? "account_and_contact" : "contact", opts),
    createReset: (opts) => create("reset", opts),
    get,
    getById,
    async find(text) {
      return (await get(text)) ?? (await getById(text)) ?? (await resolveShortCode(text)).invite;
    },
    async validate(token) {
      return validateInvite(await get(token), now());
    },
    validateInvite: (invite, at) => validateInvite(invite, at ?? now()),
    resolveShortCode,
    status: (invite, at) => inviteStatus(invite, at ?? now()),
    async reserve(token, username) {
      return reserveInvite(await get(token), username);
    },
    async reserveById(id, username) {
      return reserveInvite(await getById(id), username);
    },
    complete: (reservation) => settle(reservation, "complete"),
    release: (reservation) => settle(reservation, "release"),
    async revoke(id, by) {
      const at = now();
      const invite = await repo.change(id, (cur) => (cur.revokedAt === null ? { ...cur, revokedAt: at } : cur));
      await fire("invite-revoked", { invite, ...(by === undefined ? {} : { by }) });
      return invite;
    },
    async extend(id, expiresAt, by) {
      return api.update(id, { expiresAt, unrevoke: true }, by);
    },
    async update(id, changes: UpdateOptions, by) {
      const at = now();
      if (changes.expiresAt !== undefined && (!Number.isFinite(changes.expiresAt) || changes.expiresAt <= at)) {
        throw errors.bad_duration("The new expiry must be in the future", { field: "expires" });
      }
      const usesAllowed = changes.usesAllowed === undefined ? undefined : checkUses(changes.usesAllowed);
      if (changes.note !== undefined && changes.note !== null && (typeof changes.note !== "string" || changes.note.length > 1000)) {
        throw errors.bad_request("note must be text of at most 1000 characters", { field: "note" });
      }
      if (typeof changes.note === "string") checkText(changes.note, "note");
      const invite = await repo.change(id, (cur) => ({
        ...cur,
        ...(usesAllowed === undefined ? {} : { usesAllowed }),
        ...(changes.note === undefined ? {} : { note: changes.note }),
        ...(changes.expiresAt === undefined ? {} : { expiresAt: checkLifetime(cur.type, changes.expiresAt, at, settings) }),
        ...(changes.unrevoke ? { revokedAt: null } : {}),
      }));
      if (changes.expiresAt !== undefined || changes.unrevoke) await fire("invite-extended", { invite, ...(by === undefined ? {} : { by }) });
      return invite;
    },
    delete: (id) => repo.remove(id),
    list: (filter) => listInvites(repo, filter, now()),
    sweep: (at) => sweepInvites(repo, settings.retentionMs, at ?? now()),
    uriFor: buildUri,
    checkUsername: (input) => checkUsername(input, { maxLength: settings.maxUsernameLength }),
  };
  return api;
}
