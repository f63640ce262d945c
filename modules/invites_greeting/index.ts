// Greeted invites (after Parsec's invitations): the account is made only after the inviter
// (the greeter, `invitectl invite greet TOKEN`) and the invitee (the claimer, in a browser or
// with `invitectl invite claim URL`) have confirmed each other with short codes read over a
// channel of their own. A leaked link alone is useless. See docs/greeting.md.
import { randomBytes } from "node:crypto";
import { defineModule, opt } from "../../core/types.js";
import { isGreeted, randomText } from "../invites/index.js";
import type { InviteCreatedEvent, InviteDetailsEvent, InvitesApi } from "../invites/types.js";
import type { InvitesPageApi, LandingQuery } from "../invites_page/types.js";
import type { InvitesRegisterApi, RegistrationEvent } from "../invites_register/types.js";
import { CsrfSigner } from "../../web/security.js";
import { apiRoutes } from "./api-routes.js";
import { greetingCtl } from "./ctl.js";
import { errors } from "./errors.js";
import { newRecord, stateLabel, type GreetingRecord } from "./machine.js";
import { pageRoutes } from "./page-routes.js";
import { GreetingRepo } from "./repo.js";
import { Greetings } from "./service.js";

export { errors as greetingErrors } from "./errors.js";

export default defineModule({
  name: "invites_greeting",
  description: "Greeted invites: inviter and invitee confirm each other with short codes before the account exists",
  dependencies: ["invites", "invites_page", "invites_register"],
  options: {
    greeting_timeout: opt.period({ default: "5 minutes", min: "1 second", max: "1 hour", describe: "How long each sync point of a greeting may take before the attempt is cancelled on both sides" }),
    greeting_liveness: opt.period({ default: "20 seconds", min: "1 second", max: "10 minutes", describe: "How long a waiting side may stay silent (a closed page, a killed terminal) before it counts as gone" }),
    greeting_attempts: opt.integer({ default: 3, min: 1, max: 20, describe: "Attempts ending with a wrong code before a greeted invite is revoked" }),
    greeting_rate_limit: opt.integer({ default: 30, min: 0, describe: "Failed token checks on the greeting API and claim page per IP per minute (0 = no limit)" }),
  },
  async setup(mod) {
    const o = mod.options;
    const invites = mod.depends<InvitesApi>("invites");
    const pages = mod.depends<InvitesPageApi>("invites_page");
    const register = mod.depends<InvitesRegisterApi>("invites_register");
    const repo = new GreetingRepo(mod.openStore<GreetingRecord>("greeting"), mod.openStore<string>("greeter_token"));
    const limits = { stepMs: o.greeting_timeout, livenessMs: o.greeting_liveness, attempts: o.greeting_attempts };
    const greetings = new Greetings({ repo, invites, register, now: () => mod.now(), limits, log: mod.log, pollMs: 250 });
    const claimUrl = (token: string) => `${mod.url("/claim")}?${token}`;

    // After invites_page (priority 0) has set the landing URL: the claimer's link is the claim page.
    mod.hook("invite-created", async ({ created }: InviteCreatedEvent) => {
      if (!isGreeted(created.invite)) return;
      const invite = created.invite;
      const token = randomText(18);
      const named = typeof invite.extra["greeter_name"] === "string" ? invite.extra["greeter_name"] : undefined;
      const inviter = invite.inviter ? pages.inviter(invite) : undefined;
      const greeterName = named ?? (inviter ? (inviter.name === inviter.jid ? inviter.jid : `${inviter.name} <${inviter.jid}>`) : `An administrator of ${invite.host}`);
      await repo.insert(newRecord(invite.id, greeterName, mod.now()), token);
      created.greeterToken = token;
      created.landingUrl = claimUrl(created.token);
    }, -10);

    mod.hook("invite-landing", (q: LandingQuery) => { if (isGreeted(q.invite)) q.redirect = claimUrl(q.token); });

    // Only this module registers a greeted invite, and only once its greeter has confirmed.
    mod.hook("user-registering", (ev: RegistrationEvent) => {
      if (isGreeted(ev.invite) && !greetings.creating.has(ev.invite.id)) throw errors.not_confirmed();
    }, 100);

    mod.hook("invite-details", async (ev: InviteDetailsEvent) => {
      const greeted = ev.invites.filter((i) => isGreeted(i));
      const recs = await repo.getMany(greeted.map((i) => i.id));
      greeted.forEach((invite, k) => {
        const rec = recs[k];
        if (!rec) return;
        const state = stateLabel(rec);
        const claimer = rec.done ? { username: rec.done.jid, display_name: rec.done.displayName } : rec.info ? { username: `${rec.info.username}@${invite.host}`, display_name: rec.info.displayName } : null;
        const more = [`greeter:     ${rec.greeterName}`, `failed:      ${rec.failures} of ${o.greeting_attempts} attempts`];
        if (claimer) more.push(`claimer:     ${claimer.display_name ? `${claimer.display_name} <${claimer.username}>` : claimer.username}`);
        if (rec.confirmed) more.push(`confirmed:   ${rec.confirmed.username}${rec.confirmed.roles.length ? ` (${rec.confirmed.roles.join(", ")})` : ""}`);
        if (rec.ended && !rec.done) more.push(`last ended:  ${rec.ended.message}`);
        ev.details.set(invite.id, {
          ...ev.details.get(invite.id),
          greeting: {
            short: state.replace(/ /g, "-"), text: state, more,
            json: { state, greeter: rec.greeterName, failures: rec.failures, attempts: o.greeting_attempts, claimer, confirmed: rec.confirmed, last_ended: rec.ended?.message ?? null },
          },
        });
      });
    });

    const secret = await mod.openStore<string>("secret").update("csrf", (cur) => cur ?? randomBytes(32).toString("base64"));
    const failures = mod.limiter("token-failures", { points: o.greeting_rate_limit, durationMs: 60_000 });
    const router = mod.router();
    const apiUrl = () => mod.url("/api");
    apiRoutes(router, { greetings, failures, clientIp: (req) => mod.clientIp(req), apiUrl, maxWaitMs: 25_000 });
    pageRoutes(router, {
      mod, greetings, pages, log: mod.log, apiUrl, failures,
      csrf: new CsrfSigner(Buffer.from(secret!, "base64")),
      mountPath: () => new URL(mod.url()).pathname,
    });

    for (const cmd of greetingCtl(mod)) mod.provideCtl(cmd);
    return { claimUrl };
  },
});
