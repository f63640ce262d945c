// The contract between core/ and the modules: the only core file a module (or web/)
// imports. Types and the few helpers modules need are all here; express, keyv and
// @xmpp/* stay behind it (enforced by the lint rule in eslint.config.js).
import type { Element } from "@xmpp/xml";
import type { Logger } from "pino";
import type { Router } from "express";
import type { OptionSpec, OptionValues } from "./options.js";
import type { ModuleEvents } from "./events.js";
import type { AdminPort } from "./admin.js";
import type { Kysely } from "kysely";
import type { Limiter, LimiterOptions } from "./limiter.js";

export type { Element, Logger, Router };
export type { Request as HttpRequest, Response as HttpResponse, NextFunction } from "express";

// Helpers for modules, re-exported so that this file stays their one way into core.
export { opt, type OptionSpec, type OptionValues } from "./options.js";
export { defineErrors, isModuleError, ModuleError, type ErrorSpec, type ErrorFactory, type XmppCondition, type XmppErrorType } from "./errors.js";
export { parseDuration, parseDate, parseTimeSpec, formatDuration } from "./duration.js";
export { illegalXmlChar } from "./xmpp/xml-chars.js";
export { adminErrors, type AdminPort, type Profile, type RosterItem, type Subscription, type Capability, type ContactSpec, type HostCapabilities, type ServerCapabilities } from "./admin.js";
export type { ModuleEvents } from "./events.js";
/** Builds XML elements (IQ payloads a module answers with, see mod.handleIq). */
export { default as xml } from "@xmpp/xml";
// The typed query builder modules query their own tables with (mod.db()); only core opens databases.
export { sql } from "kysely";
export type { Kysely, Transaction, Selectable, Insertable, Updateable, ExpressionBuilder } from "kysely";
export { addressKey, type Limiter, type LimiterOptions, type LimitResult } from "./limiter.js";

/** Which SQL the database speaks: the embedded SQLite or a shared PostgreSQL. */
export type Dialect = "sqlite" | "postgres";

/**
 * One step of a module's schema, applied once per database (core/migrate.ts). Released
 * migrations are never edited: add a new one. Write SQL both dialects accept, or branch on
 * `dialect`.
 */
export interface Migration {
  /** "0001_create_things": applied in name order within the module, recorded by name. */
  name: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a migration creates the tables its module's types describe
  up(db: Kysely<any>, dialect: Dialect): Promise<void>;
}

/** The server processes sharing this database (one, or several on PostgreSQL). */
export interface Instances {
  /** This process's id (random at each start). */
  readonly self: string;
  /** Ids of the instances that reported in during the last few seconds (this one included). */
  alive(): Promise<Set<string>>;
}

/** A module: one declared object, checked at load (see docs/modules.md). */
export interface ModuleDefinition<O extends Record<string, OptionSpec<unknown>> = Record<string, OptionSpec<unknown>>, A = unknown> {
  name: string;
  description?: string;
  dependencies?: readonly string[];
  /** Options the module reads from the config's top level (Prosody style), typed and defaulted. */
  options?: O;
  /** The module's tables, as migrations (see Migration); applied before setup(). */
  migrations?: readonly Migration[];
  setup(mod: ModuleContext<OptionValues<O>>): A | Promise<A>;
}

/** Identity helper so that option types flow into setup(). */
export function defineModule<O extends Record<string, OptionSpec<unknown>>, A>(def: ModuleDefinition<O, A>): ModuleDefinition<O, A> {
  return def;
}

export type Permission = "admin" | "local_user" | "any";

/** A submitted or returned XEP-0004 data form, reduced to what commands need. */
export interface FormField {
  var: string;
  type?: "boolean" | "fixed" | "hidden" | "jid-multi" | "jid-single" | "list-multi" | "list-single" | "text-multi" | "text-private" | "text-single";
  label?: string;
  desc?: string;
  required?: boolean;
  value?: string | string[];
  options?: { label?: string; value: string }[];
}

export interface DataForm {
  type: "form" | "submit" | "result" | "cancel";
  title?: string;
  instructions?: string;
  fields: FormField[];
}

