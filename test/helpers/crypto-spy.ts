// Watches what the product asks of node:crypto and Math.random while a test runs, in this
// process. Modules import `{ randomBytes }` from node:crypto; syncBuiltinESMExports() makes
// those bindings see the patched functions, so what is observed is what the code calls.
import crypto from "node:crypto";
import { syncBuiltinESMExports } from "node:module";

export interface CryptoCalls {
  /** Every buffer crypto.randomBytes returned, with the size asked for. */
  randomBytes: { size: number; bytes: Buffer }[];
  /** The lengths of the two buffers of every crypto.timingSafeEqual call. */
  timingSafeEqual: [number, number][];
  mathRandom: number;
}

export async function watchCrypto<T>(fn: (calls: CryptoCalls) => Promise<T>): Promise<T> {
  const calls: CryptoCalls = { randomBytes: [], timingSafeEqual: [], mathRandom: 0 };
  const orig = { randomBytes: crypto.randomBytes, timingSafeEqual: crypto.timingSafeEqual, random: Math.random };
  crypto.randomBytes = ((size: number, cb?: unknown) => {
    if (cb !== undefined) return (orig.randomBytes as (s: number, c: unknown) => void)(size, cb);
    const bytes = orig.randomBytes(size);
    calls.randomBytes.push({ size, bytes: Buffer.from(bytes) });
    return bytes;
  }) as typeof crypto.randomBytes;
  crypto.timingSafeEqual = ((a: NodeJS.ArrayBufferView, b: NodeJS.ArrayBufferView) => {
    calls.timingSafeEqual.push([a.byteLength, b.byteLength]);
    return orig.timingSafeEqual(a, b);
  }) as typeof crypto.timingSafeEqual;
  Math.random = () => { calls.mathRandom++; return orig.random(); };
  syncBuiltinESMExports();
  try {
    return await fn(calls);
  } finally {
    crypto.randomBytes = orig.randomBytes;
    crypto.timingSafeEqual = orig.timingSafeEqual;
    Math.random = orig.random;
    syncBuiltinESMExports();
  }
}
