// Hardening probes against a running agent binary: what a careless or hostile local process can
// make it hold, measured from outside (the agent's descriptors and resident memory from /proc,
// its ledger files' size), and whether a fresh app still gets in, and how fast.
//
//   INTERLOG_AGENT_CMD="target/release/interlog --headless" \
//     node --import ./lib/register.mjs bench/hardening-probes.mjs [--json FILE]
//
// Probes: 1100 idle TCP connections (never upgraded); a listener that stops reading while 50 MB
// is broadcast to it; 50 raises with a 1 MB description (the frame limit raised to 2 MB) and 50
// refused ones (MalformedContext, 1 MB each).
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { openRawSocket } from '../lib/wire.mjs';
import { startAgent, agentCommandFromEnv } from '../lib/agent-process.mjs';

const { values: opt } = parseArgs({ options: { json: { type: 'string' } } });
const CHAT = 'https://apps.interlog.example/chat/';
const TEST_A = 'https://apps.interlog.example/test-a/';
const TEST_B = 'https://apps.interlog.example/test-b/';
const sleep = ms => new Promise(r => setTimeout(r, ms));
const mib = bytes => Math.round((bytes / (1024 * 1024)) * 10) / 10;

function rssBytes(pid) {
  const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find(l => l.startsWith('VmRSS:'));
  return Number(line.split(/\s+/)[1]) * 1024;
}
const fds = pid => fs.readdirSync(`/proc/${pid}/fd`).length;
function ledgerBytes(dataDir) {
  return fs
    .readdirSync(dataDir)
    .filter(f => f.startsWith('interlog.db') || f.startsWith('interlog.journal'))
    .reduce((sum, f) => sum + fs.statSync(path.join(dataDir, f)).size, 0);
}

/** How long a fresh app takes to connect and get an answer (ms), or the error. */
async function freshApp(agent) {
  const start = performance.now();
  try {
    const app = await openRawSocket({ runtimeDir: agent.runtimeDir, identityUrl: CHAT, timeoutMs: 10_000 });
    await app.exchange('getInfoRequest', {}, 10_000);
    const ms = Math.round(performance.now() - start);
    await app.goodbye();
    return { connected: true, ms };
  } catch (e) {
    return { connected: false, error: String(e.message ?? e) };
  }
}

async function idleConnections(command) {
  const agent = await startAgent(command, { label: 'agent' });
  const pid = agent.info.pid;
  try {
    const before = fds(pid);
    const sockets = [];
    for (let i = 0; i < 1100; i++) {
      const s = net.connect(agent.info.url ? new URL(agent.info.url).port : 0, '127.0.0.1');
      s.on('error', () => {});
      sockets.push(s);
    }
    await sleep(1000);
    const during = fds(pid);
    const app = await freshApp(agent);
    await sleep(6000);
    const after = fds(pid);
    const stillOpen = sockets.filter(s => !s.destroyed && s.readyState === 'open').length;
    sockets.forEach(s => s.destroy());
    return { descriptorsBefore: before, descriptorsWith1100Idle: during, freshApp: app, descriptorsAfter6s: after, idleStillOpenAfter6s: stillOpen };
  } finally {
    await agent.stop();
  }
}

async function nonReadingListener(command) {
  const agent = await startAgent(command, { label: 'agent' });
  const pid = agent.info.pid;
  try {
    const channelId = 'fdc3.channel.1';
    const quiet = await openRawSocket({ runtimeDir: agent.runtimeDir, identityUrl: TEST_B });
    await quiet.exchange('joinUserChannelRequest', { channelId });
    await quiet.exchange('addContextListenerRequest', { channelId: null, contextType: null });
    quiet.socket._socket.pause(); // stops reading: the agent's writes back up
    const loud = await openRawSocket({ runtimeDir: agent.runtimeDir, identityUrl: TEST_A });
    await loud.exchange('joinUserChannelRequest', { channelId });
    const rssBefore = rssBytes(pid);
    let peak = rssBefore;
    const context = { type: 'fdc3.instrument', id: { ticker: 'AAPL' }, name: 'x'.repeat(512 * 1024) };
    let closedAfter = null;
    for (let i = 1; i <= 100; i++) {
      await loud.exchange('broadcastRequest', { channelId, context }, 10_000);
      peak = Math.max(peak, rssBytes(pid));
      if (closedAfter === null) {
        const r = await loud.exchange('findInstancesRequest', { app: { appId: 'test.app-b' } });
        if ((r.payload.appIdentifiers ?? []).length === 0) closedAfter = i;
      }
    }
    quiet.socket.terminate();
    await sleep(2000);
    const rssAfter = rssBytes(pid);
    const app = await freshApp(agent);
    await loud.goodbye();
    return {
      broadcastMiB: 50,
      quietInstanceEndedAfterBroadcasts: closedAfter,
      rssBeforeMiB: mib(rssBefore),
      rssPeakMiB: mib(peak),
      rssAfterItLeftMiB: mib(rssAfter),
      freshApp: app,
    };
  } finally {
    await agent.stop();
  }
}

async function ledgerFlood(command) {
  const agent = await startAgent(command, { label: 'agent', extraArgs: ['--max-frame', String(2 * 1024 * 1024)] });
  try {
    const chat = await openRawSocket({ runtimeDir: agent.runtimeDir, identityUrl: CHAT });
    const description = 'x'.repeat(1024 * 1024);
    const start = ledgerBytes(agent.dataDir);
    const outcomes = {};
    const count = (r) => {
      const key = r.payload.error ?? 'accepted';
      outcomes[key] = (outcomes[key] ?? 0) + 1;
    };
    for (let i = 0; i < 50; i++) {
      const interaction = {
        type: 'fdc3.interaction',
        participants: { type: 'fdc3.contactList', contacts: [{ type: 'fdc3.contact', id: { email: 'jane.doe@mail.com' } }] },
        timeRange: { type: 'fdc3.timeRange', startTime: '2026-01-01T00:00:00.000Z' },
        interactionType: 'Meeting',
        description,
      };
      count(await chat.exchange('raiseIntentRequest', { intent: 'CreateInteraction', context: interaction, app: { appId: 'interlog.log' } }, 20_000));
    }
    await sleep(1000);
    const afterValid = ledgerBytes(agent.dataDir);
    const refused = {};
    for (let i = 0; i < 50; i++) {
      const r = await chat.exchange('raiseIntentRequest', { intent: 'CreateInteraction', context: { type: 'fdc3.interaction', description } }, 20_000);
      refused[r.payload.error ?? 'accepted'] = (refused[r.payload.error ?? 'accepted'] ?? 0) + 1;
    }
    await sleep(1000);
    const afterRefused = ledgerBytes(agent.dataDir);
    await chat.goodbye();
    return {
      largeRaises: outcomes,
      ledgerGrowthFor50x1MiBMiB: mib(afterValid - start),
      malformedRaises: refused,
      ledgerGrowthFor50RefusedMiB: mib(afterRefused - afterValid),
    };
  } finally {
    await agent.stop();
  }
}

const command = agentCommandFromEnv();
const results = {
  agent: command,
  idleConnections: await idleConnections(command),
  nonReadingListener: await nonReadingListener(command),
  ledgerFlood: await ledgerFlood(command),
};
console.log(JSON.stringify(results, null, 2));
if (opt.json) fs.writeFileSync(opt.json, JSON.stringify(results, null, 2));
