// Regression: more than ten concurrent admin requests (e.g. 25 registrations at once) made
// Node print MaxListenersExceededWarning, as each request listens for the link's "offline".
import { expect } from "chai";
import { pino } from "pino";
import { ComponentLink } from "../../core/xmpp/link.js";

describe("component link: concurrent requests", () => {
  it("lets any number of requests wait for the link's offline event without a leak warning", async () => {
    const link = new ComponentLink({
      jid: "invites.localhost", secret: "x", server: "127.0.0.1:1", hosts: ["localhost"], log: pino({ level: "silent" }),
      isAdmin: () => false, commands: new Map(), iqHandlers: new Map(),
    });
    const warnings: Error[] = [];
    const onWarning = (w: Error) => { warnings.push(w); };
    process.on("warning", onWarning);
    try {
      const listeners = Array.from({ length: 50 }, () => () => {});
      for (const l of listeners) link.once("offline", l);
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.name === "MaxListenersExceededWarning")).to.deep.equal([]);
      for (const l of listeners) link.off("offline", l);
    } finally {
      process.off("warning", onWarning);
    }
  });
});
