// Prometheus metrics (prom-client), one registry per host. Modules report through
// mod.metrics (counters, histograms and gauges under the xmpp_invites_ prefix) and never see
// prom-client; core measures HTTP requests, the component link, admin operations and the
// store here. Serving /metrics (a listener of its own, or the main one behind an allow-list)
// is in core/metrics-http.ts; nothing is served unless the config's `metrics` says so.
import { AliasNode, DeleteQueryNode, InsertQueryNode, SelectQueryNode, TableNode, UpdateQueryNode, type LogEvent, type OperationNode } from "kysely";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { AdminPort } from "./admin.js";
import { isModuleError } from "./errors.js";
import { ADMIN_OPS } from "./xmpp/admin-relay.js";
import type { MetricCounter, MetricGauge, MetricHistogram, MetricLabels, Metrics, Store } from "./types.js";

export const PREFIX = "xmpp_invites_";
const NAME = /^[a-z][a-z0-9_]{0,80}$/;
/** Seconds: from a cache hit to an XMPP round trip that timed out. */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** An error's code for an `outcome` label: a ModuleError's (bounded), else "error". */
export function outcomeOf(err: unknown): string {
  return isModuleError(err) ? err.code : "error";
}

export class HostMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly made = new Map<string, { kind: string; labels: string; metric: unknown }>();

  constructor(opts: { process: boolean }) {
    // CPU, memory, event loop lag and the like, only where someone reads them.
    if (opts.process) collectDefaultMetrics({ register: this.registry, prefix: PREFIX });
  }

  private get<T>(kind: string, name: string, labels: readonly string[], make: (full: string) => T): T {
    if (!NAME.test(name)) throw new Error(`metric name ${JSON.stringify(name)}: lower case letters, digits and _ only`);
    const key = labels.join(",");
    const had = this.made.get(name);
    if (had) {
      if (had.kind !== kind || had.labels !== key) throw new Error(`metric ${name} is already a ${had.kind} with labels [${had.labels}]`);
      return had.metric as T;
    }
    const metric = make(`${PREFIX}${name}`);
    this.made.set(name, { kind, labels: key, metric });
    return metric;
  }

  counter(name: string, help: string, labels: readonly string[] = []): MetricCounter {
    const c = this.get("counter", name, labels, (n) => new Counter({ name: n, help, labelNames: [...labels], registers: [this.registry] }));
    return { inc: (l: MetricLabels = {}, v = 1) => c.inc(l, v) };
  }

  histogram(name: string, help: string, labels: readonly string[] = [], buckets: readonly number[] = BUCKETS): MetricHistogram {
    const h = this.get("histogram", name, labels, (n) => new Histogram({ name: n, help, labelNames: [...labels], buckets: [...buckets], registers: [this.registry] }));
    const observe = (l: MetricLabels, seconds: number) => h.observe(l, seconds);
    return {
      observe,
      async time<T>(l: MetricLabels, fn: () => Promise<T>): Promise<T> {
        const start = process.hrtime.bigint();
        const took = () => Number(process.hrtime.bigint() - start) / 1e9;
        try {
          const out = await fn();
          observe({ ...l, outcome: "ok" }, took());
          return out;
        } catch (err) {
          observe({ ...l, outcome: outcomeOf(err) }, took());
          throw err;
        }
      },
    };
  }

  gauge(name: string, help: string, labels: readonly string[] = [], read?: () => number): MetricGauge {
    const g = this.get("gauge", name, labels, (n) => new Gauge({
      name: n, help, labelNames: [...labels], registers: [this.registry],
      ...(read ? { collect(this: Gauge) { this.set(read()); } } : {}),
    }));
    return { set: (l: MetricLabels, v: number) => g.set(l, v) };
  }

  /** The text a Prometheus server scrapes. */
  text(): Promise<string> { return this.registry.metrics(); }
  get contentType(): string { return this.registry.contentType; }
}

/** The admin port with every operation timed by operation and outcome. */
export function meteredAdmin(port: AdminPort, metrics: HostMetrics): AdminPort {
  const h = metrics.histogram("admin_operation_duration_seconds", "XMPP admin operations the component asked of the server, by operation and outcome", ["operation", "outcome"]);
  const wrapped = Object.create(port) as Record<string, unknown>;
  for (const op of ADMIN_OPS) {
    const fn = (port as unknown as Record<string, unknown>)[op];
    if (typeof fn !== "function") continue;
    wrapped[op] = (...args: unknown[]) => h.time({ operation: op }, () => (fn as (...a: unknown[]) => Promise<unknown>).apply(port, args));
  }
  return wrapped as unknown as AdminPort;
}

/** A store with every operation timed by store and operation. */
export function meteredStore<T>(store: Store<T>, namespace: string, metrics: HostMetrics): Store<T> {
  const h = metrics.histogram("store_operation_duration_seconds", "Store operations, by store (module.name), operation and outcome", ["store", "op", "outcome"]);
  const t = <R>(op: string, fn: () => Promise<R>) => h.time({ store: namespace, op }, fn);
  return {
    get: (key) => t("get", () => store.get(key)),
    getMany: (keys) => t("getMany", () => store.getMany(keys)),
    set: (key, value, ttl) => t("set", () => store.set(key, value, ttl)),
    delete: (key) => t("delete", () => store.delete(key)),
    update: (key, fn) => t("update", () => store.update(key, fn)),
  };
}

/** The table a query works on, and what it does to it: ["invites", "update"]; raw SQL is ["sql", "raw"]. */
export function queryLabels(node: OperationNode): { table: string; op: string } {
  const name = (t: OperationNode | undefined): string | undefined => {
    if (!t) return undefined;
    if (TableNode.is(t)) return t.table.identifier.name;
    if (AliasNode.is(t)) return name(t.node);
    return undefined;
  };
  if (SelectQueryNode.is(node)) return { table: name(node.from?.froms[0]) ?? "sql", op: "select" };
  if (InsertQueryNode.is(node)) return { table: name(node.into) ?? "sql", op: "insert" };
  if (UpdateQueryNode.is(node)) return { table: name(node.table) ?? "sql", op: "update" };
  if (DeleteQueryNode.is(node)) return { table: name(node.from.froms[0]) ?? "sql", op: "delete" };
  return { table: "sql", op: "raw" };
}

/** Every SQL query timed by table, operation and outcome (kysely's log hook). */
export function meterQueries(db: { onQuery(listener: (event: LogEvent) => void): void }, metrics: HostMetrics): void {
  const h = metrics.histogram("sql_query_duration_seconds", "SQL queries of the modules' tables, by table, operation (select, insert, update, delete, raw) and outcome", ["table", "op", "outcome"]);
  db.onQuery((e) => {
    const { table, op } = queryLabels(e.query.query);
    h.observe({ table, op, outcome: e.level === "query" ? "ok" : "error" }, e.queryDurationMillis / 1000);
  });
}
