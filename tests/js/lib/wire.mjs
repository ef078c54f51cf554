// The wire level of app-connection.md §2-§3, with no FDC3 client library: the WCP4/WCP5 handshake
// over `GET <url>?token=<token>`, and a bare DACP client (RawClient) for protocol-level tests and
// the benchmark. Loads without the @finos packages (no module hooks needed).

import { randomUUID } from 'node:crypto';
import WebSocket from 'ws';
import { readAgentInfo } from './discovery.mjs';

/** A failed connection attempt. `statusCode` is set for a refused HTTP upgrade (401, 403, 404),
 *  `response` for a WCP5ValidateAppIdentityFailedResponse, `closeCode` when the socket closed. */
export class ConnectError extends Error {
  constructor(message, extra = {}) {
    super(message);
    this.name = 'ConnectError';
    Object.assign(this, extra);
  }
}

/** ws URL with the token added as a query parameter. */
export function socketUrl(agentInfo) {
  const u = new URL(agentInfo.url);
  u.searchParams.set('token', agentInfo.token);
  return u.toString();
}

/** A WCP4ValidateAppIdentity message (only the instance fields that are given). */
export function wcp4Message({ identityUrl, actualUrl = identityUrl, instanceId, instanceUuid, connectionAttemptUuid = randomUUID() }) {
  const payload = { identityUrl, actualUrl };
  if (instanceId !== undefined) payload.instanceId = instanceId;
  if (instanceUuid !== undefined) payload.instanceUuid = instanceUuid;
  return {
    type: 'WCP4ValidateAppIdentity',
    payload,
    meta: { connectionAttemptUuid, timestamp: new Date().toISOString() },
  };
}

