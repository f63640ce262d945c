// `invitectl invite greet TOKEN` and `invitectl invite claim URL`: the two sides of a
// greeting in a terminal, in the order and wording of Parsec's `invite greet` and `invite
// claim`. Each side makes its own key and nonce here and computes the codes itself; the
// server only relays (client.ts).
import type { CtlCommand, ModuleContext } from "../../core/types.js";
import { errors } from "./errors.js";
import { GreetingClient, invitation, Remote } from "./client.js";
import { choicesFor, commitment, deriveCodes, newKeyPair, newNonce, sharedSecret, type KeyPair } from "./sas.js";
import { Cancelled, terminalUi, type Ui } from "./terminal.js";
import type { GreetingView } from "./view.js";

type Args = Record<string, unknown>;

function codesOf(v: GreetingView, keys: KeyPair) {
  const peer = v.you === "greeter" ? v.claimer_key : v.greeter_key;
  if (!peer || !v.attempt || !v.commitment || !v.claimer_nonce || !v.greeter_nonce || !v.greeter_key || !v.claimer_key) throw errors.server("The server's answer lacks a part of the exchange");
  return deriveCodes(sharedSecret(keys.privateKey, peer), {
    inviteId: v.invite, attempt: v.attempt, greeterKey: v.greeter_key, claimerKey: v.claimer_key,
    commitment: v.commitment, claimerNonce: v.claimer_nonce, greeterNonce: v.greeter_nonce,
  });
}

const who = (name: string, jid: string) => (name ? `${name} <${jid}>` : `<${jid}>`);

/** "Name <user@host>", "<user@host>", "user@host" or "user": the username the greeter means. */
export function usernameFrom(answer: string, host: string): string {
  const m = /<([^<>]*)>\s*$/.exec(answer);
  const jid = (m ? m[1]! : answer).trim();
  return jid.endsWith(`@${host}`) ? jid.slice(0, -host.length - 1) : jid;
}

/** Runs one side: Ctrl-C, a closed input or an error cancels it on the server, so the other side is told. */
async function runSide(work: (ui: Ui, signal: AbortSignal, setClient: (c: GreetingClient) => void) => Promise<void>): Promise<void> {
  const ac = new AbortController();
  const stop = () => ac.abort();
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  const ui = terminalUi(ac.signal);
  let client: GreetingClient | undefined;
  try {
    await work(ui, ac.signal, (c) => { client = c; });
  } catch (e) {
    if (e instanceof Remote) throw errors.ended(e.message, { code: e.code });
    await client?.cancel();
    if (e instanceof Cancelled || ac.signal.aborted) throw errors.cancelled();
    throw e;
  } finally {
    client?.stop();
    process.off("SIGINT", stop);
    process.off("SIGTERM", stop);
    ui.close();
  }
}

