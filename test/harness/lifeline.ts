// Servers the harness starts must not outlive the process that started them, however it
// ends (a test runner killed with SIGKILL, a closed terminal): each is started through
// setpriv --pdeathsig, so the kernel sends it SIGTERM when its parent dies.
import { spawnSync } from "node:child_process";

const SETPRIV = "/usr/bin/setpriv";
let checked: boolean | undefined;

function haveSetpriv(): boolean {
  checked ??= spawnSync(SETPRIV, ["--help"], { stdio: "ignore" }).status === 0;
  if (!checked) throw new Error(`${SETPRIV} is missing (util-linux); install with: apt-get install util-linux`);
  return checked;
}

/**
 * The command and arguments that run `cmd args` tied to this process. With `group`, for a
 * command that leaves children of its own (ejabberdctl's shell runs the Erlang VM as a child),
 * a shell in between passes the SIGTERM on to the whole process group (spawn it detached).
 */
export function tied(cmd: string, args: readonly string[], opts: { group?: boolean } = {}): [string, string[]] {
  haveSetpriv();
  if (!opts.group) return [SETPRIV, ["--pdeathsig", "SIGTERM", "--", cmd, ...args]];
  const script = `trap 'trap - TERM; kill -TERM 0' TERM; "$0" "$@" & wait $!; exit $?`;
  return [SETPRIV, ["--pdeathsig", "SIGTERM", "--", "/bin/sh", "-c", script, cmd, ...args]];
}
