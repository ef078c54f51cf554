// Polling for the end-to-end tests: the window, the app process and the X server change on their
// own time, so the tests wait for what they expect rather than for a fixed delay.

/** Calls `fn` every 100 ms until it returns something truthy (returned), or fails after `timeoutMs`. */
export async function until(what, fn, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 100));
  }
}
