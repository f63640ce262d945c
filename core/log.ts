// Structured logs. Secrets are redacted by key wherever they appear, so a careless
// log call cannot leak a token, a password or an API key.
import { pino, type Logger, type DestinationStream } from "pino";

export const REDACT_PATHS = [
  "token", "password", "secret", "key", "authorization",
  "*.token", "*.password", "*.secret", "*.key", "*.authorization",
  "*.*.token", "*.*.password", "*.*.secret",
  "req.headers.authorization", "req.headers.cookie", "headers.authorization", "headers.cookie",
];

export function createLogger(opts: { level: string; file?: string | undefined; stream?: DestinationStream }): Logger {
  // The log holds addresses and usernames: 0600, like the other files of the service.
  const destination = opts.stream ?? (opts.file ? pino.destination({ dest: opts.file, mkdir: true, sync: false, mode: 0o600 }) : pino.destination(2));
  return pino({ level: opts.level, redact: { paths: REDACT_PATHS, censor: "[redacted]" }, base: { name: "xmpp-invites" } }, destination);
}
