// Connecting an app from outside the agent (app-connection.md §2-§3) with the official FDC3 client:
// connectApp() drives @finos/fdc3-agent-proxy's DesktopAgentProxy over the agent's WebSocket, for
// anything that should behave like a real app. The handshake and the raw DACP client live in
// wire.mjs and are re-exported here (openRawSocket, RawClient, ...).

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket from 'ws';
import {
  AbstractMessaging,
  DesktopAgentProxy,
  DefaultAppSupport,
  DefaultChannelSupport,
  DefaultHeartbeatSupport,
  DefaultIntentSupport,
} from '@finos/fdc3-agent-proxy';
import { LogLevel } from '@finos/fdc3-standard';
import { handshake } from './wire.mjs';

export { ConnectError, openRawSocket, RawClient, socketUrl, wcp4Message } from './wire.mjs';

// ------------------------------------------------------------------------------------------
// The official client over the socket

/**
 * The proxy's Messaging transport over one WebSocket: JSON text frames out, every inbound
 * message offered to each registered listener whose filter accepts it.
 */
export class WebSocketMessaging extends AbstractMessaging {
  /** @param {WebSocket} socket @param {{appId: string, instanceId: string}} appIdentifier */
  constructor(socket, appIdentifier) {
    super(appIdentifier);
    this.socket = socket;
    this.listeners = new Map();
    /** Taps: 'message' for every inbound DACP message, 'send' for every outbound one,
     *  'close' when the socket closes. */
    this.events = new EventEmitter();
    this.closed = false;
    this.disconnected = false; // disconnect() was called
    socket.on('close', (code, reason) => {
      this.closed = true;
      this.events.emit('close', code, reason.toString());
    });
  }

  createUUID() {
    return randomUUID();
  }

  createMeta() {
    return { requestUuid: this.createUUID(), timestamp: new Date(), source: this.getAppIdentifier() };
  }

  register(listener) {
    if (!listener.id) throw new Error('cannot register a listener without an id');
    this.listeners.set(listener.id, listener);
  }

  unregister(id) {
    this.listeners.delete(id);
  }

  // The proxy calls post() without awaiting it inside exchange(), so this must never reject:
  // a message for a closed socket is dropped and the exchange ends in its own timeout.
  async post(message) {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.events.emit('send', message);
    this.socket.send(JSON.stringify(message)); // Date values in meta become ISO-8601 strings
  }

  // After the app itself disconnected, a wait that times out is dropped instead of rejected:
  // nothing can answer it any more, and the 2.2.0 proxy does not catch every such rejection
  // (e.g. an intent handler's intentResultRequest exchange), which would surface as an
  // unhandled rejection long after the app is gone. If the agent goes away instead, waits still
  // reject with ApiTimeout so callers learn about it.
  waitFor(filter, timeoutMs, timeoutErrorMessage) {
    return super.waitFor(filter, timeoutMs, timeoutErrorMessage).catch(err => {
      if (this.disconnected) return new Promise(() => {});
      throw err;
    });
  }

  /** Called by the socket for every DACP message after the handshake. */
  deliver(message) {
    this.events.emit('message', message);
    // Snapshot: actions may (un)register listeners, e.g. waitFor() unregisters itself.
    for (const l of [...this.listeners.values()]) {
      try {
        if (l.filter(message)) l.action(message);
      } catch (err) {
        console.error(`listener ${l.id} failed on ${message.type}:`, err);
      }
    }
  }

  /** WCP6Goodbye, then close. Safe to call more than once. */
  async disconnect() {
    this.disconnected = true;
    if (this.closed || this.socket.readyState !== WebSocket.OPEN) return;
    this.closed = true;
    this.socket.send(JSON.stringify({ type: 'WCP6Goodbye', meta: { timestamp: new Date().toISOString() } }));
    await new Promise(resolve => {
      const t = setTimeout(() => {
        this.socket.terminate();
        resolve();
      }, 1000);
      this.socket.once('close', () => {
        clearTimeout(t);
        resolve();
      });
      this.socket.close(1000, 'goodbye');
    });
  }
}

/**
 * Watches a proxy's raises and their results on the wire.
 *
 * Why: the 2.2.0 proxy's IntentResolution.getResult() resolves to `undefined` when the agent
 * answers `raiseIntentResultResponse {error: "NoResultReturned"}` (it only looks at
 * payload.intentResult), so an error result looks like a void one. Call this before raising;
 * `lastRaise()` is the requestUuid of the latest raiseIntentRequest the proxy sent and
 * `result(requestUuid, timeoutMs)` the raiseIntentResultResponse carrying it.
 */
