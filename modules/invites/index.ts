// The core invite store: creation, validation, the reserve -> complete | release lifecycle,
// listing, sweeping and the invitectl commands. Other modules reach it with
// mod.depends<InvitesApi>("invites"). See README.md beside this file.
import { opt } from "../../core/types.js";
import { defineModule, formatDuration } from "../../core/types.js";
import { errors as invitesErrors } from "./errors.js";
import "./events.js";
import { createApi } from "./api.js";
import { ctlCommands } from "./ctl.js";
import { Recovery } from "./recovery.js";
import { InviteRepo } from "./repo.js";
import { codeHasher } from "./tokens.js";
import { migrations, type InviteTables } from "./schema.js";
import type { InvitesApi } from "./types.js";
import { countInvites } from "./metrics.js";

export { checkUsername, prepareUsername } from "./username.js";
export { CODE_ALPHABET, normalizeCode, formatCode } from "./codes.js";
export { isGreeted } from "./create.js";
export { randomText } from "./tokens.js";
export { MAX_USES, parseLifetime, parseUses, parseWhen, requireWithin, type WhenForm } from "./parse.js";
export type { UsernameCheck, UsernameRules } from "./username.js";
export { errors as invitesErrors } from "./errors.js";
export type * from "./types.js";

// Reservations left by an instance that died are settled this soon after it stops reporting in.
const RECOVER_EVERY_MS = 10_000;

export default defineModule({
  name: "invites",
  description: "Invite store: tokens, short codes, uses, expiry, listing and invitectl commands",
  migrations,
  options: {
    invite_expiry: opt.period({ default: "1 week", min: "1 minute", describe: "Lifetime of account and contact invites" }),
    reset_invite_expiry: opt.period({ default: "1 day", min: "1 minute", describe: "Lifetime of password reset invites" }),
    max_invite_expiry: opt.period({ default: "1 year", min: "1 minute", describe: "Longest lifetime an account or contact invite may get, on every path (ctl, API, ad-hoc)" }),
    max_reset_invite_expiry: opt.period({ default: "1 week", min: "1 minute", describe: "Longest lifetime a password reset invite may get, on every path" }),
    invite_retention: opt.period({ default: "1 week", describe: "How long expired, used up or revoked invites are kept before sweep deletes them" }),
    short_code_ttl: opt.period({ default: "10 minutes", min: "1 minute", max: "1 week", describe: "How long a short code resolves (never past the invite's expiry)" }),
    short_code_length: opt.integer({ default: 8, min: 6, max: 8, describe: "Characters in a short code" }),
    max_username_length: opt.integer({ default: 64, min: 1, max: 1023, describe: "Longest username (in characters) a bound invite or web registration accepts" }),
    invite_sweep_interval: opt.period({ default: "1 hour", min: "1 second", max: "1 day", describe: "How often the server deletes old invites and settles abandoned reservations" }),
  },
  setup(mod) {
    const o = mod.options;
    for (const [def, max] of [["invite_expiry", "max_invite_expiry"], ["reset_invite_expiry", "max_reset_invite_expiry"]] as const) {
      if (o[def] > o[max]) throw invitesErrors.bad_option(`${formatDuration(o[def])} is longer than ${max} (${formatDuration(o[max])})`, { option: def });
    }
    const repo = new InviteRepo(mod.db<InviteTables>(), codeHasher(mod.secretKey("short-code")));
    const recovery = new Recovery(repo, mod.instances, mod.log, () => mod.now());
    const counts = countInvites(mod);
    const api = createApi({
      now: () => mod.now(),
      owner: mod.instances.self,
      swept: (invite) => counts.expired(invite),
      // Only a running server has a link whose loss makes a failed account creation ambiguous.
      releaseUncertain: (invite) => mod.mode === "server" && !mod.admin.connected && (invite.type === "account" || invite.type === "account_and_contact"),
      repo,
      fire: (event, payload) => mod.fire(event, payload),
      log: mod.log,
      settings: {
        hosts: mod.config.hosts.map((h) => h.toLowerCase()),
        expiryMs: o.invite_expiry,
        resetExpiryMs: o.reset_invite_expiry,
        maxExpiryMs: o.max_invite_expiry,
        maxResetExpiryMs: o.max_reset_invite_expiry,
        retentionMs: o.invite_retention,
        codeTtlMs: o.short_code_ttl,
        codeLength: o.short_code_length,
        maxUsernameLength: o.max_username_length,
      },
    });
    for (const cmd of ctlCommands(mod, api, repo)) mod.provideCtl(cmd);

    if (mod.mode === "server") {
      // Crash recovery needs the XMPP server's answer, so it runs each time the link comes
      // (back) online; a run that fails is retried at the next connection.
      const recover = () => recovery.recover(mod.admin, api).catch((e: unknown) => mod.log.warn({ err: e }, "reservation recovery failed; retrying at the next connection"));
      mod.hook("component-online", () => { void recover(); });
      const recoveryTimer = setInterval(() => { if (mod.admin.connected) void recover(); }, RECOVER_EVERY_MS);
      recoveryTimer.unref();
      mod.onStop(() => clearInterval(recoveryTimer));

      // Background cleanup; a failure is logged and retried at the next tick.
      const timer = setInterval(() => {
        api.sweep().then(
          (n) => { if (n > 0) mod.log.info({ removed: n }, "swept old invites"); },
          (e: unknown) => mod.log.warn({ err: e }, "invite sweep failed"),
        );
      }, o.invite_sweep_interval);
      timer.unref();
      mod.onStop(() => clearInterval(timer));
    }
    return api satisfies InvitesApi;
  },
});
