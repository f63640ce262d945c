// Waiting for what a real server or process does in its own time, by polling: never a sleep
// that guesses how long it takes.

/** Polls `cond` every 50 ms until it holds; after `tries` polls (15 s by default) throws naming `what`. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, tries = 300): Promise<void> {
  for (let i = 0; i < tries; i++) {
    if (await cond()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** Polls `fn` every 100 ms until it gives a value (a failure counts as none yet); after `ms` throws naming `what`. */
export async function until<T>(what: string, fn: () => Promise<T | undefined>, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