export function trackIntentResults(messaging) {
  const results = new Map(); // requestUuid -> raiseIntentResultResponse
  const waiting = new Map(); // requestUuid -> resolve
  let last;
  messaging.events.on('send', m => {
    if (m.type === 'raiseIntentRequest' || m.type === 'raiseIntentForContextRequest') last = m.meta.requestUuid;
  });
  messaging.events.on('message', m => {
    if (m.type !== 'raiseIntentResultResponse') return;
    const id = m.meta?.requestUuid;
    results.set(id, m);
    waiting.get(id)?.(m);
  });
  return {
    lastRaise: () => last,
    result(requestUuid, timeoutMs = 5000) {
      if (results.has(requestUuid)) return Promise.resolve(results.get(requestUuid));
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => {
          waiting.delete(requestUuid);
          reject(new Error(`no raiseIntentResultResponse for ${requestUuid} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiting.set(requestUuid, m => {
          clearTimeout(t);
          waiting.delete(requestUuid);
          resolve(m);
        });
      });
    },
  };
}

// The agent shows its own native resolver and channel picker, so the proxy gets UI objects that
// do nothing. chooseIntent() answering "no choice" makes a NeedsResolution reply (which Interlog
// never sends) end as UserCancelledResolution instead of hanging.
const noopIntentResolver = {
  async connect() {},
  async disconnect() {},
  async chooseIntent() {
    return undefined;
  },
};
function noopChannelSelector() {
  return {
    async connect() {},
    async disconnect() {},
    async updateChannel() {},
    setChannelChangeCallback() {},
  };
}

/**
 * Connects an app and returns the official FDC3 client for it.
 * @param {object} opts
 * @param {string} opts.identityUrl  matched against the directory's details.url
 * @param {string} [opts.actualUrl]  defaults to identityUrl
 * @param {string} [opts.runtimeDir] where agent.json lives (default: the contract's lookup)
 * @param {object} [opts.agentInfo]  an already-read agent.json (skips the lookup)
 * @param {string} [opts.instanceId] with instanceUuid: ask for a previous identity back
 * @param {string} [opts.instanceUuid]
 * @param {number} [opts.timeoutMs=5000] handshake timeout
 * @param {number} [opts.messageExchangeTimeout=10000] proxy request/response timeout
 * @param {number} [opts.appLaunchTimeout=30000] proxy timeout for open/raiseIntent responses
 * @param {number} [opts.logLevel=LogLevel.WARN] proxy log level
 * @param {object} [opts.wsOptions] extra `ws` client options, e.g. `{allowSynchronousEvents: false}`
 *   for browser-like delivery (each message in its own task, promise continuations in between)
 */
export async function connectApp({
  identityUrl,
  actualUrl = identityUrl,
  runtimeDir,
  agentInfo,
  instanceId,
  instanceUuid,
  timeoutMs = 5000,
  messageExchangeTimeout = 10_000,
  appLaunchTimeout = 30_000,
  logLevel = LogLevel.WARN,
  // Browser-like delivery by default: each message in its own task, so the official client's
  // promise continuations (e.g. registering a listener after its response) run in between.
  wsOptions = { allowSynchronousEvents: false },
} = {}) {
  let messaging;
  const early = []; // messages between WCP5 and the messaging object existing (same tick)
  const { socket, agentInfo: info, wcp5 } = await handshake({
    identityUrl,
    actualUrl,
    runtimeDir,
    agentInfo,
    instanceId,
    instanceUuid,
    timeoutMs,
    wsOptions,
    onMessage: m => (messaging ? messaging.deliver(m) : early.push(m)),
  });
  const ids = wcp5.payload;
  messaging = new WebSocketMessaging(socket, { appId: ids.appId, instanceId: ids.instanceId });

  const heartbeat = new DefaultHeartbeatSupport(messaging);
  const channelSelector = noopChannelSelector();
  const channels = new DefaultChannelSupport(messaging, channelSelector, messageExchangeTimeout);
  const intents = new DefaultIntentSupport(messaging, noopIntentResolver, messageExchangeTimeout, appLaunchTimeout);
  const apps = new DefaultAppSupport(messaging, messageExchangeTimeout, appLaunchTimeout);
  // 2.2.0's DefaultChannelSupport is not Connectable (2.2.3's is); include it only if it is.
  const connectables = [heartbeat, channels, noopIntentResolver, channelSelector].filter(c => typeof c.connect === 'function');
  const agent = new DesktopAgentProxy(heartbeat, channels, intents, apps, connectables, logLevel);
  // connect() registers the heartbeat listener synchronously before its first await, so a
  // heartbeat that came in with WCP5 is answered when the early messages are replayed here.
  const connecting = agent.connect();
  for (const m of early.splice(0)) messaging.deliver(m);
  await connecting;

  return {
    agent,
    appId: ids.appId,
    instanceId: ids.instanceId,
    instanceUuid: ids.instanceUuid,
    implementationMetadata: ids.implementationMetadata,
    agentInfo: info,
    socket,
    messaging,
    /** Ends the app: unregisters the proxy's parts, sends WCP6Goodbye and closes the socket. */
    disconnect: () => agent.disconnect(),
  };
}
