// The landing page and web registration under load.
// 1. GET /invites_page?TOKEN with a valid token at 16 connections (autocannon), against
//    Prosody's own mod_invites_page on the same machine when prosody is installed
//    (aim: at least 10x Prosody's rate, p99 at most 20 ms).
// 2. A registration burst on a test Prosody: 500 registrations through the web form on
//    one invite with 500 uses (16 in flight), then a 501st that must be refused; the
//    accounts on disk are counted. Printed next to 500 bare XEP-0133 add-user calls made
//    through the same component link on the same server.
// Servers run as child processes so that the load generator does not share their event
// loop. Figures are printed, not asserted (the checks on counts are reported as FAILED).
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { haveProsody, line, load, prosodyBenchConfig, startChild as startChildOf, stopChild, type Measured } from "./common.js";
import type { InvitesApi } from "../modules/invites/types.js";

const REGISTRATIONS = 500;
const IN_FLIGHT = 16;
const PASSWORD = "bench-password-123";
const NO_LIMITS = { invites_page_rate_limit: 0, register_rate_limit: 0, register_lookup_rate_limit: 0 };

const self = fileURLToPath(import.meta.url);

// ---- child side: the host under test ----------------------------------------------------
interface Ready { port: number; token: string }

async function serveHost(dataDir: string, xmpp: string | undefined): Promise<void> {
  const { startTestHost } = await import("../test/helpers/host.js");
  const [server, jid, secret] = xmpp ? xmpp.split(" ") : [];
  const t = await startTestHost({
    enabled: ["invites", "invites_page", "invites_register"], store: "sqlite", http: true, dataDir,
    options: NO_LIMITS, config: { log: { level: "warn" } },
    ...(server ? { xmpp: { server, jid: jid!, secret: secret! } } : {}),
  });
  if (server) {
    for (let i = 0; i < 200 && !t.host.link?.connected; i++) await new Promise((r) => setTimeout(r, 50));
    if (!t.host.link?.connected) throw new Error(`component did not connect: ${t.host.link?.lastError}`);
  }
  const invites = t.api<InvitesApi>("invites");
  const created = await invites.createAccount({ host: "localhost", source: "bench", usesAllowed: REGISTRATIONS, inviter: "ann@localhost" });
  process.on("message", (m: { bare?: number }) => {
    if (!m.bare) return;
    // Bare XEP-0133 add-user calls through the same link, as many in flight as the burst.
    const start = Date.now();
    let next = 0, failed = 0;
    const worker = async () => {
      while (next < m.bare!) {
        const i = next++;
        await t.host.admin.createAccount(`bare${i}@localhost`, PASSWORD).catch(() => { failed++; });
      }
    };
    void Promise.all(Array.from({ length: IN_FLIGHT }, worker)).then(() => process.send!({ ms: Date.now() - start, failed }));
  });
  process.send!({ port: Number(new URL(t.baseUrl).port), token: created.token } satisfies Ready);
  process.on("disconnect", () => { void t.stop().then(() => process.exit(0)); });
}

if (process.argv[2] === "--serve") await serveHost(process.argv[3]!, process.argv[4]);

// ---- parent side ----------------------------------------------------------------------
const startChild = (args: string[]) => startChildOf<Ready>(self, args);

