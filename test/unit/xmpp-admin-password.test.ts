// Regression: a password with a line break reached Prosody, which refused it as "Failed to
// write data to disk", and web registration answered 500. Control characters are refused
// by the admin port itself now, as a 400 that says why, before anything is sent.
import { expect } from "chai";
import { isModuleError } from "../../core/errors.js";
import { createAdminPort, type AdminTransport } from "../../core/xmpp/admin-ops.js";

describe("admin port: passwords XMPP cannot carry", () => {
  const sent: unknown[] = [];
  const port = createAdminPort({
    connected: true, hosts: ["example.org"], privileges: {}, privilegesFor: () => ({}),
    async request(iq) { sent.push(iq); throw new Error("nothing should be sent"); },
  } satisfies AdminTransport);

  for (const password of ["line\nbreak", "\r\nSet-Cookie: x=1", "tab\there", "nul\u0000", "del\u007f", "c1\u0085"]) {
    it(`refuses ${JSON.stringify(password)} for createAccount and changePassword with core.bad_request`, async () => {
      for (const call of [() => port.createAccount("new@example.org", password), () => port.changePassword("old@example.org", password)]) {
        let err: unknown;
        try { await call(); } catch (e) { err = e; }
        expect(isModuleError(err, "core.bad_request"), String(err)).to.equal(true);
        expect((err as Error).message).to.contain("control character");
      }
      expect(sent).to.deep.equal([]);
    });
  }
});
