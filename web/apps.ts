// The app chooser: Prosody's site_apps entries (mod_register_apps field names, so an
// existing config carries over), the visitor's platform from the User-Agent, and the
// link templates apps declare (magic_link_format, login_link_format).

export interface AppButton { text?: string; image?: string; url: string; target?: string; alttext?: string }

export interface SiteApp {
  id: string;
  name: string;
  text?: string;
  image?: string;
  link?: string;
  platforms: string[];
  supports_preauth_uri?: boolean;
  magic_link_format?: string;
  login_link_format?: string;
  download?: { text?: string; buttons?: AppButton[] };
  setup?: { text?: string };
  /** Texts in other languages, by language code: { fr: { text, setup, download } }. */
  translations?: Record<string, { text?: string; setup?: string; download?: string }>;
}

/** An app's text in the page language when it has one, else as configured. */
export function appText(app: SiteApp, lang: string, which: "text" | "setup" | "download"): string | undefined {
  const own = which === "text" ? app.text : which === "setup" ? app.setup?.text : app.download?.text;
  return own === undefined ? undefined : app.translations?.[lang]?.[which] ?? own;
}

export const PLATFORMS = ["Android", "iOS", "macOS", "Windows", "Linux", "Web"] as const;

/** An app that runs only in the browser (Movim): it opens no xmpp: URI. */
export function isWebApp(app: SiteApp): boolean {
  return app.platforms.length > 0 && app.platforms.every((p) => p.toLowerCase() === "web");
}

const PLAY = "https://play.google.com/store/apps/details?id=";

export const DEFAULT_APPS: Omit<SiteApp, "id">[] = [
  {
    name: "Conversations", platforms: ["Android"], supports_preauth_uri: true,
    text: "A chat app for Android, made for a great mobile experience.",
    link: `${PLAY}eu.siacs.conversations`,
    magic_link_format: "{app.link!}&referrer={invite.uri}",
    download: { buttons: [{ text: "Get it on Google Play", url: `${PLAY}eu.siacs.conversations` }, { text: "Get it on F-Droid", url: "https://f-droid.org/packages/eu.siacs.conversations/" }] },
    translations: { fr: { text: "Une application de discussion pour Android, pensée pour le mobile." } },
  },
  {
    name: "Monal", platforms: ["iOS", "macOS"], supports_preauth_uri: true,
    text: "A modern chat app for iPhone, iPad and Mac, easy to use with a clean interface.",
    link: "https://monal-im.org/",
    download: { buttons: [{ text: "App Store (iPhone, iPad)", url: "https://apps.apple.com/app/id317711500" }, { text: "Mac App Store", url: "https://apps.apple.com/app/id1637078500" }] },
    translations: { fr: { text: "Une application de discussion moderne pour iPhone, iPad et Mac, simple et claire." } },
  },
  {
    name: "Siskin IM", platforms: ["iOS"], supports_preauth_uri: true,
    text: "A lightweight and powerful chat app for iPhone and iPad.",
    link: "https://siskin.im/",
    download: { buttons: [{ text: "App Store", url: "https://apps.apple.com/app/id1153516838" }] },
    translations: { fr: { text: "Une application de discussion légère et complète pour iPhone et iPad." } },
  },
  {
    name: "Gajim", platforms: ["Windows", "Linux"],
    text: "A full-featured desktop chat app for Windows and Linux.",
    link: "https://gajim.org/",
    download: { buttons: [{ text: "Download Gajim", url: "https://gajim.org/download/" }] },
    setup: { text: "Start Gajim and choose \"Log in\" on the first screen, then enter your address and password." },
    translations: { fr: { text: "Une application de discussion complète pour Windows et Linux.", setup: "Lancez Gajim, choisissez « Se connecter » sur le premier écran, puis saisissez votre adresse et votre mot de passe." } },
  },
  {
    name: "Dino", platforms: ["Linux"],
    text: "A modern open-source chat app for the Linux desktop, with privacy in mind.",
    link: "https://dino.im/",
    download: { buttons: [{ text: "Download Dino", url: "https://dino.im/#download" }] },
    setup: { text: "Start Dino, choose \"Sign in\", then enter your address and password." },
    translations: { fr: { text: "Une application de discussion moderne et libre pour Linux, respectueuse de votre vie privée.", setup: "Lancez Dino, choisissez « Se connecter », puis saisissez votre adresse et votre mot de passe." } },
  },
  {
    name: "Movim", platforms: ["Web"],
    text: "Chat in your web browser, on any computer, with nothing to install.",
    link: "https://join.movim.eu/",
    download: { text: "Movim runs on servers called pods: pick any public pod and sign in there with your new address.", buttons: [{ text: "Find a Movim pod", url: "https://join.movim.eu/" }] },
    setup: { text: "Open a Movim pod in your browser and sign in with your address and password." },
    translations: { fr: { text: "Discutez dans votre navigateur, sur n'importe quel ordinateur, sans rien installer.", setup: "Ouvrez un pod Movim dans votre navigateur et connectez-vous avec votre adresse et votre mot de passe.", download: "Movim fonctionne sur des serveurs appelés pods : choisissez un pod public et connectez-vous-y avec votre nouvelle adresse." } },
  },
];

