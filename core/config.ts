// Reads and checks the config file. Every problem is collected and reported at once,
// each naming the key and the file, so an admin fixes them in one go.
import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parse as parseYaml, YAMLParseError } from "yaml";
import { Ajv2020 } from "ajv/dist/2020.js";
import { badAllowEntry } from "./metrics-http.js";

export const CORE_KEYS = ["hosts", "component", "http", "data_dir", "store", "admins", "modules_enabled", "plugin_paths", "log", "ejabberd_api", "secret_key", "metrics"] as const;

export interface CoreConfig {
  file: string;
  hosts: string[];
  component: { jid: string; secret: string; server: string; name: string; timeoutMs: number };
  http: { host: string; port: number; baseUrl: string; paths: Record<string, string>; trustProxy: boolean | string | number; bodyLimit: string };
  dataDir: string;
  store: string;
  admins: string[];
  modulesEnabled: string[];
  pluginPaths: string[];
  log: { level: string; file: string | undefined };
  /** ejabberd's HTTP API (mod_http_api), for contacts and account checks on ejabberd. */
  ejabberdApi: { url: string; user?: string; password?: string } | undefined;
  /** Prometheus metrics (off when undefined): a listener of its own, and/or GET /metrics on the main one for these addresses. */
  metrics: { listen: { host: string; port: number } | undefined; allow: string[] } | undefined;
  /** Everything else at the top level: module options. */
  moduleOptions: Record<string, unknown>;
  /** Whether the file itself holds a secret (one not taken from the environment with ${NAME}). */
  secretsInFile: boolean;
  /** The host secret (secret_key), or undefined for the key file in data_dir (core/secret.ts). */
  secretKey: string | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const schemaPath = resolve(dirname(fileURLToPath(import.meta.url)), "../config/schema.json");
const ajv = new Ajv2020({ allErrors: true, strict: false, useDefaults: false });
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")) as object);

export const DEFAULT_MODULES = ["invites", "invites_api", "invites_page", "invites_register", "invites_adhoc", "invites_inapp"];

/** Replaces ${NAME} with the environment variable NAME; a missing one is a problem. */
function interpolate(value: unknown, env: NodeJS.ProcessEnv, path: string, problems: string[]): unknown {
  if (typeof value === "string") {
    return value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, name: string) => {
      const v = env[name];
      if (v === undefined || v === "") { problems.push(`${path}: environment variable ${name} is not set`); return ""; }
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, `${path}[${i}]`, problems));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, path ? `${path}.${k}` : k, problems)]));
  }
  return value;
}

export function loadConfigFile(file: string, env: NodeJS.ProcessEnv = process.env): CoreConfig {
  const abs = resolve(file);
  let text: string;
  try { text = readFileSync(abs, "utf8"); } catch (e) {
    throw new ConfigError([`${abs}: cannot read the config file (${(e as NodeJS.ErrnoException).code ?? String(e)})`]);
  }
  let raw: unknown;
  try { raw = parseYaml(text); } catch (e) {
    const where = e instanceof YAMLParseError && e.linePos ? ` line ${e.linePos[0].line}` : "";
    throw new ConfigError([`${abs}${where}: not valid YAML: ${(e as Error).message.split("\n")[0]}`]);
  }
  return checkConfig(raw, abs, env);
}

/** Keys whose values are secrets, at any depth of the config. */
const SECRET_KEY = /secret|password|passphrase|api_key|token/i;

