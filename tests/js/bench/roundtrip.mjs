#!/usr/bin/env node
// CreateInteraction raise -> result round trips over the app-connection WebSocket, in raw DACP
// (the thinnest client possible, identical for every agent).
//
//   node bench/roundtrip.mjs --agent "interlog=<cmd>" --agent "reference=node /tmp/refda/server.mjs" \
//        [--pairs 1,8] [--total 2000] [--warmup 200] [--lost-after 10000] [--out results.json]
//
// Each <cmd> starts an agent in the foreground; `--appd tests/fixtures/sample-appd.json --port 0`
// is appended, and each (agent, pair count) run gets a fresh agent with its own runtime folder.
//
// A pair is one raiser socket (identity: sample chat) and one handler socket (identity: sample
// CRM, listening for CreateInteraction). The raiser targets its own handler's {appId, instanceId},
// so no resolver is involved, and runs a closed loop: raise, wait for the result, raise again.
// All pairs run at once; `--total` round trips are split between them (`--warmup` likewise, not
// measured). Measured:
//   - round trips/s over the measured phase (first raise to last result);
//   - latency p50/p99: raiseIntentRequest sent -> raiseIntentResultResponse received;
//   - lost: raises with no result after --lost-after ms; errors: error responses or a result that
//     does not belong to the raise;
//   - the agent process's CPU time (utime+stime from /proc, including its descendants) per
//     round trip, in µs; the benchmark's own CPU time likewise for comparison.

import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { openRawSocket } from '../lib/wire.mjs';
import { cpuSeconds } from '../lib/cpu-time.mjs';
import { FIXTURES_DIR, SAMPLE_APPD, startAgent } from '../lib/agent-process.mjs';

const CRM_URL = 'https://apps.interlog.example/crm/';
const CHAT_URL = 'https://apps.interlog.example/chat/';
const INTERACTION = JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, 'create-interaction.context.json'), 'utf8'));

// ------------------------------------------------------------------ options

