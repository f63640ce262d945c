// The pieces of the inviter's profile that need no server: the XEP-0356 iq privilege as
// Prosody's mod_privilege writes it, what an avatar may be, and the size bound on its data.
import { expect } from "chai";
import xml from "@xmpp/xml";
import { readPrivileges } from "../../core/xmpp/privileges.js";
import { fetchProfile } from "../../core/xmpp/profile.js";
import { imageType } from "../../modules/invites_profile/image.js";

const PNG = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(40, 1)]);

describe("inviter profile (unit)", () => {
  it("reads every iq namespace, also those Prosody's mod_privilege nests inside the one before", () => {
    const msg = xml("message", { from: "localhost" }, xml("privilege", { xmlns: "urn:xmpp:privilege:2" },
      xml("perm", { access: "roster", type: "both" }),
      xml("perm", { access: "iq" }, xml("namespace", { ns: "http://jabber.org/protocol/pubsub", type: "get" }, xml("namespace", { ns: "vcard-temp", type: "get" })))));
    const got = readPrivileges(msg, ["localhost"])!;
    expect(got.perms).to.deep.equal({ roster: "both" });
    expect(got.iq).to.deep.equal({ "http://jabber.org/protocol/pubsub": "get", "vcard-temp": "get" });
  });

  it("serves PNG, JPEG, GIF and WebP only, recognised by their bytes and agreeing with the declared type", () => {
    expect(imageType(PNG, "image/png")).to.equal("image/png");
    expect(imageType(PNG, "")).to.equal("image/png");
    expect(imageType(PNG, "image/jpeg")).to.equal(undefined);
    expect(imageType(Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 0]), "image/jpg")).to.equal("image/jpeg");
    expect(imageType(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'), "image/svg+xml")).to.equal(undefined);
    expect(imageType(Buffer.from("<html>not an image</html>"), "image/png")).to.equal(undefined);
  });

  it("takes an avatar no larger than asked, and reads nothing from an error answer", async () => {
    const big = Buffer.alloc(5000, 7);
    const answer = (data: Buffer) => async (iq: ReturnType<typeof xml>) => {
      const items = iq.getChild("pubsub")?.getChild("items");
      const node = String(items?.attrs.node ?? "");
      if (node === "urn:xmpp:avatar:metadata") {
        return xml("iq", { type: "result" }, xml("pubsub", { xmlns: "http://jabber.org/protocol/pubsub" }, xml("items", { node }, xml("item", { id: "a" },
          xml("metadata", { xmlns: "urn:xmpp:avatar:metadata" }, xml("info", { id: "a", type: "image/png", bytes: "10" }))))));
      }
      if (node === "urn:xmpp:avatar:data") {
        return xml("iq", { type: "result" }, xml("pubsub", { xmlns: "http://jabber.org/protocol/pubsub" }, xml("items", { node }, xml("item", { id: "a" }, xml("data", { xmlns: "urn:xmpp:avatar:data" }, data.toString("base64"))))));
      }
      throw new Error("item-not-found");
    };
    // The metadata lies about the size: the data itself is bounded.
    expect((await fetchProfile({ request: answer(big), iqPrivileges: {}, maxAvatarBytes: 1024 }, "ann@localhost")).avatar).to.equal(undefined);
    expect((await fetchProfile({ request: answer(PNG), iqPrivileges: {}, maxAvatarBytes: 1024 }, "ann@localhost")).avatar?.data.equals(PNG)).to.equal(true);
    expect(await fetchProfile({ request: async () => { throw new Error("forbidden"); }, iqPrivileges: {}, maxAvatarBytes: 1024 }, "ann@localhost")).to.deep.equal({ via: "none" });
  });
});
