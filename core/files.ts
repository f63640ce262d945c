// Files that hold secrets are the process's own: data_dir 0700, the database and the log
// 0600 (SQLite gives its -wal and -shm files the database's permissions). A config file that
// holds secrets in clear and that other users can read is worth one warning line.
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from "node:fs";
import type { Logger } from "pino";

/** Creates `dir` (and its parents) as 0700; an existing one of ours is brought to 0700. */
export function privateDir(dir: string, log?: Logger): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const st = statSync(dir);
  if ((st.mode & 0o077) === 0) return;
  if (process.getuid && st.uid === process.getuid()) chmodSync(dir, 0o700);
  else log?.warn({ dir }, `data_dir ${dir} can be read by other users; make it 0700 and owned by this service's user`);
}

/** Creates `file` empty as 0600 if it does not exist, or makes it 0600 if it is ours. */
export function privateFile(file: string): void {
  if (!existsSync(file)) closeSync(openSync(file, "a", 0o600));
  const st = statSync(file);
  if ((st.mode & 0o077) !== 0 && process.getuid && st.uid === process.getuid()) chmodSync(file, 0o600);
}

/** One warning when a config file with secrets written in it can be read by other users. */
export function warnIfReadable(file: string, holdsSecrets: boolean, log: Logger): void {
  if (!holdsSecrets) return;
  let mode: number;
  try { mode = statSync(file).mode; } catch { return; }
  if ((mode & 0o044) !== 0) {
    log.warn({ file }, `${file} holds secrets and other users can read it: chmod 600 ${file} (or take the secrets from the environment with \${NAME})`);
  }
}
