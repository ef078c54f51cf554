#!/usr/bin/env node
// Sample CRM app: handles CreateInteraction over the agent's WebSocket and answers with an
// fdc3.transactionResult.
//
//   node --import ./lib/register.mjs sample-crm.mjs [--runtime-dir DIR]
//
// It may start before the agent: it waits for agent.json. If the agent goes away it reconnects
// with back-off (asking for its previous instanceId back). SIGTERM/SIGINT: WCP6Goodbye, exit 0.

import { parseArgs } from 'node:util';
import { setTimeout as sleep } from 'node:timers/promises';
import { waitForAgent } from './lib/discovery.mjs';
import { createInteractionHandler, startCrm } from './lib/crm.mjs';

const { values: opt } = parseArgs({
  options: {
    'runtime-dir': { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log('usage: node --import ./lib/register.mjs sample-crm.mjs [--runtime-dir DIR]');
  process.exit(0);
}

const log = line => console.log(`${new Date().toISOString()} [sample-crm] ${line}`);
const handler = createInteractionHandler({ log }); // one counter for the whole run
const stopping = new AbortController();
let app = null;

async function shutdown(signal) {
  if (stopping.signal.aborted) return;
  log(`${signal}: disconnecting`);
  stopping.abort();
  try {
    await app?.disconnect(); // WCP6Goodbye + close
  } catch (err) {
    log(`disconnect failed: ${err.message}`);
  }
  process.exit(0);
}
// The 2.2.0 proxy leaves some of its own promises unhandled (e.g. the intentResultRequest
// exchange of a handler whose agent died mid-answer); log those rather than crash the app.
process.on('unhandledRejection', err => log(`ignored unhandled rejection: ${err?.message ?? err}`));
process.on('SIGTERM', () => shutdown('SIGTERM'));
process.on('SIGINT', () => shutdown('SIGINT'));

const MIN_BACKOFF_MS = 500;
const MAX_BACKOFF_MS = 10_000;
let backoff = MIN_BACKOFF_MS;
let previous = {}; // instanceId + instanceUuid from the last connection, to get the same identity back

while (!stopping.signal.aborted) {
  try {
    const agentInfo = await waitForAgent({ runtimeDir: opt['runtime-dir'], timeoutMs: Infinity, intervalMs: 250, signal: stopping.signal });
    app = await startCrm({ agentInfo, handler, ...previous });
    previous = { instanceId: app.instanceId, instanceUuid: app.instanceUuid };
    backoff = MIN_BACKOFF_MS;
    log(`connected to ${agentInfo.provider ?? 'agent'} at ${agentInfo.url} as ${app.appId}/${app.instanceId}; listening for CreateInteraction`);
    const { code } = await new Promise(resolve => app.socket.once('close', code => resolve({ code })));
    app = null;
    if (stopping.signal.aborted) break;
    log(`connection closed (code ${code}); reconnecting`);
  } catch (err) {
    if (stopping.signal.aborted) break;
    app = null;
    // A rejected old identity is not worth retrying with: start fresh next time.
    if (err.response?.type === 'WCP5ValidateAppIdentityFailedResponse') previous = {};
    log(`cannot connect: ${err.message}; retrying in ${backoff} ms`);
  }
  await sleep(backoff, undefined, { signal: stopping.signal }).catch(() => {});
  backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
}
