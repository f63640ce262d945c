import { createServer } from "node:net";

// Ports handed out by this process: the OS may pick the same free port twice in a row (it was
// free both times), and a server given two equal ports refuses to start ("Overlapping
// listeners"), so a port is never handed out twice.
const given = new Set<number>();

function pick(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === "object" && addr ? addr.port : 0));
    });
  });
}

/** A TCP port free on loopback right now and not handed out before (the caller binds it next). */
export async function freePort(): Promise<number> {
  for (let i = 0; i < 100; i++) {
    const port = await pick();
    if (!given.has(port)) {
      given.add(port);
      return port;
    }
  }
  throw new Error("freePort: no fresh free port in 100 tries");
}