function parseFrame(data, isBinary) {
  if (isBinary) return undefined;
  try {
    const m = JSON.parse(data.toString('utf8'));
    return m && typeof m === 'object' && typeof m.type === 'string' ? m : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Opens the socket and performs the WCP4/WCP5 handshake.
 * `onMessage` is attached before the handshake completes and receives every DACP message that
 * follows WCP5 in order, so nothing the agent sends right after WCP5 (e.g. a heartbeat) is lost
 * to the gap between the handshake promise resolving and the caller wiring things up.
 * @returns {Promise<{socket: WebSocket, agentInfo: object, wcp5: object}>}
 */
export async function handshake({ identityUrl, actualUrl, runtimeDir, agentInfo, instanceId, instanceUuid, timeoutMs = 5000, onMessage, wsOptions }) {
  if (!identityUrl) throw new TypeError('identityUrl is required');
  const info = agentInfo ?? (await readAgentInfo({ runtimeDir }));
  const socket = new WebSocket(socketUrl(info), { perMessageDeflate: false, ...wsOptions });
  const hello = wcp4Message({ identityUrl, actualUrl, instanceId, instanceUuid });

  return new Promise((resolve, reject) => {
    let validated = false;
    const fail = err => {
      clearTimeout(timer);
      if (socket.readyState === WebSocket.CONNECTING || socket.readyState === WebSocket.OPEN) socket.terminate();
      reject(err);
    };
    const timer = setTimeout(() => fail(new ConnectError(`no WCP5 answer within ${timeoutMs} ms`)), timeoutMs);

    // A refused upgrade (bad token 401, Origin 403, wrong path 404).
    socket.once('unexpected-response', (_req, res) => {
      res.resume();
      fail(new ConnectError(`agent refused the WebSocket upgrade: HTTP ${res.statusCode}`, { statusCode: res.statusCode }));
    });
    socket.once('error', err => fail(new ConnectError(`WebSocket error: ${err.message}`, { cause: err })));
    socket.once('close', (code, reason) => {
      if (!validated) fail(new ConnectError(`socket closed during the handshake (code ${code} ${reason})`, { closeCode: code }));
    });
    socket.once('open', () => socket.send(JSON.stringify(hello)));

    socket.on('message', (data, isBinary) => {
      const m = parseFrame(data, isBinary);
      if (!m) return;
      if (validated) {
        onMessage?.(m);
        return;
      }
      if (m.type === 'WCP5ValidateAppIdentityFailedResponse') {
        fail(new ConnectError(m.payload?.message || 'identity validation failed', { response: m }));
      } else if (m.type === 'WCP5ValidateAppIdentityResponse') {
        validated = true;
        clearTimeout(timer);
        // From now on errors/closes are the caller's business; keep a no-op error handler so an
        // 'error' event never becomes an uncaught exception.
        socket.removeAllListeners('error');
        socket.on('error', () => {});
        resolve({ socket, agentInfo: info, wcp5: m });
      }
      // anything else before WCP5 is not for us
    });
  });
}

// ------------------------------------------------------------------------------------------
// Raw DACP client

/**
 * A bare DACP client over one validated socket.
 * - send(msg) / request(type, payload) write JSON (request() fills meta and returns the message);
 * - next(predicate, timeoutMs) resolves with the next inbound message that matches, including one
 *   that arrived before the call and has not been claimed yet (a bounded backlog is kept);
 * - onMessage(fn) sees every inbound message first (for high-rate use such as the benchmark;
 *   return true from fn to consume the message so it is neither backlogged nor offered to next()).
 * Heartbeats are answered automatically unless autoHeartbeat is false.
 */
export class RawClient {
  constructor(socket, wcp5, { autoHeartbeat = true, backlogLimit = 1000 } = {}) {
    this.socket = socket;
    this.wcp5 = wcp5;
    this.appId = wcp5.payload.appId;
    this.instanceId = wcp5.payload.instanceId;
    this.instanceUuid = wcp5.payload.instanceUuid;
    this.autoHeartbeat = autoHeartbeat;
    this.backlogLimit = backlogLimit;
    this.backlog = [];
    this.waiters = new Set();
    this.handlers = [];
    this.closed = new Promise(resolve => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));
  }

  get source() {
    return { appId: this.appId, instanceId: this.instanceId };
  }

  meta() {
    return { requestUuid: randomUUID(), timestamp: new Date().toISOString() };
  }

  send(message) {
    this.socket.send(typeof message === 'string' ? message : JSON.stringify(message));
  }

  /** Sends `{type, payload, meta}` with a fresh requestUuid; returns the message sent. */
  request(type, payload = {}, extraMeta = {}) {
    const message = { type, payload, meta: { ...this.meta(), ...extraMeta } };
    this.send(message);
    return message;
  }

  /** Sends a request and waits for the response carrying its requestUuid. */
  async exchange(type, payload = {}, timeoutMs = 5000) {
    const req = this.request(type, payload);
    const responseType = type.replace(/Request$/, 'Response');
    return this.next(m => m.type === responseType && m.meta?.requestUuid === req.meta.requestUuid, timeoutMs);
  }

  onMessage(fn) {
    this.handlers.push(fn);
  }

  next(predicate, timeoutMs = 5000) {
    const i = this.backlog.findIndex(predicate);
    if (i >= 0) return Promise.resolve(this.backlog.splice(i, 1)[0]);
    return new Promise((resolve, reject) => {
      const w = { predicate, resolve };
      w.timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`no matching message within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }

  /** Resolves with whatever arrives within ms that matches (does not consume). */
  async collect(predicate, ms) {
    const seen = [];
    const fn = m => {
      if (predicate(m)) seen.push(m);
    };
    this.handlers.push(fn);
    await new Promise(r => setTimeout(r, ms));
    this.handlers = this.handlers.filter(h => h !== fn);
    return seen;
  }

  _deliver(m) {
    if (this.autoHeartbeat && m.type === 'heartbeatEvent') {
      this.request('heartbeatAcknowledgementRequest', { heartbeatEventUuid: m.meta?.eventUuid });
    }
    for (const h of this.handlers) if (h(m) === true) return;
    for (const w of this.waiters) {
      if (w.predicate(m)) {
        clearTimeout(w.timer);
        this.waiters.delete(w);
        w.resolve(m);
        return;
      }
    }
    this.backlog.push(m);
    if (this.backlog.length > this.backlogLimit) this.backlog.shift();
  }

  /** WCP6Goodbye then close. */
  async goodbye() {
    if (this.socket.readyState === WebSocket.OPEN) {
      this.send({ type: 'WCP6Goodbye', meta: { timestamp: new Date().toISOString() } });
      this.socket.close(1000, 'goodbye');
    }
    await Promise.race([this.closed, new Promise(r => setTimeout(r, 1000))]);
    this.socket.terminate();
  }

  /** Drops the connection without a goodbye (like a crashed app). */
  kill() {
    this.socket.terminate();
  }
}

/**
 * Opens a socket, validates the identity and returns a RawClient.
 * @param {{identityUrl: string, actualUrl?: string, runtimeDir?: string, agentInfo?: object,
 *   instanceId?: string, instanceUuid?: string, timeoutMs?: number, autoHeartbeat?: boolean}} opts
 */
export async function openRawSocket(opts) {
  let client;
  const early = [];
  const { socket, wcp5 } = await handshake({ ...opts, onMessage: m => (client ? client._deliver(m) : early.push(m)) });
  client = new RawClient(socket, wcp5, opts);
  for (const m of early.splice(0)) client._deliver(m);
  return client;
}