export function appId(name: string): string {
  return name.replace(/\W+/g, "-").toLowerCase().replace(/^-|-$/g, "");
}

/** Checks a site_apps value; returns why it is wrong, or undefined. */
export function checkSiteApps(raw: unknown): string | undefined {
  if (!Array.isArray(raw)) return "expected a list of apps";
  for (const [i, app] of raw.entries()) {
    const where = `app ${i + 1}`;
    if (!app || typeof app !== "object" || Array.isArray(app)) return `${where}: expected a mapping`;
    const a = app as Record<string, unknown>;
    if (typeof a["name"] !== "string" || a["name"] === "") return `${where}: "name" is required`;
    for (const k of ["id", "text", "image", "link", "magic_link_format", "login_link_format"]) {
      if (a[k] !== undefined && typeof a[k] !== "string") return `${where} (${a["name"]}): "${k}" must be a string`;
    }
    if (a["platforms"] !== undefined && (!Array.isArray(a["platforms"]) || a["platforms"].some((p) => typeof p !== "string"))) return `${where} (${a["name"]}): "platforms" must be a list of strings`;
    if (a["supports_preauth_uri"] !== undefined && typeof a["supports_preauth_uri"] !== "boolean") return `${where} (${a["name"]}): "supports_preauth_uri" must be true or false`;
    const buttons = (a["download"] as { buttons?: unknown } | undefined)?.buttons;
    if (buttons !== undefined && (!Array.isArray(buttons) || buttons.some((b) => !b || typeof (b as AppButton).url !== "string"))) return `${where} (${a["name"]}): every download button needs a "url"`;
  }
  return undefined;
}

/** The configured list (or the default), with ids, filtered by site_apps_show / site_apps_hide. */
export function buildApps(configured: Omit<SiteApp, "id">[] | undefined, show: string[], hide: string[]): SiteApp[] {
  const out: SiteApp[] = [];
  const seen = new Set<string>();
  for (const app of configured ?? DEFAULT_APPS) {
    const id = (app as Partial<SiteApp>).id ?? appId(app.name);
    if (seen.has(id) || (show.length && !show.includes(id)) || hide.includes(id)) continue;
    seen.add(id);
    out.push({ ...app, id, platforms: app.platforms ?? [] });
  }
  return out;
}

/** The visitor's platform from the User-Agent; undefined when it cannot be told. */
export function detectPlatform(ua: string | undefined): string | undefined {
  if (!ua) return undefined;
  if (/Android/i.test(ua)) return "Android";
  if (/iPhone|iPad|iPod/i.test(ua)) return "iOS";
  if (/Macintosh|Mac OS X/i.test(ua)) return "macOS";
  if (/Windows/i.test(ua)) return "Windows";
  if (/Linux|X11|CrOS|BSD/i.test(ua)) return "Linux";
  return undefined;
}

/** Apps for the visitor's platform first (in configured order), then the rest. */
export function sortApps(apps: readonly SiteApp[], platform: string | undefined): { app: SiteApp; forDevice: boolean }[] {
  const matches = (a: SiteApp) => platform !== undefined && a.platforms.some((p) => p.toLowerCase() === platform.toLowerCase());
  return [...apps.filter(matches).map((app) => ({ app, forDevice: true })), ...apps.filter((a) => !matches(a)).map((app) => ({ app, forDevice: false }))];
}

type Vars = Record<string, unknown>;

function lookup(vars: Vars, path: string): unknown {
  let v: unknown = vars;
  for (const part of path.split(".")) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Vars)[part];
  }
  return v;
}

const FILTERS: Record<string, (s: string) => string> = {
  noscheme: (s) => s.replace(/^[^:]+:/, ""),
  lower: (s) => s.toLowerCase(),
};

/**
 * Renders an app link template the way Prosody's util.interpolation does for URLs:
 * {a.b} is percent-encoded, {a.b!} inserted raw, {a.b|noscheme} filtered first,
 * {a.b?text} gives text when the value is missing.
 */
export function renderLinkTemplate(template: string, vars: Vars): string {
  return template.replace(/\{([A-Za-z_][\w.]*)((?:\|[A-Za-z_]\w*)*)(!?)(?:\?([^}]*))?\}/g, (_m, name: string, filters: string, bang: string, fallback: string | undefined) => {
    const value = lookup(vars, name);
    if (value === undefined || value === null || value === false || value === "") return fallback ?? "";
    let text = String(value);
    for (const f of filters.split("|").filter(Boolean)) text = FILTERS[f]?.(text) ?? text;
    return bang ? text : encodeURIComponent(text);
  });
}
