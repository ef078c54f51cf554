// Polling for the end-to-end tests: the window, the app process and the X server change on their
// own time, so the tests wait for what they expect rather than for a fixed delay.

/** WebDriver's answer when an element found a moment ago was replaced as the page redrew. */
function isStale(err) {
  return /stale element reference|was not found when running/i.test(String(err?.message ?? err));
}

/**
 * Calls `fn` every 100 ms until it returns something truthy (returned), or fails after `timeoutMs`.
 * A page that redraws between finding an element and reading it makes the read fail with a stale
 * element reference: that poll counts as "not yet" and the next one looks again. Any other error
 * fails at once.
 */
export async function until(what, fn, timeoutMs = 15_000) {
  const end = Date.now() + timeoutMs;
  let stale = null;
  for (;;) {
    let v;
    try {
      v = await fn();
    } catch (err) {
      if (!isStale(err)) throw err;
      stale = err;
    }
    if (v) return v;
    if (Date.now() > end) {
      const why = stale ? ` (last poll: ${stale.message})` : '';
      throw new Error(`timed out waiting for ${what}${why}`);
    }
    await new Promise(r => setTimeout(r, 100));
  }
}
