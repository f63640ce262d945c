// The host: loads modules in dependency order, gives each its context, and owns the
// HTTP app, the stores and the component link. Modules never see these directly.
import type { Server } from "node:http";
import type { Express, Router } from "express";
import type { Logger } from "pino";
import type { Kysely } from "kysely";
import type { AdhocCommand, CtlCommand, HostConfig, IqRequest, ModuleContext, ModuleDefinition, Element } from "./types.js";
import type { AdminPort } from "./admin.js";
import { ConfigError, CORE_KEYS, type CoreConfig } from "./config.js";
import { isModuleError } from "./errors.js";
import { readOptions } from "./options.js";
import { EventBus } from "./events.js";
import { openStorage, type Storage } from "./store.js";
import { buildApp, clientIp, closeServer, listen, newRouter, type Mount } from "./http.js";
import { resolveModules } from "./loader.js";
import { createLogger } from "./log.js";
import { offlineAdmin } from "./xmpp/offline-admin.js";
import { privateDir, warnIfReadable } from "./files.js";
import { HostSecret } from "./secret.js";
import { InstanceRegistry } from "./instances.js";
import { createLimiter } from "./limiter.js";
import type { CoreTables } from "./schema.js";
import { HostMetrics, meterQueries, meteredAdmin, meteredStore } from "./metrics.js";
import { allowList, listenMetrics } from "./metrics-http.js";

export type HostMode = "server" | "ctl" | "test";
type IqHandler = (iq: IqRequest) => Promise<Element | void> | Element | void;

/** The part of the XMPP link the host uses (core/xmpp/shared-link.ts around core/xmpp/link.ts). */
export interface Link {
  start(): Promise<void>;
  stop(): Promise<void>;
  readonly connected: boolean;
  readonly lastError: string | undefined;
  readonly admin: AdminPort;
  /** Whether this instance runs the link or another instance on the same database does. */
  readonly role?: "held" | "standby";
}

export interface HostInit {
  config: CoreConfig;
  mode: HostMode;
  /** Definitions available by name besides modules/ and plugin_paths (test fixtures). */
  definitions?: ModuleDefinition[];
  logger?: Logger;
  /** Connect to the XMPP server (default: in server mode only). */
  connect?: boolean;
  /** The clock modules read (default Date.now); tests pass one they can move. */
  now?: () => number;
}

export interface LoadedModule { def: ModuleDefinition; api: unknown; stops: (() => Promise<void> | void)[] }
export interface CtlEntry { group: string; owner: string; cmd: CtlCommand }

export class Host {
  readonly modules = new Map<string, LoadedModule>();
  readonly ctl: CtlEntry[] = [];
  readonly commands = new Map<string, AdhocCommand>();
  readonly iqHandlers = new Map<string, IqHandler>();
  readonly events = new EventBus();
  readonly mounts: Mount[] = [];
  app!: Express;
  link: Link | undefined;
  private server: Server | undefined;
  readonly instances: InstanceRegistry;
  readonly secret: HostSecret;
  private metricsServer: Server | undefined;
  /** The bound port of metrics.listen, once started. */
  metricsPort: number | undefined;
  private readonly metered = new WeakMap<AdminPort, AdminPort>();
  readonly metrics: HostMetrics;
  private constructor(readonly config: CoreConfig, readonly mode: HostMode, readonly log: Logger, readonly storage: Storage, readonly now: () => number) {
    this.instances = new InstanceRegistry(storage.database.kysely as Kysely<CoreTables>, log);
    this.secret = new HostSecret(config.secretKey, config.dataDir);
    this.metrics = new HostMetrics({ process: mode === "server" && config.metrics !== undefined });
    // Timing every query costs a little on each; only when someone scrapes them.
    if (config.metrics !== undefined) meterQueries(storage.database, this.metrics);
  }

