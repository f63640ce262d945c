// One xmpp-invites server for the bench, in plain node on the compiled code (dist/, as
// bin/xmpp-invites.js runs it): started as cli/server.ts starts it (the config checked,
// Host.create, start) with its logger at "warn", minus the XMPP link, which creating invites
// does not use. Reports its port, a key, and how long loading and the host took.
// Usage (forked by bench/invites-api.ts): serve-host.mjs --serve host DIR STORE key|nokey JSON
import { join } from "node:path";
import { performance } from "node:perf_hooks";

const started = performance.now();
const [{ checkConfig }, { Host }, { createLogger }, { runCtl }] = await Promise.all([
  import("../dist/core/config.js"), import("../dist/core/host.js"), import("../dist/core/log.js"), import("../dist/cli/ctl.js"),
]);
const loaded = performance.now();
const [, , dataDir, store, makeKey, settings] = process.argv.slice(2);
const { host: name, options } = JSON.parse(settings);
const config = checkConfig({
  hosts: [name], component: { jid: `invites.${name}`, secret: "bench" }, http: { listen: "127.0.0.1:0" }, data_dir: dataDir,
  store: store === "sqlite" ? "sqlite://invites.sqlite" : store, modules_enabled: ["invites", "invites_api"], log: { level: "warn" }, ...options,
}, join(dataDir, "config.yml"));
const host = await Host.create({ config, mode: "test", logger: createLogger({ level: "warn" }) });
const port = await host.start({ port: 0 });
const hostMs = performance.now() - loaded;
let key;
if (makeKey === "key") {
  let out = "", err = "";
  const code = await runCtl(host, ["mod_invites_api", "create", name, "bench", "--max-uses", "unlimited"], { stdout: (t) => { out += t; }, stderr: (t) => { err += t; } });
  if (code !== 0) throw new Error(err);
  key = out.trim();
}
process.send({ port, key, hostMs, importMs: loaded - started });
process.on("message", (m) => { if (m === "rss") process.send({ rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed }); });
process.on("disconnect", () => { void host.stop().then(() => process.exit(0)); });
