// Injected into every app window before any script of the page runs (a Tauri initialization
// script, FDC3's "preload" desktop agent). It puts the official DesktopAgentProxy from
// @finos/fdc3-agent-proxy at `window.fdc3`, over the window's IPC to the Rust agent, fires
// `fdc3Ready`, shows Interlog's channel selector, and makes `window.close()` close the window.
//
// The Rust side prepends `window.__interlogHosted = {appId, instanceId, origin, path}`; the
// agent is installed only while the page is one of the app's own (same origin, the app's path or
// below it), the same rule the Rust side enforces on every message.

import {
  DefaultAppSupport,
  DefaultChannelSupport,
  DefaultHeartbeatSupport,
  DefaultIntentSupport,
  DesktopAgentProxy,
} from '@finos/fdc3-agent-proxy';
import { LogLevel, type IntentResolver } from '@finos/fdc3-standard';
import { WindowChannelSelector } from './channel-selector';
import { WindowMessaging, type Invoke } from './messaging';

interface Hosted {
  appId: string;
  instanceId: string;
  origin: string;
  path: string;
}

declare global {
  interface Window {
    __interlogHosted?: Hosted;
    __TAURI_INTERNALS__?: { invoke: Invoke };
  }
}

/** How long the proxy waits for a plain answer, and for open/raise (which may launch an app). */
const MESSAGE_EXCHANGE_TIMEOUT_MS = 10_000;
const APP_LAUNCH_TIMEOUT_MS = 100_000;

// The agent shows its own resolver: the proxy never needs to ask the page.
const noResolver: IntentResolver = {
  async connect() {},
  async disconnect() {},
  async chooseIntent() {
    return undefined;
  },
};

function withinApp(h: Hosted): boolean {
  if (location.origin !== h.origin) return false;
  const path = location.pathname;
  return h.path === '' || path === h.path || path.startsWith(h.path + '/');
}

function install(h: Hosted, invoke: Invoke): WindowMessaging {
  const messaging = new WindowMessaging({ appId: h.appId, instanceId: h.instanceId }, invoke);
  // Each message in a task of its own, as a browser delivers postMessage: the proxy registers
  // a listener only once the response that created it has been handled, so an event that
  // arrives right behind that response must not be handled in the same task. (A timer task,
  // not a MessageChannel one: the conformance framework registers some listeners without
  // waiting and races the mock apps' replies; with the faster MessageChannel tasks the mock
  // apps won that race in 2 of 3 runs.)
  Object.defineProperty(window, '__interlogDeliver', {
    value: (m: Parameters<WindowMessaging['deliver']>[0]) => setTimeout(() => messaging.deliver(m), 0),
    writable: false,
    configurable: false,
    enumerable: false,
  });

  const heartbeat = new DefaultHeartbeatSupport(messaging);
  let proxy: DesktopAgentProxy | null = null;
  const selector = new WindowChannelSelector(() => proxy!.getUserChannels());
  const channels = new DefaultChannelSupport(messaging, selector, MESSAGE_EXCHANGE_TIMEOUT_MS);
  const intents = new DefaultIntentSupport(messaging, noResolver, MESSAGE_EXCHANGE_TIMEOUT_MS, APP_LAUNCH_TIMEOUT_MS);
  const apps = new DefaultAppSupport(messaging, MESSAGE_EXCHANGE_TIMEOUT_MS, APP_LAUNCH_TIMEOUT_MS);
  proxy = new DesktopAgentProxy(heartbeat, channels, intents, apps, [heartbeat, selector], LogLevel.WARN);
  const agent = proxy;
  fixUserChannelChangedEvents(agent);

  Object.defineProperty(window, 'fdc3', { value: agent, writable: false, configurable: false, enumerable: true });
  agent
    .connect()
    .then(() => window.dispatchEvent(new Event('fdc3Ready')))
    .catch(e => console.error('Interlog: the FDC3 agent did not start', e));
  return messaging;
}

/**
 * The 2.2.0 proxy hands `userChannelChanged` handlers the wire message's shape
 * (`{type: 'channelChangedEvent', details: {newChannelId}}`); FDC3 2.2 specifies
 * `{type: 'userChannelChanged', details: {currentChannelId}}`. Handlers get both fields.
 */
function fixUserChannelChangedEvents(agent: DesktopAgentProxy): void {
  const add = agent.addEventListener.bind(agent);
  agent.addEventListener = (type, handler) =>
    add(type, event => {
      const details = (event?.details ?? {}) as { newChannelId?: string | null; currentChannelId?: string | null };
      if (event?.type === ('channelChangedEvent' as string) || type === 'userChannelChanged') {
        const current = details.currentChannelId ?? details.newChannelId ?? null;
        handler({ ...event, type: 'userChannelChanged', details: { ...details, currentChannelId: current } });
      } else {
        handler(event);
      }
    });
}

/**
 * WebKit ignores `window.close()` in a window no script opened; an app window closes. It closes
 * after what the page sent before (apps often broadcast "closing" and close at once).
 */
function interceptClose(invoke: Invoke, messaging: WindowMessaging | null): void {
  const doClose = () => invoke('hosted_close').catch(e => console.error('Interlog: cannot close the window', e));
  const close = () => {
    if (messaging) messaging.afterPending(doClose);
    else void doClose();
  };
  Object.defineProperty(window, 'close', { value: close, writable: false, configurable: false });
}

(() => {
  const hosted = window.__interlogHosted;
  delete window.__interlogHosted;
  const internals = window.__TAURI_INTERNALS__;
  if (!hosted || !internals || window.top !== window) return;
  const invoke: Invoke = internals.invoke.bind(internals);
  interceptClose(invoke, withinApp(hosted) ? install(hosted, invoke) : null);
})();