export interface AdhocRequest {
  /** Full JID of the requester. */
  from: string;
  /** Bare JID of the requester. */
  fromBare: string;
  isAdmin: boolean;
  /** Cancel never reaches a command: core answers it (XEP-0050 §3.3). */
  action: "execute" | "next" | "prev" | "complete";
  sessionId: string;
  /**
   * Values of the submitted form, by var. With a declared form, core has checked them against
   * it: a single-valued field is one string, a multi-valued field (jid-multi, list-multi,
   * text-multi) an array, and nothing outside the form is here.
   */
  values: Record<string, string | string[]>;
  submitted?: DataForm;
  /** What the previous stage returned as state, if this is a later stage. */
  state?: unknown;
}

export interface AdhocNote { type: "info" | "warn" | "error"; text: string }

export interface AdhocResponse {
  status: "executing" | "completed" | "canceled";
  form?: DataForm;
  notes?: AdhocNote[];
  /** Kept by core for the next stage of the same session. */
  state?: unknown;
  /** Allowed actions while executing (default: complete). */
  actions?: ("next" | "prev" | "complete")[];
}

/**
 * A XEP-0050 ad-hoc command, provided by a module. A command with a `form` is driven by core
 * as Prosody's adhocutil.new_simple_form: execute (and prev) send the form, the submission is
 * checked against it and handed to `handler`. Without a form, `handler` sees every stage.
 */
export interface AdhocCommand {
  node: string;
  name: string;
  /** Required: core refuses a command without one (as Prosody's adhoc.lib does). */
  permission: Permission;
  /**
   * The form this requester fills in first. Return a response instead to answer at once
   * (a refusal, or "nothing to choose from"); throw a ModuleError to refuse with an error.
   */
  form?(req: AdhocRequest): DataForm | AdhocResponse | Promise<DataForm | AdhocResponse>;
  /** Runs the command: the submitted values, or a later stage (req.state) of a multi-stage answer. */
  handler(req: AdhocRequest): Promise<AdhocResponse> | AdhocResponse;
}

export interface IqRequest {
  from: string;
  to: string;
  id: string;
  type: "get" | "set";
  /** The payload element (first child of the iq). */
  element: Element;
}

/** One ctl argument or flag, declared as data and turned into yargs by cli/. */
export interface CtlOption {
  type: "string" | "number" | "boolean";
  describe: string;
  array?: boolean;
  alias?: string;
  default?: unknown;
  choices?: string[];
}

export interface CtlOutput {
  /** Data lines for humans. */
  print(line: string): void;
  /** Structured output when --json is given. */
  json(value: unknown): void;
  readonly wantsJson: boolean;
}

export interface CtlCommand {
  /** The ctl word it lives under; default "mod_<module name>" (as prosodyctl). e.g. "invite" for `invitectl invite create_account`. */
  group?: string;
  /** e.g. "create <host> [name]" (yargs positional syntax). */
  command: string;
  describe: string;
  positionals?: Record<string, CtlOption>;
  flags?: Record<string, CtlOption>;
  /**
   * Acts on the XMPP server through mod.admin: before run(), invitectl joins the component
   * link shared through the database (a running server carries the operations out), or
   * connects itself when no server runs.
   */
  link?: boolean;
  /**
   * Needs no config file: the command only talks to a running server over HTTP (an invitee's
   * `invitectl invite claim URL`). invitectl runs it even where no config can be read.
   */
  standalone?: boolean;
  /** Throw a ModuleError with status < 500 for usage errors (exit 2) and >= 500 or code *not_found for failures (exit 1). */
  run(args: Record<string, unknown>, out: CtlOutput): Promise<void> | void;
}

/** A namespaced key/value store. Failures throw StoreError; a missing key is `undefined`. */
export interface Store<T> {
  get(key: string): Promise<T | undefined>;
  getMany(keys: string[]): Promise<(T | undefined)[]>;
  set(key: string, value: T, ttlMs?: number): Promise<void>;
  delete(key: string): Promise<boolean>;
  /**
   * Atomic read-modify-write of one key: calls on the same store and key are serialized in
   * this process, and on SQLite the write is a compare-and-set, so it is atomic across
   * processes too. `fn` may therefore run more than once: keep it free of side effects.
   * Return `undefined` to delete, the same object to leave it, or a new value to write.
   */
  update(key: string, fn: (current: T | undefined) => T | undefined | Promise<T | undefined>): Promise<T | undefined>;
}

