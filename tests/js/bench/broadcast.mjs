#!/usr/bin/env node
// Broadcast fan-out: one app broadcasts on a user channel that N other apps listen on; measures
// the time from broadcastRequest sent until every listener has its broadcastEvent, and the
// agent's CPU time per broadcast. Raw DACP, the same client for every agent.
//
//   node bench/broadcast.mjs --agent "interlog=<cmd>" [--agent "reference=<cmd>"] [--listeners 10] [--count 2000]

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { openRawSocket } from '../lib/wire.mjs';
import { startAgent } from '../lib/agent-process.mjs';

const { values: opt } = parseArgs({
  options: {
    agent: { type: 'string', multiple: true, default: [] },
    listeners: { type: 'string', default: '10' },
    count: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
  },
});
const LISTENERS = Number(opt.listeners);
const CHANNEL = 'fdc3.channel.1';
const TICK = 100; // USER_HZ on Linux

function cpuSeconds(pid) {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / TICK;
}

async function join(client) {
  await client.exchange('joinUserChannelRequest', { channelId: CHANNEL });
  await client.exchange('addContextListenerRequest', { channelId: null, contextType: 'fdc3.instrument' });
}

async function run(spec) {
  const agent = await startAgent(spec.command, { label: spec.name });
  try {
    const sender = await openRawSocket({ runtimeDir: agent.runtimeDir, identityUrl: 'https://apps.interlog.example/test-a/' });
    const listeners = [];
    for (let i = 0; i < LISTENERS; i++) {
      const l = await openRawSocket({ runtimeDir: agent.runtimeDir, identityUrl: 'https://apps.interlog.example/test-b/' });
      await join(l);
      listeners.push(l);
    }
    await sender.exchange('joinUserChannelRequest', { channelId: CHANNEL });
    const once = async n => {
      const context = { type: 'fdc3.instrument', id: { ticker: `T${n}` } };
      const t0 = performance.now();
      const got = listeners.map(l => l.next(m => m.type === 'broadcastEvent' && m.payload?.context?.id?.ticker === `T${n}`, 5000));
      sender.request('broadcastRequest', { channelId: CHANNEL, context });
      await Promise.all(got);
      return performance.now() - t0;
    };
    for (let i = 0; i < Number(opt.warmup); i++) await once(-i - 1);
    const cpu0 = cpuSeconds(agent.info.pid);
    const times = [];
    const start = performance.now();
    for (let i = 0; i < Number(opt.count); i++) times.push(await once(i));
    const elapsed = (performance.now() - start) / 1000;
    const cpu = cpuSeconds(agent.info.pid) - cpu0;
    times.sort((a, b) => a - b);
    const p = q => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(2);
    for (const c of [sender, ...listeners]) c.kill();
    return { agent: spec.name, listeners: LISTENERS, count: times.length, perSecond: Math.round(times.length / elapsed),
      p50ms: p(0.5), p99ms: p(0.99), agentCpuUsPerBroadcast: Math.round((cpu * 1e6) / times.length) };
  } finally {
    await agent.stop();
  }
}

const rows = [];
for (const a of opt.agent) {
  const i = a.indexOf('=');
  rows.push(await run({ name: a.slice(0, i), command: a.slice(i + 1) }));
}
console.table(rows);