function holdsSecret(value: unknown, key = ""): boolean {
  if (typeof value === "string") return SECRET_KEY.test(key) && value !== "" && !/\$\{[A-Za-z_]/.test(value);
  if (value && typeof value === "object") return Object.entries(value).some(([k, v]) => holdsSecret(v, Array.isArray(value) ? key : k));
  return false;
}

export function checkConfig(raw: unknown, file: string, env: NodeJS.ProcessEnv = process.env): CoreConfig {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) throw new ConfigError([`${file}: the config must be a mapping of keys to values`]);
  const problems: string[] = [];
  const data = interpolate(raw, env, "", problems) as Record<string, unknown>;
  if (problems.length) throw new ConfigError(problems.map((p) => `${file}: ${p}`));
  if (!validate(data)) {
    for (const err of validate.errors ?? []) {
      const key = err.instancePath.replace(/^\//, "").replace(/\//g, ".") || "(top level)";
      const message = err.keyword === "required" ? `missing required key "${String(err.params["missingProperty"])}"`
        : err.keyword === "additionalProperties" ? `unknown key "${String(err.params["additionalProperty"])}"`
        : err.keyword === "enum" ? `must be one of ${(err.params["allowedValues"] as unknown[]).join(", ")}`
        : err.keyword === "pattern" && key === "store" ? "use sqlite://FILE (relative to data_dir), postgres://USER:PASSWORD@HOST:PORT/DATABASE, or memory://"
        : err.message ?? "invalid";
      problems.push(`${file}: ${key}: ${message}`);
    }
  }
  if (problems.length) throw new ConfigError(problems);

  const dir = dirname(file);
  const component = data["component"] as Record<string, unknown>;
  const http = (data["http"] ?? {}) as Record<string, unknown>;
  const log = (data["log"] ?? {}) as Record<string, unknown>;
  const listen = String(http["listen"] ?? "127.0.0.1:5280");
  const sep = listen.lastIndexOf(":");
  const host = listen.slice(0, sep).replace(/^\[|\]$/g, "");
  const port = Number(listen.slice(sep + 1));
  if (port > 65535) problems.push(`${file}: http.listen: port ${port} is out of range`);
  const baseUrl = String(http["base_url"] ?? `http://${host.includes(":") ? `[${host}]` : host}:${port}/`);
  const dataDir = resolve(dir, String(data["data_dir"] ?? "data"));
  const timeout = component["timeout"];
  const timeoutMs = typeof timeout === "number" ? timeout * 1000 : typeof timeout === "string" ? Number.parseFloat(timeout) * 1000 : 10_000;
  if (!(timeoutMs > 0)) problems.push(`${file}: component.timeout: expected a positive number of seconds`);
  const ejabberdApi = data["ejabberd_api"] as { url: string; user?: string; password?: string } | undefined;
  if (ejabberdApi) problems.push(...checkEjabberdApi(ejabberdApi).map((p) => `${file}: ejabberd_api: ${p}`));
  const metrics = readMetrics(data["metrics"] as { listen?: string; allow?: string[] } | undefined);
  for (const p of metrics.problems) problems.push(`${file}: metrics: ${p}`);
  if (problems.length) throw new ConfigError(problems);

  const moduleOptions: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) if (!(CORE_KEYS as readonly string[]).includes(k)) moduleOptions[k] = v;

  return {
    file,
    hosts: (data["hosts"] as string[]).map((h) => h.toLowerCase()),
    component: {
      jid: String(component["jid"]).toLowerCase(),
      secret: String(component["secret"]),
      server: String(component["server"] ?? "127.0.0.1:5347"),
      name: String(component["name"] ?? "Invites"),
      timeoutMs,
    },
    http: {
      host, port,
      baseUrl: baseUrl.endsWith("/") ? baseUrl : `${baseUrl}/`,
      paths: (http["paths"] ?? {}) as Record<string, string>,
      trustProxy: (http["trust_proxy"] ?? false) as boolean | string | number,
      bodyLimit: String(http["body_limit"] ?? "64kb"),
    },
    dataDir,
    store: String(data["store"] ?? "sqlite://invites.sqlite"),
    admins: ((data["admins"] ?? []) as string[]).map((a) => a.toLowerCase()),
    modulesEnabled: (data["modules_enabled"] ?? DEFAULT_MODULES) as string[],
    pluginPaths: ((data["plugin_paths"] ?? []) as string[]).map((p) => resolve(dir, p)),
    log: { level: String(log["level"] ?? "info"), file: log["file"] === undefined ? undefined : resolve(dir, String(log["file"])) },
    ejabberdApi: ejabberdApi ? { ...ejabberdApi } : undefined,
    metrics: metrics.value,
    moduleOptions,
    secretsInFile: holdsSecret(raw),
    secretKey: typeof data["secret_key"] === "string" ? data["secret_key"] : undefined,
  };
}

function splitListen(listen: string): { host: string; port: number } {
  const sep = listen.lastIndexOf(":");
  return { host: listen.slice(0, sep).replace(/^\[|\]$/g, ""), port: Number(listen.slice(sep + 1)) };
}

function readMetrics(raw: { listen?: string; allow?: string[] } | undefined): { value: CoreConfig["metrics"]; problems: string[] } {
  if (raw === undefined) return { value: undefined, problems: [] };
  const problems: string[] = [];
  if (raw.listen === undefined && raw.allow === undefined) problems.push("give listen (a listener of its own) or allow (addresses that may GET /metrics on the main listener), or remove the key");
  const listen = raw.listen === undefined ? undefined : splitListen(raw.listen);
  if (listen && listen.port > 65535) problems.push(`listen: port ${listen.port} is out of range`);
  for (const entry of raw.allow ?? []) { const bad = badAllowEntry(entry); if (bad) problems.push(`allow: ${bad}`); }
  return { value: { listen, allow: [...(raw.allow ?? [])] }, problems };
}

/**
 * The API's credentials travel in the clear over http: only to this machine. The user is an
 * ejabberd account (HTTP Basic), so both halves go together.
 */
function checkEjabberdApi(api: { url: string; user?: string; password?: string }): string[] {
  const problems: string[] = [];
  let url: URL | undefined;
  try { url = new URL(api.url); } catch { problems.push(`url: not a URL: ${JSON.stringify(api.url)}`); }
  if (url && url.protocol === "http:" && !/^(127\.\d+\.\d+\.\d+|localhost|\[::1\])$/.test(url.hostname)) {
    problems.push(`url: plain http only to a loopback address (127.0.0.1, ::1, localhost), got ${url.hostname}; use https for another machine`);
  }
  if ((api.user === undefined) !== (api.password === undefined)) problems.push("user and password go together (HTTP Basic credentials of an ejabberd account)");
  return problems;
}