export function greetingCtl(mod: Pick<ModuleContext, "url">): CtlCommand[] {
  const apiOf = (server: unknown) => {
    const own = new URL(mod.url("/api"));
    if (server === undefined) return own.href;
    let base: URL;
    try { base = new URL(String(server)); } catch { throw errors.bad_request(`--server: ${JSON.stringify(String(server).slice(0, 80))} is not a URL`, { field: "server" }); }
    return new URL(own.pathname.replace(/^\//, ""), base.href.endsWith("/") ? base.href : `${base.href}/`).href;
  };

  return [
    {
      group: "invite",
      command: "greet <token>",
      describe: "Greet the claimer of a greeted invite: exchange codes, then confirm the new user (Parsec's invite greet)",
      positionals: { token: { type: "string", describe: "The Invitation token printed by create_account --greeted" } },
      flags: { server: { type: "string", describe: "The running server's public URL (default: http.base_url)" } },
      async run(args: Args) {
        const api = apiOf(args["server"]).replace(/\/$/, "");
        await runSide(async (ui, signal, setClient) => {
          const client = new GreetingClient(api, "greeter", String(args["token"]), signal);
          setClient(client);
          const keys = newKeyPair();
          const nonce = newNonce();
          let v = await ui.step("Retrieving invitation info", () => client.join(keys.publicKey));
          v = await ui.step("Waiting for claimer", () => client.until(v, (x) => x.phase !== "waiting_for_claimer"));
          v = await client.step("commit", { commitment: commitment(nonce) });
          v = await client.until(v, (x) => x.phase !== "claimer_nonce");
          v = await client.until(await client.step("reveal", { nonce }), () => true);
          const codes = codesOf(v, keys);
          ui.line(`Code to provide to claimer: ${codes.greeter}`);
          v = await ui.step("Waiting for claimer", () => client.until(v, (x) => x.phase !== "claimer_pick"));
          const picked = await ui.select("Select code provided by claimer:", choicesFor(codes.claimer));
          v = await client.until(await client.step("trust", { ok: picked === codes.claimer }), () => true);
          v = await ui.step("Waiting for claimer information", () => client.until(v, (x) => x.phase !== "claimer_info"));
          for (;;) {
            if (v.problem) ui.line(`The account could not be created: ${v.problem}`);
            const info = v.claimer!;
            const answer = await ui.text("New user:", { initial: who(info.display_name, `${info.username}@${v.host}`) });
            const username = usernameFrom(answer, v.host);
            let roles: string[] = [];
            if (v.roles.length) roles = await ui.multiselect("Which profile? (roles to grant; none: standard)", v.roles);
            else ui.line("Which profile?: standard");
            if (!(await ui.confirm(`Create ${username}@${v.host}${roles.length ? ` with ${roles.join(", ")}` : ""}?`))) throw new Cancelled();
            try {
              v = await client.step("confirm", { username, roles });
            } catch (e) {
              if (e instanceof Remote && e.status === 400 || e instanceof Remote && e.status === 403) { ui.line(e.message); continue; }
              throw e;
            }
            v = await ui.step("Creating the user in the server", () => client.until(v, (x) => x.phase === "done" || x.phase === "greeter_review"));
            if (v.phase === "done") break;
          }
          ui.line(`New user: ${who(v.claimer?.display_name ?? "", v.jid!)}`);
        });
      },
    },
    {
      group: "invite",
      command: "claim <url>",
      standalone: true,
      describe: "Claim a greeted invite from a terminal: exchange codes with the greeter, then give your account's details (Parsec's invite claim)",
      positionals: { url: { type: "string", describe: "The Invitation URL" } },
      async run(args: Args) {
        await runSide(async (ui, signal, setClient) => {
          const inv = await ui.step("Retrieving invitation info", () => invitation(String(args["url"])));
          ui.line(`Invitation greeter: ${inv.greeter}`);
          const client = new GreetingClient(inv.api.replace(/\/$/, ""), "claimer", inv.token, signal);
          setClient(client);
          const keys = newKeyPair();
          let v = await client.join(keys.publicKey);
          v = await ui.step("Waiting the greeter to start the invitation procedure", () => client.until(v, (x) => x.phase !== "waiting_for_greeter" && x.phase !== "greeter_commit"));
          v = await client.step("nonce", { nonce: newNonce() });
          v = await client.until(v, (x) => x.phase !== "greeter_reveal");
          // The greeter committed to its nonce before it saw ours: check it kept to it.
          if (commitment(v.greeter_nonce ?? "") !== v.commitment) throw errors.ended("The greeter's nonce does not match its commitment: this attempt is not safe");
          const codes = codesOf(v, keys);
          const picked = await ui.select("Select code provided by greeter:", choicesFor(codes.greeter));
          v = await client.until(await client.step("trust", { ok: picked === codes.greeter }), () => true);
          ui.line(`Code to provide to greeter: ${codes.claimer}`);
          v = await ui.step("Waiting for greeter", () => client.until(v, (x) => x.phase !== "greeter_pick"));
          for (;;) {
            const username = inv.bound_username ?? await ui.text("Enter username:");
            if (inv.bound_username) ui.line(`Username: ${inv.bound_username}`);
            const name = await ui.text("Enter name:", { required: false });
            const password = await ui.password("Enter password:");
            if ((await ui.password("Confirm password:")) !== password) { ui.line("The passwords differ; enter them again."); continue; }
            try {
              v = await client.step("info", { username, password, display_name: name });
              break;
            } catch (e) {
              if (e instanceof Remote && (e.status === 400 || e.status === 403)) { ui.line(e.message); continue; }
              throw e;
            }
          }
          for (;;) {
            v = await ui.step("Waiting for greeter", () => client.until(v, (x) => x.phase === "creating" || x.phase === "done"));
            if (v.phase === "creating") v = await client.step("create");
            if (v.phase === "done") break;
            if (v.problem) ui.line(`The account could not be created yet: ${v.problem}`);
          }
          ui.line(`New user created: ${who(v.claimer?.display_name ?? "", v.jid!)}`);
        });
      },
    },
  ];
}
