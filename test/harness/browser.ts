// Headless Chromium for the browser tests and the screenshots, through playwright-core.
import { existsSync } from "node:fs";
import { chromium, type Browser, type BrowserContext } from "playwright-core";

export const CHROMIUM = process.env["CHROMIUM_PATH"] ?? "/usr/bin/chromium";

export const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true,
  userAgent: "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Mobile Safari/537.36" };
export const DESKTOP = { viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1,
  userAgent: "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36" };

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

/** A fresh context (own cookies) that records page errors and any request leaving `origin`. */
export async function newContext(browser: Browser, origin: string, device: typeof PHONE | typeof DESKTOP = DESKTOP, extra: { locale?: string; colorScheme?: "light" | "dark" } = {}): Promise<{ context: BrowserContext; external: string[]; errors: string[] }> {
  const context = await browser.newContext({ ...device, ...extra });
  const external: string[] = [];
  const errors: string[] = [];
  // The pages must work with nothing from elsewhere: record (and block) any other origin.
  await context.route("**/*", (route) => {
    const url = route.request().url();
    if (url.startsWith(origin)) return route.continue();
    external.push(url);
    return route.abort();
  });
  context.on("page", (page) => {
    page.on("pageerror", (e) => errors.push(e.message));
    page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
  });
  return { context, external, errors };
}
