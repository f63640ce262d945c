// What an avatar may be before this site serves it: one of a few image types, recognised
// by its first bytes (the declared type must agree), and not larger than the limit.
const SIGNATURES: { type: string; test: (b: Buffer) => boolean }[] = [
  { type: "image/png", test: (b) => b.length > 8 && b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { type: "image/jpeg", test: (b) => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { type: "image/gif", test: (b) => b.length > 6 && /^GIF8[79]a$/.test(b.subarray(0, 6).toString("latin1")) },
  { type: "image/webp", test: (b) => b.length > 12 && b.subarray(0, 4).toString("latin1") === "RIFF" && b.subarray(8, 12).toString("latin1") === "WEBP" },
];

/** The image's type when its bytes are one of the served types and agree with `declared`; undefined otherwise (SVG is never served). */
export function imageType(data: Buffer, declared: string): string | undefined {
  const found = SIGNATURES.find((s) => s.test(data))?.type;
  if (!found) return undefined;
  const d = declared.toLowerCase().trim().replace(/^image\/jpg$/, "image/jpeg");
  return d === "" || d === found ? found : undefined;
}