const { values: opt } = parseArgs({
  options: {
    agent: { type: 'string', multiple: true, default: [] },
    pairs: { type: 'string', default: '1,8' },
    total: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
    'lost-after': { type: 'string', default: '10000' },
    appd: { type: 'string', default: SAMPLE_APPD },
    out: { type: 'string' },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help || opt.agent.length === 0) {
  console.log(`usage: node bench/roundtrip.mjs --agent NAME=COMMAND [--agent NAME=COMMAND]...
       [--pairs 1,8] [--total 2000] [--warmup 200] [--lost-after 10000] [--appd FILE] [--out FILE]`);
  process.exit(opt.help ? 0 : 2);
}
const agents = opt.agent.map(spec => {
  const i = spec.indexOf('=');
  if (i <= 0) throw new Error(`--agent wants NAME=COMMAND, got ${JSON.stringify(spec)}`);
  return { name: spec.slice(0, i), command: spec.slice(i + 1) };
});
const pairCounts = opt.pairs.split(',').map(Number);
const TOTAL = Number(opt.total);
const WARMUP = Number(opt.warmup);
const LOST_AFTER_MS = Number(opt['lost-after']);

// ------------------------------------------------------------------ one pair

/** The handler's answer: the interaction with a record id that names the raise it answers. */
function transactionResult(context, raiseUuid) {
  const uri = `crm://interactions/${raiseUuid}`;
  return {
    type: 'fdc3.transactionResult',
    status: 'Created',
    context: { ...context, id: { URI: uri } },
    message: `record with id "${uri}" was created`,
  };
}

async function openPair(agentInfo) {
  const handler = await openRawSocket({ identityUrl: CRM_URL, agentInfo });
  const raiser = await openRawSocket({ identityUrl: CHAT_URL, agentInfo });
  const listening = await handler.exchange('addIntentListenerRequest', { intent: 'CreateInteraction' });
  if (listening.payload?.error || !listening.payload?.listenerUUID) {
    throw new Error(`addIntentListener failed: ${JSON.stringify(listening.payload)}`);
  }
  const pair = { handler, raiser, target: { appId: handler.appId, instanceId: handler.instanceId }, handlerErrors: 0 };

  // The handler answers every intentEvent at once, quoting the event's eventUuid and the
  // raise's requestUuid as the protocol requires.
  handler.onMessage(m => {
    if (m.type === 'intentEvent') {
      const raiseUuid = m.payload.raiseIntentRequestUuid;
      handler.request('intentResultRequest', {
        intentEventUuid: m.meta.eventUuid,
        raiseIntentRequestUuid: raiseUuid,
        intentResult: { context: transactionResult(m.payload.context, raiseUuid) },
      });
      return true;
    }
    if (m.type === 'intentResultResponse') {
      if (m.payload?.error) pair.handlerErrors++;
      return true;
    }
    return false;
  });

  // The raiser: pending raises by requestUuid. A round trip ends with the raiseIntentResultResponse
  // carrying the raise's requestUuid (meta.requestUuid); the raiseIntentResponse (resolution) is
  // only checked for errors.
  pair.pending = new Map();
  raiser.onMessage(m => {
    const p = pair.pending.get(m.meta?.requestUuid);
    if (m.type === 'raiseIntentResponse') {
      if (p && m.payload?.error) p.finish('error', `raiseIntentResponse: ${m.payload.error}`);
      else if (p && m.payload?.intentResolution?.source?.instanceId !== pair.target.instanceId) {
        p.finish('error', `resolved by ${JSON.stringify(m.payload?.intentResolution?.source)}`);
      }
      return true;
    }
    if (m.type === 'raiseIntentResultResponse') {
      if (!p) {
        pair.late = (pair.late ?? 0) + 1; // after it was counted as lost
      } else if (m.payload?.error) {
        p.finish('error', `raiseIntentResultResponse: ${m.payload.error}`);
      } else if (m.payload?.intentResult?.context?.context?.id?.URI !== `crm://interactions/${p.uuid}`) {
        p.finish('error', 'result does not belong to this raise');
      } else {
        p.finish('ok');
      }
      return true;
    }
    return false;
  });
  return pair;
}

/** One raise -> result round trip; resolves {outcome: ok|error|lost, ms, detail}. */
function roundTrip(pair) {
  return new Promise(resolve => {
    const uuid = randomUUID();
    const t0 = performance.now();
    const p = {
      uuid,
      finish(outcome, detail) {
        clearTimeout(p.timer);
        pair.pending.delete(uuid);
        resolve({ outcome, ms: performance.now() - t0, detail });
      },
    };
    p.timer = setTimeout(() => p.finish('lost'), LOST_AFTER_MS);
    pair.pending.set(uuid, p);
    pair.raiser.send({
      type: 'raiseIntentRequest',
      payload: { intent: 'CreateInteraction', context: INTERACTION, app: pair.target },
      meta: { requestUuid: uuid, timestamp: new Date().toISOString() },
    });
  });
}

async function closedLoop(pair, n, sink) {
  for (let i = 0; i < n; i++) sink(await roundTrip(pair));
}

function split(total, parts) {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

// ------------------------------------------------------------------ one run

async function run(agentSpec, pairsN) {
  // A benchmark raises far beyond one app's everyday budget (600 a minute): lifted for it.
  const settings = { raiseBudget: { perMinute: 100_000_000, maxContextBytes: 262_144 } };
  const agent = await startAgent(agentSpec.command, { appd: opt.appd, label: agentSpec.name, settings });
  const pairs = [];
  try {
    for (let i = 0; i < pairsN; i++) pairs.push(await openPair(agent.info));

    const ignore = () => {};
    await Promise.all(pairs.map((p, i) => closedLoop(p, split(WARMUP, pairsN)[i], ignore)));

    const latencies = [];
    let lost = 0;
    let errors = 0;
    const errorSamples = new Set();
    const sink = r => {
      if (r.outcome === 'ok') latencies.push(r.ms);
      else if (r.outcome === 'lost') lost++;
      else {
        errors++;
        if (errorSamples.size < 5) errorSamples.add(r.detail);
      }
    };
    const cpu0 = cpuSeconds(agent.info.pid);
    const self0 = process.cpuUsage();
    const t0 = performance.now();
    await Promise.all(pairs.map((p, i) => closedLoop(p, split(TOTAL, pairsN)[i], sink)));
    const wallS = (performance.now() - t0) / 1000;
    const cpuS = cpuSeconds(agent.info.pid) - cpu0;
    const self = process.cpuUsage(self0);

    latencies.sort((a, b) => a - b);
    return {
      agent: agentSpec.name,
      command: agent.command,
      provider: `${agent.info.provider ?? '?'} ${agent.info.providerVersion ?? ''}`.trim(),
      pairs: pairsN,
      roundTrips: TOTAL,
      completed: latencies.length,
      wallSeconds: wallS,
      roundTripsPerSecond: latencies.length / wallS,
      p50Ms: percentile(latencies, 50),
      p99Ms: percentile(latencies, 99),
      maxMs: latencies.at(-1) ?? NaN,
      lost,
      late: pairs.reduce((s, p) => s + (p.late ?? 0), 0),
      errors: errors + pairs.reduce((s, p) => s + p.handlerErrors, 0),
      errorSamples: [...errorSamples],
      agentCpuSeconds: cpuS,
      agentCpuUsPerRoundTrip: (cpuS * 1e6) / TOTAL,
      clientCpuUsPerRoundTrip: (self.user + self.system) / TOTAL,
    };
  } finally {
    await Promise.all(pairs.flatMap(p => [p.raiser.goodbye(), p.handler.goodbye()]));
    await agent.stop();
  }
}

// ------------------------------------------------------------------ main

function table(rows) {
  const cols = [
    ['agent', r => r.agent],
    ['pairs', r => r.pairs],
    ['round trips', r => `${r.completed}/${r.roundTrips}`],
    ['rt/s', r => r.roundTripsPerSecond.toFixed(0)],
    ['p50 ms', r => r.p50Ms.toFixed(2)],
    ['p99 ms', r => r.p99Ms.toFixed(2)],
    ['lost', r => r.lost],
    ['errors', r => r.errors],
    ['agent CPU µs/rt', r => r.agentCpuUsPerRoundTrip.toFixed(0)],
    ['client CPU µs/rt', r => r.clientCpuUsPerRoundTrip.toFixed(0)],
  ];
  const cells = [cols.map(c => c[0]), ...rows.map(r => cols.map(c => String(c[1](r))))];
  const widths = cols.map((_, i) => Math.max(...cells.map(row => row[i].length)));
  const line = row => row.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ');
  return [line(cells[0]), widths.map(w => '-'.repeat(w)).join('  '), ...cells.slice(1).map(line)].join('\n');
}

const results = [];
for (const a of agents) {
  for (const n of pairCounts) {
    process.stderr.write(`${a.name}: ${n} pair(s), ${WARMUP} warm-up + ${TOTAL} round trips...\n`);
    const r = await run(a, n);
    results.push(r);
    if (r.errorSamples.length) process.stderr.write(`  errors, e.g.: ${r.errorSamples.join('; ')}\n`);
  }
}
console.log(table(results));
// A benchmark that lost or failed a round trip says so in its exit status (the test command's
// smoke run relies on it; it asserts no timing).
const failed = results.filter(r => r.lost || r.errors || r.completed !== r.roundTrips);
if (failed.length) {
  console.error(`round trips lost or failed: ${failed.map(r => `${r.agent} at ${r.pairs} pair(s)`).join(', ')}`);
  process.exitCode = 1;
}

if (opt.out) {
  const report = {
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadavg: os.loadavg(), node: process.version },
    config: { pairs: pairCounts, total: TOTAL, warmup: WARMUP, lostAfterMs: LOST_AFTER_MS, appd: opt.appd },
    results,
  };
  fs.writeFileSync(opt.out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`written to ${opt.out}`);
}
