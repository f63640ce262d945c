// invitectl mod_invites_directory add NAME ORIGIN | list | remove ID: the directory's allow-list.
import { defineErrors, type CtlCommand } from "../../core/types.js";
import { checkOrigin, type Servers } from "./servers.js";

const errors = defineErrors("invites_directory", {
  bad_origin: { status: 400, type: "modify", condition: "bad-request", message: "Bad origin" },
  not_found: { status: 404, type: "cancel", condition: "item-not-found", message: "No such server" },
});

export function directoryCtl(servers: Servers, now: () => number): CtlCommand[] {
  return [
    {
      command: "add <name> <origin>",
      describe: "Register a server that may publish codes; prints its key ID/SECRET once",
      positionals: {
        name: { type: "string", describe: "A name to recognise it by (e.g. its domain)" },
        origin: { type: "string", describe: "Where its codes may lead, e.g. https://invites.example.org" },
      },
      async run(args, out) {
        const o = checkOrigin(String(args["origin"]));
        if (!o.ok) throw errors.bad_origin(`origin: ${o.why}`);
        const { server, key } = await servers.add(String(args["name"]).slice(0, 100), o.origin, now());
        if (out.wantsJson) out.json({ id: server.id, name: server.name, origin: server.origin, key });
        else out.print(key);
      },
    },
    {
      command: "list",
      describe: "List the registered servers: ID, origin, name",
      async run(_args, out) {
        const list = await servers.list();
        if (out.wantsJson) out.json(list.map(({ secretHash: _h, ...s }) => ({ ...s, created_at: new Date(s.createdAt).toISOString() })));
        else for (const s of list) out.print(`${s.id}\t${s.origin}\t${s.name}`);
      },
    },
    {
      command: "remove <id>",
      describe: "Remove a server: its key stops working at once (its live codes run out by themselves)",
      positionals: { id: { type: "string", describe: "The server's ID (the part of its key before /)" } },
      async run(args) {
        if (!(await servers.remove(String(args["id"])))) throw errors.not_found(`No server ${String(args["id"])}`);
      },
    },
  ];
}
