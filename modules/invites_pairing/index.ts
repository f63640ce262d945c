// invites_pairing: publishes invites that have a short code to a pairing directory
// (pairing_directory_url: another xmpp-invites with invites_directory, or any service that
// speaks Plexus's pairing protocol), so that a person can type the directory's code on a
// well-known site without knowing which server invited them. Publishing never holds up the
// create: it runs after the invite is stored and is retried until the code expires. Revoking
// or using up the invite withdraws the code; expiry needs nothing (the directory's code lives
// no longer than ours). See docs/pairing.md.
import { defineErrors, defineModule, opt } from "../../core/types.js";
import type { Invite, InviteCreatedEvent, InvitesApi } from "../invites/types.js";
import "../invites_page/types.js";
import { publish, withdraw, DirectoryError, type ClientDeps } from "./client.js";
import { sealPairing, unsealPairing, type Published } from "./published.js";

const errors = defineErrors("invites_pairing", {
  bad_option: { status: 500, type: "cancel", condition: "internal-server-error", message: "Bad option" },
});

const FIRST_RETRY_MS = 1_000;
const MAX_RETRY_MS = 60_000;

export default defineModule({
  name: "invites_pairing",
  description: "Publishes short codes to a pairing directory and withdraws them when the invite ends",
  dependencies: ["invites", "invites_page"],
  options: {
    pairing_directory_url: opt.string({ default: "", describe: "The directory's publish URL, e.g. https://join.example.net/pairing (required)" }),
    pairing_directory_api_key: opt.optionalString({ describe: "The key the directory gave this server (ID/SECRET; use ${NAME})" }),
    pairing_directory_timeout: opt.period({ default: "5 seconds", min: "1 second", max: "1 minute", describe: "How long one request to the directory may take" }),
  },
  setup(mod) {
    const o = mod.options;
    const problem = checkUrl(o.pairing_directory_url);
    if (problem) throw errors.bad_option(problem, { option: "pairing_directory_url" });
    const invites = mod.depends<InvitesApi>("invites");
    const store = mod.openStore<Published>("published");
    const d: ClientDeps = { url: o.pairing_directory_url, key: o.pairing_directory_api_key, timeoutMs: o.pairing_directory_timeout, log: mod.log };
    const base = () => mod.config.baseUrl.replace(/\/$/, "");
    const published = mod.metrics.counter("pairing_published_total", "Short codes published to the pairing directory, by outcome", ["outcome"]);
    const inFlight = new Set<Promise<void>>();
    const timers = new Set<NodeJS.Timeout>();
    let stopped = false;

    const stillUsable = async (id: string) => {
      const invite = await invites.getById(id);
      return invite !== undefined && invites.validateInvite(invite).ok;
    };

    const withdrawOf = async (invite: Invite, why: string) => {
      const rec = await store.get(invite.id);
      if (!rec) return;
      try {
        if (rec.withdrawUrl) await withdraw(d, rec.withdrawUrl);
        await store.delete(invite.id);
        mod.log.info({ invite: invite.id, why }, "pairing code withdrawn from the directory");
      } catch (err) {
        // Left to the directory's own expiry, which is no later than the code's.
        mod.log.warn({ invite: invite.id, err: (err as Error).message }, "could not withdraw the pairing code; it expires by itself");
      }
    };

    /** One attempt; on a failure worth retrying, the next one is scheduled until the code expires. */
    const attempt = async (id: string, token: string, target: string, expiresAt: number, delay: number): Promise<void> => {
      const ttlS = Math.floor((expiresAt - mod.now()) / 1000);
      if (stopped || ttlS < 1) return;
      try {
        const answer = await publish(d, target, ttlS);
        // The directory may give less time than asked (its directory_max_ttl), never more.
        const until = Math.min(answer.expiresAt, expiresAt);
        await store.set(id, { withdrawUrl: answer.withdrawUrl, sealed: sealPairing(token, { code: answer.code, url: answer.url }), expiresAt: until }, Math.max(1, until - mod.now()));
        published.inc({ outcome: "ok" });
        mod.log.info({ invite: id }, "short code published to the pairing directory");
        // Revoked (or used up) while the directory was answering: withdraw at once.
        const invite = await invites.getById(id);
        if (invite && !(await stillUsable(id))) await withdrawOf(invite, "ended while publishing");
      } catch (err) {
        const retry = !(err instanceof DirectoryError) || err.retry;
        published.inc({ outcome: retry ? "retrying" : "refused" });
        if (!retry || mod.now() + delay >= expiresAt) {
          mod.log.warn({ invite: id, err: (err as Error).message }, "could not publish the short code to the pairing directory; the local code still works");
          return;
        }
        mod.log.debug({ invite: id, err: (err as Error).message, retryInMs: delay }, "pairing directory failed; retrying");
        const timer = setTimeout(() => {
          timers.delete(timer);
          void track(attempt(id, token, target, expiresAt, Math.min(delay * 2, MAX_RETRY_MS)));
        }, delay);
        timer.unref();
        timers.add(timer);
      }
    };

    const track = (p: Promise<void>) => {
      const done = p.catch((err: unknown) => mod.log.warn({ err }, "pairing publish failed")).finally(() => inFlight.delete(done));
      inFlight.add(done);
      return done;
    };

    // After every other handler (one may veto): the invite is stored and will be returned.
    mod.hook("invite-created", ({ created }: InviteCreatedEvent) => {
      const { shortCode, shortCodeExpiresAt, id } = created.invite;
      if (!shortCode || !shortCodeExpiresAt) return;
      // Where the directory sends people: our own /pairing/CODE, which sends a browser on to
      // the landing page and gives an app the invite as JSON (invites_page).
      void track(attempt(id, created.token, `${base()}/pairing/${shortCode}`, shortCodeExpiresAt, FIRST_RETRY_MS));
    }, -1000);

    mod.hook("invite-revoked", ({ invite }) => withdrawOf(invite, "revoked"));
    mod.hook("invite-used", async ({ invite }) => {
      if (invite.usesAllowed !== null && invite.usesCompleted >= invite.usesAllowed) await withdrawOf(invite, "used up");
    });

    mod.hook("invite-pairing", async (q) => {
      const rec = await store.get(q.invite.id);
      if (rec && rec.expiresAt > mod.now()) q.pairing = unsealPairing(q.token, rec.sealed);
    });

    mod.provideCtl({
      command: "show <token>",
      describe: "The directory's code and URL of an invite (its token: the code is sealed with it)",
      positionals: { token: { type: "string", describe: "The invite's token" } },
      async run(args, out) {
        const token = String(args["token"]);
        const invite = await invites.get(token);
        const rec = invite ? await store.get(invite.id) : undefined;
        const p = rec && rec.expiresAt > mod.now() ? unsealPairing(token, rec.sealed) : undefined;
        if (out.wantsJson) { out.json(p ? { code: p.code, url: p.url, expires_at: new Date(rec!.expiresAt).toISOString() } : null); return; }
        out.print(p ? `${p.code}\t${p.url}` : "not published (no short code, not yet answered, expired or withdrawn)");
      },
    });

    // invitectl makes invites in a process of its own: let its publishes finish before it exits.
    mod.onStop(async () => {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      await Promise.race([Promise.all([...inFlight]), new Promise((r) => setTimeout(r, o.pairing_directory_timeout + 1000).unref())]);
    });
    return {};
  },
});

function checkUrl(text: string): string | undefined {
  if (text === "") return "required: the pairing directory's publish URL, e.g. https://join.example.net/pairing";
  let url: URL;
  try { url = new URL(text); } catch { return `not a URL: ${JSON.stringify(text)}`; }
  if (url.protocol === "https:") return undefined;
  if (url.protocol === "http:" && /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)) return undefined;
  return "https only (plain http to a loopback address for tests): the API key travels in it";
}
