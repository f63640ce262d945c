// Web registration through an invite (Prosody's mod_invites_register_web paths), password
// resets, the registration flow every other way to register uses (see flow.ts and the API
// in types.ts), and the user-registered handlers (mutual contacts, roles and groups recorded).
import { randomBytes } from "node:crypto";
import { defineModule, opt } from "../../core/types.js";
import type { InvitesApi } from "../invites/types.js";
import type { InvitesPageApi } from "../invites_page/types.js";
import { CsrfSigner } from "../../web/security.js";
import { agreementCommands } from "./agreements-ctl.js";
import { checkAgreementsOption, loadAgreements, requiredFor, type Agreement, type AgreementOption } from "./agreements.js";
import { makeMutualContacts, recordAccount } from "./contacts.js";
import { beginRegistration, beginReset, checkRegistration, outcomeCode, finishRegistration, finishReset, registerAccount, resetPassword, type FlowDeps, type Pending, type PendingResetUse } from "./flow.js";
import { checkPolicyOption, DEFAULT_POLICY, type PasswordPolicy } from "./policy.js";
import { registerRoutes } from "./routes.js";
import { migrations, Signatures, type SignatureTables } from "./signatures.js";
import type { AccountRecord, AgreementInfo, InvitesRegisterApi, PendingRegistration, PendingReset } from "./types.js";

export type * from "./types.js";
export { errors as registerErrors } from "./errors.js";

export default defineModule({
  name: "invites_register",
  description: "Web registration and password reset through invites; mutual contacts for contact invites",
  dependencies: ["invites", "invites_page"],
  migrations,
  options: {
    agreements: opt.custom<AgreementOption[]>({ default: [], check: checkAgreementsOption, describe: "Agreements accepted before an account is created: - { id, title: { en, fr }, file: { en, fr } (or text), hosts? } (docs/agreements.md)" }),
    password_policy: opt.custom<Partial<PasswordPolicy>>({ default: {}, check: checkPolicyOption, describe: "{ length, max_length, exclude_username }" }),
    webchat_url: opt.optionalString({ describe: "A web chat to offer after registration" }),
    register_rate_limit: opt.integer({ default: 10, min: 0, describe: "Registration attempts per IP per minute (0 = no limit)" }),
    register_lookup_rate_limit: opt.integer({ default: 60, min: 0, describe: "Registration page loads per IP per minute (0 = no limit)" }),
  },
  async setup(mod) {
    const invites = mod.depends<InvitesApi>("invites");
    const pages = mod.depends<InvitesPageApi>("invites_page");
    const policy: PasswordPolicy = { ...DEFAULT_POLICY, ...mod.options.password_policy };
    const accounts = mod.openStore<AccountRecord>("account");
    const secret = await mod.openStore<string>("secret").update("csrf", (cur) => cur ?? randomBytes(32).toString("base64"));
    const agreements: Agreement[] = loadAgreements(mod.options.agreements, mod.config.configFile, mod.config.hosts.map((h) => h.toLowerCase()));
    const signatures = new Signatures(mod.db<SignatureTables>());
    const registrations = mod.metrics.counter("registrations_total", "Registrations through an invite, by outcome (created, or the error's code) and source (web, inapp, ...)", ["outcome", "source"]);
    const resetCount = mod.metrics.counter("password_resets_total", "Password resets through an invite, by outcome (reset, or the error's code) and source", ["outcome", "source"]);
    const flow: FlowDeps = {
      invites, admin: () => mod.admin, fire: (e, p) => mod.fire(e, p), log: mod.log, policy,
      outcome: (kind, outcome, source) => (kind === "registration" ? registrations : resetCount).inc({ outcome, source }),
      agreements, signatures, webPage: (token) => pages.registerUrl(token), now: () => mod.now(),
    };

    mod.hook("user-registered", async (ev) => {
      const inviter = ev.invite.inviter ? pages.inviter(ev.invite)?.name ?? ev.invite.inviter : "";
      await makeMutualContacts(mod.admin, mod.log, ev, { inviter, user: ev.displayName ?? ev.username });
      try { await recordAccount(accounts, ev); } catch (err) { mod.log.warn({ err, jid: ev.jid }, "could not record the account's roles and groups"); }
    });
    // Apps cannot show agreements yet: where a host requires some, pages offer the web only.
    mod.hook("in-app-paths", (q) => { if (requiredFor(agreements, q.host).length > 0) q.available = false; }, -100);

    registerRoutes(mod.mount("/register"), {
      mod, invites, pages, flow,
      csrf: new CsrfSigner(Buffer.from(secret!, "base64")),
      // Per address (shared by every instance on PostgreSQL).
      attempts: mod.limiter("attempts", { points: mod.options.register_rate_limit, durationMs: 60_000 }),
      lookups: mod.limiter("lookups", { points: mod.options.register_lookup_rate_limit, durationMs: 60_000 }),
      webchatUrl: mod.options.webchat_url,
    });

    const agreementsOf = (host: string): AgreementInfo[] => requiredFor(agreements, host).map((a) => ({ id: a.id, version: a.version, title: { ...a.title }, text: { ...a.markdown } }));
    const listSignatures: InvitesRegisterApi["signatures"] = (f) => signatures.list({ ...f, host: f.host.toLowerCase() });
    for (const cmd of agreementCommands(mod.config.hosts.map((h) => h.toLowerCase()), { agreements: agreementsOf, signatures: listSignatures })) mod.provideCtl(cmd);

    const mine = new WeakSet<PendingRegistration>();
    const resets = new WeakSet<PendingReset>();
    return {
      account: (jid) => accounts.get(jid.toLowerCase()),
      agreements: agreementsOf,
      signatures: listSignatures,
      passwordPolicy: policy,
      check: (invite, username, password) => checkRegistration(flow, invite, username, password),
      register: (req) => registerAccount(flow, req),
      async begin(req) {
        // A refusal here is an outcome; an accepted one is counted when finished.
        const pending = await beginRegistration(flow, req).catch((err: unknown) => {
          flow.outcome?.("registration", outcomeCode(err), req.source);
          throw err;
        });
        mine.add(pending);
        return pending;
      },
      async finish(pending, created) {
        // Only a reservation this module handed out can be settled through it.
        if (!mine.has(pending)) throw new TypeError("finish() takes what begin() returned");
        mine.delete(pending);
        flow.outcome?.("registration", created ? "created" : "not_created", (pending as Pending).event.source);
        return finishRegistration(flow, pending as Pending, created);
      },
      reset: (req) => resetPassword(flow, req),
      async beginReset(req) {
        const pending = await beginReset(flow, req);
        resets.add(pending);
        return pending;
      },
      async finishReset(pending, changed) {
        if (!resets.has(pending)) throw new TypeError("finishReset() takes what beginReset() returned");
        resets.delete(pending);
        return finishReset(flow, pending as PendingResetUse, changed);
      },
    } satisfies InvitesRegisterApi;
  },
});