export interface HostConfig {
  /** The XMPP domains this component serves (users' hosts). */
  hosts: readonly string[];
  componentJid: string;
  /** Public base URL of the HTTP server, ending with "/". */
  baseUrl: string;
  admins: readonly string[];
  configFile: string;
  dataDir: string;
}

export type MetricLabels = Record<string, string>;
export interface MetricCounter { inc(labels?: MetricLabels, value?: number): void }
export interface MetricGauge { set(labels: MetricLabels, value: number): void }
export interface MetricHistogram {
  observe(labels: MetricLabels, seconds: number): void;
  /** Runs fn and observes how long it took, with an `outcome` label: "ok" or the error's code. */
  time<T>(labels: MetricLabels, fn: () => Promise<T>): Promise<T>;
}

/**
 * Prometheus metrics (docs/metrics.md). Names get the prefix xmpp_invites_; asking twice for
 * the same name returns the same metric. Keep label values few (a host, a kind, an error code;
 * never a JID, a token or a free text).
 */
export interface Metrics {
  counter(name: string, help: string, labels?: readonly string[]): MetricCounter;
  /** Seconds; a histogram's labels must include "outcome" when time() is used. */
  histogram(name: string, help: string, labels?: readonly string[], buckets?: readonly number[]): MetricHistogram;
  /** With `read`, the value is read at each scrape. */
  gauge(name: string, help: string, labels?: readonly string[], read?: () => number): MetricGauge;
}

/** What a module's setup() receives. */
export interface ModuleContext<O = Record<string, unknown>> {
  readonly name: string;
  readonly options: O;
  readonly config: HostConfig;
  readonly log: Logger;
  /** "server" when running the component, "ctl" when loaded by invitectl (no XMPP link, no HTTP listener). */
  readonly mode: "server" | "ctl" | "test";

  /** The public API returned by another module's setup(); it must be listed in dependencies. */
  depends<A>(name: string): A;

  hook<E extends keyof ModuleEvents>(event: E, handler: (payload: ModuleEvents[E]) => unknown, priority?: number): void;
  /** Runs handlers in priority order (highest first), awaiting each; a handler vetoes by throwing. */
  fire<E extends keyof ModuleEvents>(event: E, payload: ModuleEvents[E]): Promise<void>;

  /** Creates a Router mounted at /<module name> (or http_paths[name]). */
  router(): Router;
  /** Absolute public URL of a path under this module's mount point, e.g. url("/x") -> https://host/invites_page/x */
  url(path?: string, query?: Record<string, string>): string;
  /** A Router mounted at an absolute path (e.g. "/i" for short links); pass one to mount it instead. */
  mount(path: string, router?: Router): Router;

  provideCommand(cmd: AdhocCommand): void;
  handleIq(type: "get" | "set", xmlns: string, handler: (iq: IqRequest) => Promise<Element | void> | Element | void): void;
  provideCtl(cmd: CtlCommand): void;

  openStore<T>(name: string): Store<T>;
  /** The query builder over the host's database, typed by the module's own table interfaces. */
  db<T>(): Kysely<T>;
  readonly dialect: Dialect;
  /**
   * A rate limiter named `<module>.<name>`: `points` per `durationMs` per key, in memory
   * (bounded, least recently used first, blocked keys last) on SQLite, shared by every
   * instance on PostgreSQL. Key per-address limits with addressKey(ip).
   */
  limiter(name: string, opts: LimiterOptions): Limiter;
  readonly instances: Instances;
  /** XMPP admin operations on the served server (throws AdminError 'not-connected' in ctl mode). */
  readonly admin: AdminPort;
  isAdmin(jid: string): boolean;
  /** The client's address for per-address limits (behind a proxy only when http.trust_proxy says so). */
  clientIp(req: import("express").Request): string;
  /**
   * A 32-byte key for one purpose of this module, derived from the host's secret, which is kept
   * out of the database (core/secret.ts): for keyed hashes of what a stolen store must not reveal.
   */
  secretKey(purpose: string): Buffer;
  /** Prometheus metrics this module reports (served at /metrics when the config enables it). */
  readonly metrics: Metrics;
  /** The host's clock in epoch milliseconds: every rule that depends on time reads it (tests move it). */
  now(): number;
  /** Called on host shutdown, in reverse load order. */
  onStop(fn: () => Promise<void> | void): void;
}