  static async create(init: HostInit): Promise<Host> {
    const { config } = init;
    const log = init.logger ?? createLogger({ level: config.log.level, file: config.log.file });
    const defs = await resolveModules(config.modulesEnabled, config.pluginPaths, new Map((init.definitions ?? []).map((d) => [d.name, d])));

    // Check every module's options before anything starts, and report all problems at once.
    const problems: string[] = [];
    const optionValues = new Map<string, Record<string, unknown>>();
    const known = new Set<string>(CORE_KEYS);
    for (const def of defs) {
      const { values, problems: p } = readOptions(def.options ?? {}, config.moduleOptions, config.file);
      optionValues.set(def.name, values);
      problems.push(...p);
      for (const k of Object.keys(def.options ?? {})) known.add(k);
    }
    for (const key of Object.keys(config.moduleOptions)) {
      if (!known.has(key)) problems.push(`${config.file}: unknown option "${key}" (no enabled module reads it; enabled: ${defs.map((d) => d.name).join(", ")})`);
    }
    if (problems.length) throw new ConfigError(problems);

    privateDir(config.dataDir, log);
    // Once, when the server starts (not on every invitectl command).
    if (init.mode === "server") warnIfReadable(config.file, config.secretsInFile, log);
    // The schema first: core's tables and every enabled module's, before any setup() runs.
    const storage = await openStorage(config.store, config.dataDir, defs.map((d) => ({ owner: d.name, migrations: d.migrations ?? [] })));
    if (storage.migrations.applied.length) log.info({ applied: storage.migrations.applied, store: storage.uri }, "store schema migrated");
    const host = new Host(config, init.mode, log, storage, init.now ?? Date.now);
    if (init.mode !== "ctl") await host.instances.start();
    if (init.connect ?? init.mode === "server") await host.attachLink();
    try {
      for (const def of defs) {
        const loaded: LoadedModule = { def, api: undefined, stops: [] };
        host.modules.set(def.name, loaded);
        loaded.api = await def.setup(host.context(def, optionValues.get(def.name) ?? {}, loaded));
      }
    } catch (e) {
      await host.stop();
      // A module that finds its options inconsistent (checks across options) names the option.
      const option = isModuleError(e) ? e.detail?.["option"] : undefined;
      if (typeof option === "string") throw new ConfigError([`${config.file}: option "${option}": ${(e as Error).message}`]);
      throw e;
    }
    host.app = buildApp({
      log, mounts: host.mounts, trustProxy: config.http.trustProxy, bodyLimit: config.http.bodyLimit,
      health: () => host.health(),
      metrics: { registry: host.metrics, ...(config.metrics?.allow.length ? { allowed: allowList(config.metrics.allow) } : {}) },
    });
    return host;
  }

  /** Creates the (shared) component link; started by start(), or by connectLink() in the ctl. */
  private async attachLink(): Promise<Link> {
    const config = this.config;
    const log = this.log;
    const { ComponentLink } = await import("./xmpp/link.js");
    const { SharedLink } = await import("./xmpp/shared-link.js");
    const linkLog = log.child({ module: "link" });
    // One instance of those sharing the database holds the component's one connection.
    const link = new SharedLink({
      jid: config.component.jid, secret: config.component.secret, database: this.storage.database, self: this.instances.self,
      log: linkLog, timeoutMs: config.component.timeoutMs,
      create: () => new ComponentLink({
        jid: config.component.jid, secret: config.component.secret, server: config.component.server,
        hosts: config.hosts, log: linkLog, isAdmin: (j: string) => this.isAdmin(j),
        commands: this.commands, iqHandlers: this.iqHandlers, name: config.component.name, timeoutMs: config.component.timeoutMs,
        ...(config.ejabberdApi ? { ejabberdApi: config.ejabberdApi } : {}),
      }),
    });
    this.link = link;
    let connects = 0;
    this.metrics.gauge("component_connected", "1 while the component link to the XMPP server is up (and its capabilities are known), else 0", [], () => (link.connected ? 1 : 0));
    const reconnects = this.metrics.counter("component_reconnects_total", "Times the component link came back after it was lost");
    const drops = this.metrics.counter("component_disconnects_total", "Times the component link to the XMPP server was lost");
    link.on("online", () => {
      if (connects++ > 0) reconnects.inc();
      this.events.fire("component-online", {}).catch((err: unknown) => log.warn({ err }, "a component-online handler failed"));
    });
    link.on("offline", () => {
      drops.inc();
      this.events.fire("component-offline", {}).catch((err: unknown) => log.warn({ err }, "a component-offline handler failed"));
    });
    return link;
  }

  /**
   * For ctl commands that act on the XMPP server (CtlCommand.link): joins the link shared
   * through the database, so that a running server carries the operations out on its own
   * connection, or connects itself when none runs. Waits until the server's capabilities are
   * known or `waitMs` has passed (operations then fail with admin.not_connected).
   */
  async connectLink(waitMs = 5_000 + this.config.component.timeoutMs): Promise<void> {
    const link = this.link ?? await this.attachLink();
    await link.start();
    const until = Date.now() + waitMs;
    while (!(link.connected && link.admin.capabilities.known) && Date.now() < until) await new Promise((r) => setTimeout(r, 50));
  }

  get hostConfig(): HostConfig {
    const c = this.config;
    return { hosts: c.hosts, componentJid: c.component.jid, baseUrl: c.http.baseUrl, admins: c.admins, configFile: c.file, dataDir: c.dataDir };
  }

  /** The XMPP admin port, every operation timed for the metrics. */
  get admin(): AdminPort {
    const port = this.link?.admin ?? offlineAdmin;
    let m = this.metered.get(port);
    if (!m) { m = meteredAdmin(port, this.metrics); this.metered.set(port, m); }
    return m;
  }

  isAdmin(jid: string): boolean {
    const bare = jid.split("/")[0]!.toLowerCase();
    return this.config.admins.includes(bare) || bare === this.config.component.jid;
  }

  api<A>(name: string): A {
    const m = this.modules.get(name);
    if (!m) throw new Error(`module "${name}" is not loaded`);
    return m.api as A;
  }

