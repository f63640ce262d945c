// Structured logs. Secrets are redacted by key wherever they appear, so a careless
// log call cannot leak a token, a password or an API key.
import { pino, type Logger, type DestinationStream } from "pino";

export const REDACT_PATHS = [
  "token", "password", "secret", "key", "authorization",
  "*.token", "*.password", "*.secret", "*.key", "*.authorization",
  "*.*.token", "*.*.password", "*.*.secret",
  "req.headers.authorization", "req.headers.cookie", "headers.authorization", "headers.cookie",
];

const files = new WeakMap<Logger, { reopen(): void }>();

export function createLogger(opts: { level: string; file?: string | undefined; stream?: DestinationStream }): Logger {
  // The log holds addresses and usernames: 0600, like the other files of the service.
  const file = opts.stream ? undefined : opts.file ? pino.destination({ dest: opts.file, mkdir: true, sync: false, mode: 0o600 }) : undefined;
  const destination = opts.stream ?? file ?? pino.destination(2);
  const logger = pino({ level: opts.level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, base: { name: "xmpp-invites" } }, destination);
  if (file) files.set(logger, file);
  return logger;
}

/**
 * Opens the log file again under its name (after logrotate moved it away: SIGHUP, as
 * deploy/logrotate.conf sends). False when the logger writes to no file.
 */
export function reopenLog(logger: Logger): boolean {
  const file = files.get(logger);
  if (!file) return false;
  file.reopen();
  return true;
}
