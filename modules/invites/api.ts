// The module's public API (InvitesApi): creation, lookups, the reserve -> complete |
// release lifecycle, admin changes, listing and sweeping.
import { isModuleError, type Logger, type ModuleContext } from "../../core/types.js";
import { errors, reasonError } from "./errors.js";
import { normalizeCode } from "./codes.js";
import { buildInvite, checkLifetime, checkText, checkUses, type CreateSettings } from "./create.js";
import { listInvites, sweepInvites, type SweptExpired } from "./list.js";
import type { InviteRepo } from "./repo.js";
import { looksLikeId, looksLikeToken, randomText } from "./tokens.js";
import { buildUri } from "./uri.js";
import { checkUsername, prepareUsername } from "./username.js";
import { inviteStatus, validateInvite } from "./validate.js";
import type { CreateOptions, CreatedInvite, Invite, InviteDetail, InviteType, InvitesApi, Reservation, UpdateOptions, Validation } from "./types.js";

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
  /** This instance (core_instances.id): the owner of the reservations it makes. */
  owner: string;
  /**
   * True when a release cannot be trusted to mean "no account": the XMPP link is down, so
   * the request that failed may still have created the account. Such a release is left to
   * crash recovery, which asks the server once the link is back (recovery.ts).
   */
  releaseUncertain?: (invite: Invite) => boolean;
  /** Told of each expired invite the sweep removed (for the metrics). */
  swept?: SweptExpired;
}

/** A failure after which the account may or may not exist: only the server can say. */
function ambiguous(cause: unknown): boolean {
  return isModuleError(cause, "admin.timeout") || isModuleError(cause, "admin.not_connected");
}

export function createApi({ repo, settings, fire, log, now = Date.now, owner, releaseUncertain, swept }: ApiDeps): InvitesApi {
  async function create(type: InviteType, opts: CreateOptions): Promise<CreatedInvite> {
    const at = now();
    const { invite, token } = buildInvite(type, opts, settings, at);
    // The code is a secret like the token: only its hash is stored.
    const codeExpiresAt = Math.min(at + settings.codeTtlMs, invite.expiresAt);
    const code = await repo.insert(invite, opts.shortCode ? { length: settings.codeLength, expiresAt: codeExpiresAt, now: at } : undefined);
    if (code !== undefined) Object.assign(invite, { shortCode: code, shortCodeHash: repo.codeHash(code), shortCodeExpiresAt: codeExpiresAt });
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
    // Never starting with "-": `invitectl invite settle HOST ID` takes it as an argument.
    const reservationId = randomText(12);
    const at = now();
    const updated = await repo.reserve(invite.id, wanted, { id: reservationId, at, owner });
    if (!updated) {
      // The UPDATE's conditions said no: read why, in the order validate() reports.
      const v = validateInvite(await repo.byId(invite.id), at);
      if (!v.ok) throw reasonError(v.reason);
      if (v.invite.username !== null && v.invite.username !== wanted) throw errors.username_mismatch();
      throw errors.used_up();
    }
    await fire("invite-reserved", { invite: updated, reservationId, username: wanted });
    return { invite: updated, reservationId };
  }

  async function settle(reservation: Reservation, outcome: "complete" | "release", cause?: unknown): Promise<Invite> {
    if (outcome === "release" && (releaseUncertain?.(reservation.invite) || ambiguous(cause))) {
      await repo.handOver(reservation.reservationId);
      log.warn({ invite: reservation.invite.id }, "the XMPP server is unreachable, so whether the account was created is unknown; the use stays reserved until the server answers");
      return (await repo.byId(reservation.invite.id)) ?? reservation.invite;
    }
    const done = await repo.settle(reservation.invite.id, reservation.reservationId, outcome, now());
    if (!done) {
      if (outcome === "complete") throw errors.no_reservation();
      // Releasing twice is harmless.
      const cur = await repo.byId(reservation.invite.id);
      if (!cur) throw errors.not_found(undefined, { id: reservation.invite.id });
      return cur;
    }
    const payload = { invite: done.invite, reservationId: reservation.reservationId, username: done.username };
    await fire(outcome === "complete" ? "invite-used" : "invite-released", payload);
    return done.invite;
  }

  async function getById(id: string): Promise<Invite | undefined> {
    return looksLikeId(id) ? repo.byId(id) : undefined;
  }

  async function get(token: string): Promise<Invite | undefined> {
    return typeof token === "string" && looksLikeToken(token) ? repo.byToken(token) : undefined;
  }

  async function resolveShortCode(input: string): Promise<Validation> {
    const code = typeof input === "string" ? normalizeCode(input) : undefined;
    const hash = code === undefined ? undefined : repo.codeHash(code);
    const rec = hash === undefined ? undefined : await repo.code(hash);
    if (!rec) return { ok: false, reason: "invalid" };
    const invite = await repo.byId(rec.invite_id);
    if (!invite || invite.shortCodeHash !== hash) return { ok: false, reason: "invalid" };
    if (rec.expires_at <= now() || (invite.shortCodeExpiresAt ?? 0) <= now()) return { ok: false, reason: "expired", invite };
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
    release: (reservation, cause) => settle(reservation, "release", cause),
    async revoke(id, by) {
      const invite = await repo.changeFields(id, { revoked_at: now() }, true);
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
      if (changes.expiresAt !== undefined) {
        // The longest lifetime depends on the invite's type, which a change never alters.
        const current = await repo.byId(id);
        if (!current) throw errors.not_found(undefined, { id });
        checkLifetime(current.type, changes.expiresAt, at, settings);
      }
      const invite = await repo.changeFields(id, {
        ...(usesAllowed === undefined ? {} : { uses_allowed: usesAllowed }),
        ...(changes.note === undefined ? {} : { note: changes.note }),
        ...(changes.expiresAt === undefined ? {} : { expires_at: changes.expiresAt }),
        ...(changes.unrevoke ? { revoked_at: null } : {}),
      });
      if (changes.expiresAt !== undefined || changes.unrevoke) await fire("invite-extended", { invite, ...(by === undefined ? {} : { by }) });
      return invite;
    },
    delete: (id) => repo.remove(id),
    list: (filter) => listInvites(repo, filter, now()),
    async details(list) {
      const details = new Map<string, Record<string, InviteDetail>>();
      if (list.length === 0) return details;
      try {
        await fire("invite-details", { invites: list, details });
      } catch (err) {
        // Details are extra: the invites themselves are still shown.
        log.warn({ err }, "an invite-details handler failed");
      }
      return details;
    },
    sweep: (at) => sweepInvites(repo.db, settings.retentionMs, at ?? now(), swept),
    uriFor: buildUri,
    checkUsername: (input) => checkUsername(input, { maxLength: settings.maxUsernameLength }),
  };
  return api;
}
