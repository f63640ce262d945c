// invites_profile: the inviter's own name and picture on the landing page. The component
// reads the inviter's nickname (XEP-0172) and avatar (XEP-0084), or vCard-temp, through the
// admin port, keeps them for inviter_profile_ttl, and serves the avatar from this site
// (/invites_profile/avatar/<sha-256>): no hot-linking, type-checked, size-limited. A name
// given with the invite (inviter_name) wins over the nickname; without anything, the page
// keeps the initial. See docs/pages.md.
import { createHash } from "node:crypto";
import { defineModule, opt, type HttpRequest, type HttpResponse } from "../../core/types.js";
import type { InviterQuery } from "../invites_page/types.js";
import { imageType } from "./image.js";

interface CachedProfile { nick: string | null; avatar: string | null; at: number }
interface StoredAvatar { type: string; data: string }

export default defineModule({
  name: "invites_profile",
  description: "The inviter's XMPP nickname and avatar on the landing page, served from this site",
  dependencies: ["invites_page"],
  options: {
    inviter_profile_ttl: opt.period({ default: "1 hour", min: "1 minute", max: "1 week", describe: "How long a fetched nickname and avatar are kept" }),
    inviter_profile_wait: opt.period({ default: "1.5 seconds", min: "0 seconds", max: "10 seconds", describe: "How long a page waits for a profile not yet fetched (then it shows the initial, and the next view the picture)" }),
    inviter_avatar_max_bytes: opt.integer({ default: 256 * 1024, min: 1024, max: 1024 * 1024, describe: "Largest avatar fetched and served" }),
  },
  setup(mod) {
    const o = mod.options;
    const profiles = mod.openStore<CachedProfile>("profile");
    const avatars = mod.openStore<StoredAvatar>("avatar");
    const fetching = new Map<string, Promise<CachedProfile>>();
    const outcomes = mod.metrics.counter("inviter_profiles_fetched_total", "Inviter profiles fetched from the XMPP server, by what was found", ["found"]);

    const fetchOne = async (jid: string): Promise<CachedProfile> => {
      const p = await mod.admin.getProfile(jid, { maxAvatarBytes: o.inviter_avatar_max_bytes });
      let avatar: string | null = null;
      if (p.avatar) {
        const type = imageType(p.avatar.data, p.avatar.type);
        if (type) {
          avatar = createHash("sha256").update(p.avatar.data).digest("hex");
          await avatars.set(avatar, { type, data: p.avatar.data.toString("base64") }, o.inviter_profile_ttl * 2);
        } else mod.log.info({ jid, declared: p.avatar.type.slice(0, 40) }, "the inviter's avatar is not a PNG, JPEG, GIF or WebP image (or not what it says); not shown");
      }
      const rec: CachedProfile = { nick: p.nick ?? null, avatar, at: mod.now() };
      outcomes.inc({ found: rec.avatar ? (rec.nick ? "nick_and_avatar" : "avatar") : rec.nick ? "nick" : "nothing" });
      // Nothing found is asked again sooner: the user may publish, or the server grant, later.
      await profiles.set(jid, rec, rec.nick || rec.avatar ? o.inviter_profile_ttl : Math.min(o.inviter_profile_ttl, 60_000));
      return rec;
    };

    /** The cached profile, or a fetch (one at a time per JID) that may finish after the page. */
    const profileOf = async (jid: string): Promise<CachedProfile | undefined> => {
      const cached = await profiles.get(jid);
      const ttl = cached?.nick || cached?.avatar ? o.inviter_profile_ttl : Math.min(o.inviter_profile_ttl, 60_000);
      if (cached && cached.at + ttl > mod.now()) return cached;
      if (!mod.admin.connected) return cached;
      let running = fetching.get(jid);
      if (!running) {
        running = fetchOne(jid).finally(() => fetching.delete(jid));
        running.catch((err: unknown) => mod.log.warn({ err, jid }, "could not fetch the inviter's profile"));
        fetching.set(jid, running);
      }
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<undefined>((r) => { timer = setTimeout(() => r(undefined), o.inviter_profile_wait); });
      try {
        return (await Promise.race([running.catch(() => undefined), late])) ?? cached;
      } finally { clearTimeout(timer); }
    };

    const router = mod.router();
    mod.hook("inviter-shown", async ({ invite, inviter }: InviterQuery) => {
      if (!inviter.jid || !mod.config.hosts.includes(inviter.jid.slice(inviter.jid.lastIndexOf("@") + 1))) return;
      const p = await profileOf(inviter.jid);
      if (!p) return;
      const given = invite.extra["inviter_name"];
      if (p.nick && !(typeof given === "string" && given.trim() !== "")) inviter.name = p.nick.slice(0, 80);
      // An avatar configured for the invite or the site (invites_page_avatar_url) stays.
      if (p.avatar && !inviter.avatar) inviter.avatar = new URL(mod.url(`/avatar/${p.avatar}`)).pathname;
    });

    router.get("/avatar/:id", async (req: HttpRequest, res: HttpResponse) => {
      const id = String(req.params["id"]);
      const a = /^[0-9a-f]{64}$/.test(id) ? await avatars.get(id) : undefined;
      if (!a) {
        res.status(404).json({ error: "invites_profile.not_found", message: "No such avatar (only the pictures of inviters shown on a landing page are served)" });
        return;
      }
      const data = Buffer.from(a.data, "base64");
      // Named by its content: it never changes.
      res.setHeader("Cache-Control", "public, max-age=86400, immutable");
      res.setHeader("Content-Security-Policy", "default-src 'none'; sandbox");
      res.setHeader("Content-Disposition", "inline");
      res.type(a.type).send(data);
    });
    return {};
  },
});
