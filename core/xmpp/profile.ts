// A user's public face, read for the landing page: the nickname (XEP-0172) and the avatar
// (XEP-0084) from their PEP service, else vCard-temp (XEP-0054). A component is not the
// user's contact, so PEP's default access model ("presence") hides both from it; with the
// XEP-0356 "iq" privilege for the pubsub (and vcard-temp) namespace, the request is sent on
// the user's behalf (privileged_iq, XEP-0356 §6) and reads what the user would. Without it,
// only nodes published with access model "open" and an open vCard are readable.
import xml, { type Element } from "@xmpp/xml";
import type { Profile } from "../admin.js";

const NS_PUBSUB = "http://jabber.org/protocol/pubsub";
const NS_NICK = "http://jabber.org/protocol/nick";
const NS_AVATAR_META = "urn:xmpp:avatar:metadata";
const NS_AVATAR_DATA = "urn:xmpp:avatar:data";
const NS_VCARD = "vcard-temp";
const NS_PRIVILEGE = "urn:xmpp:privilege:2";
const NS_FORWARD = "urn:xmpp:forward:0";

export interface ProfileDeps {
  request(iq: Element): Promise<Element>;
  /** XEP-0356 iq privileges granted for the user's domain: namespace -> "get" | "set" | "both". */
  iqPrivileges: Readonly<Record<string, string>>;
  maxAvatarBytes: number;
}

const canGet = (perms: Readonly<Record<string, string>>, ns: string) => perms[ns] === "get" || perms[ns] === "both";

/** The payload of a get to `jid`, privileged when allowed for its namespace; undefined on any error. */
async function get(d: ProfileDeps, jid: string, payload: Element): Promise<Element | undefined> {
  const ns = String(payload.attrs.xmlns);
  try {
    if (canGet(d.iqPrivileges, ns)) {
      const inner = xml("iq", { xmlns: "jabber:client", type: "get", to: jid, id: `p${Math.random().toString(36).slice(2, 10)}` }, payload);
      const reply = await d.request(xml("iq", { type: "get", to: jid }, xml("privileged_iq", { xmlns: NS_PRIVILEGE }, inner)));
      const wrapped = reply.getChild("privilege", NS_PRIVILEGE)?.getChild("forwarded", NS_FORWARD)?.getChild("iq");
      if (!wrapped || wrapped.attrs.type !== "result") return undefined;
      return wrapped.getChild(payload.name, ns);
    }
    const reply = await d.request(xml("iq", { type: "get", to: jid }, payload));
    return reply.getChild(payload.name, ns);
  } catch {
    // forbidden (access model), item-not-found (nothing published), a timeout: no profile.
    return undefined;
  }
}

const items = (node: string, id?: string) =>
  xml("pubsub", { xmlns: NS_PUBSUB }, xml("items", { node, ...(id ? {} : { max_items: "1" }) }, ...(id ? [xml("item", { id })] : [])));

const firstItem = (pubsub: Element | undefined) => pubsub?.getChild("items")?.getChildren("item")[0];

function decode(base64: string, max: number): Buffer | undefined {
  const clean = base64.replace(/\s+/g, "");
  // Bounded before decoding: 4 characters carry 3 bytes.
  if (clean.length > Math.ceil(max / 3) * 4 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return undefined;
  const data = Buffer.from(clean, "base64");
  return data.length > 0 && data.length <= max ? data : undefined;
}

async function pepAvatar(d: ProfileDeps, jid: string): Promise<Profile["avatar"]> {
  const meta = firstItem(await get(d, jid, items(NS_AVATAR_META)));
  // XEP-0084 §4.2: one <info/> per format; the one without url is stored in the data node.
  const info = meta?.getChild("metadata", NS_AVATAR_META)?.getChildren("info").find((i) => !i.attrs.url && Number(i.attrs.bytes ?? 0) <= d.maxAvatarBytes);
  if (!info?.attrs.id) return undefined;
  const item = firstItem(await get(d, jid, items(NS_AVATAR_DATA, String(info.attrs.id))));
  const data = decode(item?.getChildText("data", NS_AVATAR_DATA) ?? "", d.maxAvatarBytes);
  return data ? { type: String(info.attrs.type ?? ""), data } : undefined;
}

export async function fetchProfile(d: ProfileDeps, jid: string): Promise<Profile> {
  const [nickItem, avatar] = await Promise.all([get(d, jid, items(NS_NICK)).then(firstItem), pepAvatar(d, jid)]);
  let nick = nickItem?.getChildText("nick", NS_NICK)?.trim() || undefined;
  let photo = avatar;
  let via = nick || photo ? "PEP" : "";
  if (!nick || !photo) {
    const card = await get(d, jid, xml("vCard", { xmlns: NS_VCARD }));
    if (card) {
      const fromCard = card.getChildText("NICKNAME")?.trim() || card.getChildText("FN")?.trim() || undefined;
      const p = card.getChild("PHOTO");
      const data = p ? decode(p.getChildText("BINVAL") ?? "", d.maxAvatarBytes) : undefined;
      if (!nick && fromCard) { nick = fromCard; via = via ? `${via}, vCard` : "vCard"; }
      if (!photo && data) { photo = { type: p?.getChildText("TYPE")?.trim() ?? "", data }; via = via.includes("vCard") ? via : via ? `${via}, vCard` : "vCard"; }
    }
  }
  return { ...(nick ? { nick: nick.slice(0, 200) } : {}), ...(photo ? { avatar: photo } : {}), via: via || "none" };
}
