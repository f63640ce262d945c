// QR codes drawn on the server as inline SVG: no script, no external request, and the
// CSP needs nothing beyond the page itself.
import QRCode from "qrcode";
import { raw, type Html } from "./html.js";

const cache = new Map<string, Html>();
const MAX_CACHED = 500;

/** An SVG QR code for a URL, with an accessible label. Recently drawn codes are reused. */
export async function qrSvg(text: string, label: string): Promise<Html> {
  const key = `${label}\n${text}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const svg = await QRCode.toString(text, { type: "svg", margin: 2, errorCorrectionLevel: "M" });
  const labelled = raw(svg.replace("<svg ", `<svg role="img" aria-label="${label.replace(/[&<>"']/g, "")}" class="qr" `));
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, labelled);
  return labelled;
}
