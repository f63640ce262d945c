// ejabberd's API commands as ad-hoc commands (mod_adhoc_api, ejabberd 25.03+): node
// "api-commands/<name>" on the host, a form with one field per argument, and a result form
// whose field "res" carries a rescode (0 = ok) or whose field "error" carries the refusal.
// Written from ejabberd's source (src/mod_adhoc_api.erl); no such server runs in the tests here.
import { adminErrors, type RosterItem, type Subscription } from "../admin.js";
import { CommandStepError, runCommand, type CommandResult, type Request } from "./command-client.js";
import { API_COMMAND } from "./capabilities.js";

const SUBSCRIPTIONS: readonly Subscription[] = ["none", "to", "from", "both"];

export class AdhocApi {
  constructor(private readonly request: Request) {}

  async accountExists(user: string, host: string): Promise<boolean> {
    const res = this.rescode("check_account", await this.run(host, "check_account", { user, host }));
    return res === "0";
  }

  async addContact(owner: { user: string; host: string }, contact: { user: string; host: string; name: string }): Promise<void> {
    const args = { localuser: owner.user, localhost: owner.host, user: contact.user, host: contact.host, nick: contact.name, group: "", groups: [], subs: "both" };
    const res = this.rescode("add_rosteritem", await this.run(owner.host, "add_rosteritem", args));
    if (res !== "0") throw adminErrors.refused(`ejabberd's add_rosteritem (mod_adhoc_api) failed (res ${res})`);
  }

  /** get_roster's "contacts" field: one value per contact, "jid : nick : subscription : pending : groups". */
  async roster(user: string, host: string): Promise<RosterItem[]> {
    const result = await this.run(host, "get_roster", { user, host });
    this.refusal("get_roster", result);
    return (result.fields.get("contacts") ?? []).flatMap((line) => {
      const parts = line.split(/\s*:\s*/);
      const jid = parts[0]?.trim() ?? "";
      const sub = parts.slice(1).find((p): p is Subscription => SUBSCRIPTIONS.includes(p as Subscription));
      if (!jid.includes("@") || !sub) return [];
      return [{ jid, ...(parts[1] ? { name: parts[1] } : {}), subscription: sub, groups: [] }];
    });
  }

  /** Runs the command, filling only the arguments its form asks for. */
  private async run(host: string, name: string, args: Record<string, string | string[]>): Promise<CommandResult> {
    try {
      return await runCommand(this.request, host, `${API_COMMAND}${name}`, (vars) => Object.fromEntries(vars.filter((v) => v in args).map((v) => [v, args[v]!])));
    } catch (e) {
      if (e instanceof CommandStepError) {
        if (e.step === "execute") throw adminErrors.unsupported(`ejabberd does not offer the component ${name} through mod_adhoc_api (${e.condition}); list it in the api_permissions entry for mod_adhoc_api`);
        throw adminErrors.refused(`ejabberd refused ${name} through mod_adhoc_api: ${e.remote.message}`);
      }
      throw e;
    }
  }

  private refusal(name: string, r: CommandResult): void {
    const error = r.fields.get("error");
    if (error) throw adminErrors.refused(`ejabberd refused ${name} through mod_adhoc_api: ${error.join(" ")}`);
  }

  private rescode(name: string, r: CommandResult): string {
    this.refusal(name, r);
    const res = r.fields.get("res")?.[0];
    if (res === undefined) throw adminErrors.refused(`ejabberd's ${name} (mod_adhoc_api) answered without a result`);
    return res;
  }
}