  private context(def: ModuleDefinition, options: Record<string, unknown>, loaded: LoadedModule): ModuleContext {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the context's getters and methods close over the host
    const host = this;
    const name = def.name;
    const mountPath = (this.config.http.paths[name] ?? `/${name}`).replace(/\/+$/, "") || "/";
    return {
      name, options, mode: this.mode, log: this.log.child({ module: name }),
      get config() { return host.hostConfig; },
      get admin() { return host.admin; },
      depends<A>(dep: string): A {
        if (!(def.dependencies ?? []).includes(dep)) throw new Error(`module "${name}" asked for "${dep}" without listing it in dependencies`);
        return host.api<A>(dep);
      },
      hook: (event, handler, priority) => host.events.hook(name, event, handler as (p: never) => unknown, priority),
      fire: (event, payload) => host.events.fire(event, payload),
      router(): Router {
        const router = newRouter();
        host.mounts.push({ path: mountPath, router, owner: name });
        return router;
      },
      mount(path: string, router: Router = newRouter()) {
        host.mounts.push({ path, router, owner: name });
        return router;
      },
      url(path = "", query?: Record<string, string>) {
        const base = host.config.http.baseUrl.replace(/\/$/, "");
        const q = query ? `?${new URLSearchParams(query).toString()}` : "";
        return `${base}${mountPath === "/" ? "" : mountPath}${path}${q}`;
      },
      provideCommand(cmd: AdhocCommand) {
        if (!cmd.permission) throw new Error(`module "${name}": ad-hoc command ${cmd.node} has no permission`);
        if (host.commands.has(cmd.node)) throw new Error(`module "${name}": ad-hoc command ${cmd.node} is already provided`);
        host.commands.set(cmd.node, cmd);
      },
      handleIq(type, xmlns, handler) {
        const key = `${type} ${xmlns}`;
        if (host.iqHandlers.has(key)) throw new Error(`module "${name}": an IQ handler for ${key} already exists`);
        host.iqHandlers.set(key, handler);
      },
      provideCtl(cmd: CtlCommand) { host.ctl.push({ group: cmd.group ?? `mod_${name}`, owner: name, cmd }); },
      db: <T>() => host.storage.database.kysely as Kysely<T>,
      dialect: host.storage.database.dialect,
      limiter: (limit, opts) => createLimiter(`${name}.${limit}`, opts, { pool: host.storage.database.pool }),
      instances: host.instances,
      openStore: <T>(store: string) => meteredStore(host.storage.open<T>(`${name}.${store}`), `${name}.${store}`, host.metrics),
      metrics: host.metrics,
      isAdmin: (jid: string) => host.isAdmin(jid),
      clientIp,
      now: () => host.now(),
      secretKey: (purpose: string) => host.secret.derive(name, purpose),
      onStop(fn) { loaded.stops.push(fn); },
    };
  }

  async health(): Promise<{ ok: boolean; body: Record<string, unknown> }> {
    let store = "ok";
    try { await this.storage.ping(); } catch { store = "failing"; }
    const component = this.link ? (this.link.connected ? "connected" : "disconnected") : "not configured";
    const ok = store === "ok" && (!this.link || this.link.connected);
    return {
      ok,
      body: {
        status: ok ? "ok" : "degraded",
        component: {
          jid: this.config.component.jid, state: component,
          ...(this.link?.role ? { link: this.link.role } : {}),
          ...(this.link?.lastError && !this.link.connected ? { lastError: this.link.lastError } : {}),
        },
        // What the XMPP server can do for the component (core/xmpp/capabilities.ts).
        ...(this.link ? { server: this.admin.capabilities } : {}),
        store,
        modules: [...this.modules.keys()],
      },
    };
  }

  /** Starts listening (HTTP) and connecting (XMPP). Returns the bound HTTP port. */
  async start(opts: { port?: number } = {}): Promise<number> {
    await this.link?.start();
    this.server = await listen(this.app, this.config.http.host, opts.port ?? this.config.http.port);
    const addr = this.server.address();
    const port = typeof addr === "object" && addr ? addr.port : this.config.http.port;
    // Port 0 (tests, demo) means "any free port": the public URL follows the bound one.
    if (this.config.http.port === 0) this.config.http.baseUrl = this.config.http.baseUrl.replace(/:0\//, `:${port}/`);
    this.log.info({ listen: `${this.config.http.host}:${port}`, baseUrl: this.config.http.baseUrl }, "HTTP server listening");
    const m = this.config.metrics?.listen;
    if (m) {
      this.metricsServer = await listenMetrics(this.metrics, m.host, m.port);
      const a = this.metricsServer.address();
      this.metricsPort = typeof a === "object" && a ? a.port : m.port;
      this.log.info({ listen: `${m.host}:${this.metricsPort}` }, "metrics listener serving GET /metrics");
    }
    return port;
  }

  async stop(): Promise<void> {
    if (this.server) { await closeServer(this.server); this.server = undefined; }
    if (this.metricsServer) { await closeServer(this.metricsServer); this.metricsServer = undefined; }
    for (const m of [...this.modules.values()].reverse()) {
      for (const fn of m.stops.reverse()) {
        try { await fn(); } catch (err) { this.log.warn({ err, module: m.def.name }, "error while stopping module"); }
      }
      this.events.unhookAll(m.def.name);
    }
    await this.link?.stop();
    await this.instances.stop();
    await this.storage.close();
  }
}
