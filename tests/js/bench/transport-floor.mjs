#!/usr/bin/env node
// The transport's share of an agent's CPU per round trip: the same closed-loop raiser/handler
// pairs as bench/roundtrip.mjs, against a relay that only moves frames (Rust, tokio-tungstenite,
// one thread: crates/interlog-server/examples/transport_floor.rs).
//
//   cargo build --release -p interlog-server --example transport_floor
//   node bench/transport-floor.mjs --relay target/release/examples/transport_floor [--pairs 1,8]
//        [--total 20000] [--warmup 2000]
//
// Per round trip the relay reads two frames and writes four, as the agent does for a raise and its
// result; the frames are the sizes of the real ones. Its CPU time per round trip is what no agent
// behind this WebSocket stack can go below, whatever it does with the messages.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';
import { cpuSeconds } from '../lib/cpu-time.mjs';
import { FIXTURES_DIR } from '../lib/agent-process.mjs';

const { values: opt } = parseArgs({
  options: {
    relay: { type: 'string' },
    pairs: { type: 'string', default: '1,8' },
    total: { type: 'string', default: '20000' },
    warmup: { type: 'string', default: '2000' },
  },
});
if (!opt.relay) {
  console.log('usage: node bench/transport-floor.mjs --relay PATH [--pairs 1,8] [--total N] [--warmup N]');
  process.exit(2);
}
const TOTAL = Number(opt.total);
const WARMUP = Number(opt.warmup);

const read = name => JSON.parse(fs.readFileSync(path.join(FIXTURES_DIR, name), 'utf8'));
const RAISE = JSON.stringify({
  type: 'raiseIntentRequest',
  payload: { intent: 'CreateInteraction', context: read('create-interaction.context.json') },
  meta: { requestUuid: '9f0c8c1e-0000-4000-8000-000000000000', timestamp: new Date().toISOString() },
});
const RESULT = JSON.stringify({
  type: 'intentResultRequest',
  payload: { intentEventUuid: '9f0c8c1e-0000-4000-8000-000000000001', intentResult: { context: read('create-interaction.result.json') } },
  meta: { requestUuid: '9f0c8c1e-0000-4000-8000-000000000002', timestamp: new Date().toISOString() },
});

async function startRelay() {
  const child = spawn(opt.relay, [], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: child.stdout });
  for await (const line of lines) {
    const m = /^listening (\d+)$/.exec(line);
    if (m) return { child, port: Number(m[1]) };
  }
  throw new Error('the relay exited before it listened');
}

async function socket(port, name) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  await once(ws, 'open');
  ws.send(name);
  return ws;
}

/** One raiser/handler pair; `run(n)` does n round trips, closed loop. Results are the long frames. */
async function pair(port, i) {
  const raiser = await socket(port, `raiser ${i}`);
  const handler = await socket(port, `handler ${i}`);
  handler.on('message', data => {
    if (data.length > 200) handler.send(RESULT); // the intent, not the relay's ack
  });
  let left = 0;
  let done = null;
  raiser.on('message', data => {
    if (data.length <= 200) return; // ack
    left -= 1;
    if (left > 0) raiser.send(RAISE);
    else done();
  });
  return {
    run: n =>
      new Promise(resolve => {
        left = n;
        done = resolve;
        raiser.send(RAISE);
      }),
    close: () => {
      raiser.close();
      handler.close();
    },
  };
}

console.log('pairs  round trips  rt/s     relay CPU µs/rt');
for (const count of opt.pairs.split(',').map(Number)) {
  const { child, port } = await startRelay();
  const pairs = [];
  for (let i = 0; i < count; i++) pairs.push(await pair(port, i));
  const per = n => Math.ceil(n / count);
  await Promise.all(pairs.map(p => p.run(per(WARMUP))));
  const cpu0 = cpuSeconds(child.pid);
  const t0 = performance.now();
  await Promise.all(pairs.map(p => p.run(per(TOTAL))));
  const seconds = (performance.now() - t0) / 1000;
  const cpu = cpuSeconds(child.pid) - cpu0;
  const trips = per(TOTAL) * count;
  console.log(
    `${String(count).padStart(5)}  ${String(trips).padStart(11)}  ${String(Math.round(trips / seconds)).padStart(6)}  ${(cpu * 1e6 / trips).toFixed(1).padStart(15)}`,
  );
  pairs.forEach(p => p.close());
  child.kill('SIGTERM');
  await once(child, 'exit');
}