/** Prosody 0.12's own mod_invites_page (with mod_register_apps), one invite made by prosodyctl. */
async function benchProsodyPage(report: (line: string) => void): Promise<Measured | undefined> {
  if (!haveProsody()) { report("prosody: not installed, Prosody's landing page not measured"); return undefined; }
  const { dir, cfg, http } = await prosodyBenchConfig("xi-bench-prosody-page-", ["http", "invites", "invites_page", "register_apps"],
    [`http_external_url = "http://localhost:{http}/"`, `http_default_host = "localhost"`]);
  const made = spawnSync("prosodyctl", ["--config", cfg, "mod_invites", "generate", "localhost"], { encoding: "utf8" });
  const token = /(?:preauth=|\?)([A-Za-z0-9_-]{16,})\s*$/m.exec(made.stdout)?.[1];
  if (!token) throw new Error(`prosodyctl did not make an invite: ${made.stdout}${made.stderr}`);
  const proc = spawn("prosody", ["--config", cfg], { stdio: "ignore" });
  try {
    const url = `http://127.0.0.1:${http}/invites_page?${token}`;
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = await fetch(url, { headers: { Host: "localhost" } }).then((r) => r.status, () => 0);
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    if (status !== 200) throw new Error(`Prosody's invites_page answered ${status}`);
    const m = await load(url, { Host: "localhost" });
    report(line("Prosody 0.12 mod_invites_page, valid token", m));
    return m;
  } finally {
    proc.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function benchLanding(report: (line: string) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "xi-bench-page-"));
  try {
    const host = await startChild([dir]);
    const ours = await load(`http://127.0.0.1:${host.port}/invites_page?${host.token}`, { "User-Agent": "Mozilla/5.0 (Linux; Android 14)" });
    await stopChild(host);
    report(line("xmpp-invites /invites_page, valid token (SQLite)", ours));
    report(`  aim: p99 at most 20 ms -> ${ours.p99 <= 20 ? "met" : "NOT met"}`);
    const prosody = await benchProsodyPage(report);
    if (prosody) report(`  xmpp-invites / Prosody: ${(ours.rate / prosody.rate).toFixed(1)}x the rate (aim: at least 10x); p99 ${ours.p99} vs ${prosody.p99} ms`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Loads the form once (cookie + CSRF token), then posts `n` registrations, IN_FLIGHT at a time. */
async function burst(base: string, token: string, n: number): Promise<{ ms: number; statuses: Map<number, number>; post: (user: string) => Promise<number> }> {
  const form = await fetch(`${base}/register?t=${token}`);
  const html = await form.text();
  const cookie = (form.headers.get("set-cookie") ?? "").split(";")[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  const post = async (user: string) => {
    const r = await fetch(`${base}/register`, {
      method: "POST", redirect: "manual", headers: { "content-type": "application/x-www-form-urlencoded", cookie },
      body: new URLSearchParams({ csrf, token, user, password: PASSWORD }),
    });
    await r.arrayBuffer();
    return r.status;
  };
  const statuses = new Map<number, number>();
  const start = Date.now();
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const s = await post(`user${i}`).catch(() => 0);
      statuses.set(s, (statuses.get(s) ?? 0) + 1);
    }
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return { ms: Date.now() - start, statuses, post };
}

async function benchRegistration(report: (line: string) => void): Promise<void> {
  const { startProsody } = await import("../test/harness/prosody.js");
  const prosody = await startProsody();
  const dir = mkdtempSync(join(tmpdir(), "xi-bench-register-"));
  try {
    const host = await startChild([dir, `${prosody.componentServer} ${prosody.componentJid} ${prosody.componentSecret}`]);
    const base = `http://127.0.0.1:${host.port}`;
    const b = await burst(base, host.token, REGISTRATIONS);
    const extra = await b.post("one-too-many");
    const ok = b.statuses.get(200) ?? 0;
    const accounts = readdirSync(join(prosody.dataDir, "localhost", "accounts")).filter((f) => f.endsWith(".dat")).length;
    const errors = REGISTRATIONS - ok;
    report(`web registration burst: ${REGISTRATIONS} registrations on one invite (uses_allowed ${REGISTRATIONS}), ${IN_FLIGHT} in flight: ${b.ms} ms wall, ${(REGISTRATIONS / (b.ms / 1000)).toFixed(0)}/s`);
    report(`  statuses ${JSON.stringify(Object.fromEntries(b.statuses))}; errors ${errors}; accounts on the server ${accounts}; request ${REGISTRATIONS + 1} answered ${extra}`);
    const good = errors === 0 && accounts === REGISTRATIONS && extra === 410;
    report(`  ${good ? "ok" : "FAILED"}: expected 0 errors, exactly ${REGISTRATIONS} accounts and 410 for the ${REGISTRATIONS + 1}st`);

    const bare = await new Promise<{ ms: number; failed: number }>((resolve) => {
      host.proc.once("message", (m) => resolve(m as { ms: number; failed: number }));
      host.proc.send({ bare: REGISTRATIONS });
    });
    report(`bare XEP-0133 add-user through the same component link: ${REGISTRATIONS} accounts in ${bare.ms} ms wall (${bare.failed} failed), ${IN_FLIGHT} in flight`);
    report(`  web registration / bare add-user: ${(b.ms / bare.ms).toFixed(2)}x the wall time (each web registration also checks the name is free, validates, reserves and completes the invite)`);
    await stopChild(host);
    if (!good) throw new Error("registration burst counts were wrong");
  } finally {
    await prosody.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPages(report: (line: string) => void): Promise<void> {
  await benchLanding(report);
  await benchRegistration(report);
}

if (process.argv[1] === self && process.argv[2] !== "--serve") await benchPages((l) => process.stdout.write(`${l}\n`));
