// Small waiting helpers shared by the test suites.

import { setTimeout as sleep } from 'node:timers/promises';

/** Resolves with {value} or {error}, or {timedOut: true} after ms. */
export async function settle(promise, ms) {
  let timer;
  const timeout = new Promise(resolve => (timer = setTimeout(() => resolve({ timedOut: true }), ms)));
  try {
    return await Promise.race([promise.then(value => ({ value }), error => ({ error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `predicate` until true, or throws after ms. */
export async function eventually(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(10);
  }
}
