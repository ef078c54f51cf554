// Finding the desktop agent Interlog injects, and the start-up every sample shares.

import type { DesktopAgent } from './types';
import { byId } from './dom';
import { describeError } from './errors';

export const NO_AGENT_MESSAGE = "No FDC3 desktop agent: open this app from Interlog's launcher";
const AGENT_WAIT_MS = 10_000;

/** `window.fdc3` if it is there already, else the one announced by the `fdc3Ready` event. */
export function getAgent(timeoutMs = AGENT_WAIT_MS): Promise<DesktopAgent> {
  const present = window.fdc3;
  if (present) return Promise.resolve(present);
  return new Promise((resolve, reject) => {
    const onReady = (): void => {
      window.clearTimeout(timer);
      const agent = window.fdc3;
      if (agent) resolve(agent);
      else reject(new Error(NO_AGENT_MESSAGE));
    };
    const timer = window.setTimeout(() => {
      window.removeEventListener('fdc3Ready', onReady);
      reject(new Error(NO_AGENT_MESSAGE));
    }, timeoutMs);
    window.addEventListener('fdc3Ready', onReady, { once: true });
  });
}

/**
 * Joins the first user channel when the app is on none, so that apps opened side by side
 * share context without the user picking a channel first.
 */
export async function joinFirstChannelIfNone(fdc3: DesktopAgent): Promise<void> {
  if ((await fdc3.getCurrentChannel()) !== null) return;
  const first = (await fdc3.getUserChannels())[0];
  if (first) await fdc3.joinUserChannel(first.id);
}

/** Shows a problem that stops the app in the page's `#fatal` banner. */
export function showFatal(message: string): void {
  const box = byId('fatal');
  box.textContent = message;
  box.hidden = false;
  document.body.dataset['agent'] = 'missing';
}

/**
 * Waits for the agent, runs the app's set-up (listeners first, so intents raised at launch
 * are caught), then puts the app on a user channel if it has none. Resolves to the agent once
 * all that is done, or to null when the app could not start (the page says why).
 */
export async function startSample(setUp: (fdc3: DesktopAgent) => Promise<void>): Promise<DesktopAgent | null> {
  let fdc3: DesktopAgent;
  try {
    fdc3 = await getAgent();
  } catch {
    showFatal(NO_AGENT_MESSAGE);
    return null;
  }
  try {
    await setUp(fdc3);
  } catch (e) {
    showFatal(`This app could not start: ${describeError(e).words}`);
    return null;
  }
  try {
    await joinFirstChannelIfNone(fdc3);
  } catch (e) {
    console.warn('Could not join a user channel:', describeError(e).words);
  }
  document.body.dataset['agent'] = 'ready';
  return fdc3;
}
