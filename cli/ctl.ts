// invitectl: the commands modules declare as data, turned into yargs commands.
// Exit codes: 0 ok, 1 operation failed, 2 usage error.
import yargs, { type Argv } from "yargs";
import type { Host } from "../core/host.js";
import { ModuleError } from "../core/errors.js";
import type { CtlOption, CtlOutput } from "../core/types.js";

export interface CtlIo { stdout(text: string): void; stderr(text: string): void }

export const EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2;

/** A ModuleError with status 400 is a usage error (the caller can fix the command line). */
export function exitCodeFor(err: unknown): number {
  return err instanceof ModuleError && err.status === 400 ? EXIT_USAGE : EXIT_FAILED;
}

function toYargs(o: CtlOption): Record<string, unknown> {
  return {
    type: o.type, describe: o.describe,
    ...(o.array ? { array: true } : {}), ...(o.alias ? { alias: o.alias } : {}),
    ...(o.default !== undefined ? { default: o.default } : {}), ...(o.choices ? { choices: o.choices } : {}),
  };
}

/** Global flags every invocation accepts, shared by the ctl and its extra commands. */
export function withGlobals(y: Argv): Argv {
  return y
    .option("config", { type: "string", alias: "c", describe: "Config file (default: $XMPP_INVITES_CONFIG or ./config.yml)" })
    .option("json", { type: "boolean", default: false, describe: "Print data as JSON" });
}

export type ExtraCommand = (y: Argv, io: CtlIo, setResult: (code: number) => void) => Argv;

/**
 * Runs one ctl invocation against a host loaded in ctl mode. Extra commands (such as
 * `check`) are added by the caller; everything else comes from the modules.
 */
export async function runCtl(host: Host | undefined, argv: string[], io: CtlIo, extras: ExtraCommand[] = []): Promise<number> {
  let code = EXIT_OK;
  let usage: string | undefined;
  const json = argv.includes("--json");
  const out: CtlOutput = {
    wantsJson: json,
    print: (line) => io.stdout(`${line}\n`),
    json: (value) => io.stdout(`${JSON.stringify(value, null, 2)}\n`),
  };
  let y = withGlobals(yargs(argv).scriptName("invitectl"))
    .strict()
    .demandCommand(1, "Name a command (see --help)")
    .exitProcess(false)
    // `invitectl completion` prints a bash/zsh script; the shell then asks
    // `invitectl --get-yargs-completions …`, which lists the commands of the loaded modules.
    .completion("completion", "Print a shell completion script for bash or zsh (invitectl completion >> ~/.bashrc)")
    .wrap(Math.min(110, process.stdout.columns || 100))
    .fail((msg, err) => {
      if (err) throw err;
      usage = msg;
    });
  for (const extra of extras) y = extra(y, io, (c) => { code = c; });
  const groups = new Map<string, Host["ctl"]>();
  for (const entry of host?.ctl ?? []) {
    const list = groups.get(entry.group) ?? [];
    list.push(entry);
    groups.set(entry.group, list);
  }
  for (const [group, entries] of groups) {
    const owners = [...new Set(entries.map((e) => e.owner))].join(", ");
    y = y.command(group, `Commands of ${owners}`, (sub) => {
      for (const { cmd } of entries) {
        sub.command(cmd.command, cmd.describe, (b) => {
          for (const [k, o] of Object.entries(cmd.positionals ?? {})) b.positional(k, toYargs(o));
          for (const [k, o] of Object.entries(cmd.flags ?? {})) b.option(k, toYargs(o));
          return b;
        }, async (args) => {
          // yargs still calls the handler after a failed check (e.g. --lang outside its choices): do nothing then.
          if (usage !== undefined) return;
          try {
            if (cmd.link) await host?.connectLink();
            await cmd.run(args as Record<string, unknown>, out);
          } catch (err) {
            code = exitCodeFor(err);
            if (err instanceof ModuleError) io.stderr(`invitectl: ${err.message}\n`);
            else {
              host?.log.error({ err }, "ctl command failed");
              io.stderr(`invitectl: ${(err as Error).message ?? String(err)}\n`);
            }
          }
        });
      }
      return sub.demandCommand(1, `Name a ${group} command (see invitectl ${group} --help)`);
    });
  }
  try {
    await y.parseAsync(argv, {}, (_err, _args, output) => { if (output && !usage) io.stdout(`${output}\n`); });
  } catch (err) {
    io.stderr(`invitectl: ${(err as Error).message}\n`);
    return exitCodeFor(err);
  }
  if (usage !== undefined) {
    io.stderr(`invitectl: ${usage}\nRun "invitectl --help" for the commands.\n`);
    return EXIT_USAGE;
  }
  return code;
}
