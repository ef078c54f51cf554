// Web apps in Interlog windows, measured: the time from `open` to `fdc3Ready` in the page, the
// time from a raise at an app that is not running to the intent reaching its new window, and the
// idle memory of Interlog with all its processes (PSS: the app, WebKit's web and network
// processes) with zero, one and five app windows open.
//
//   xvfb-run -a node bench/hosted-bench.mjs [--runs 10]      (from tests/e2e, after a build)
//
// A raiser outside Interlog (the official proxy over the socket) opens and raises; the bench
// page (pages/bench) reports on app channel "bench" with its own clock (the same machine's).

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '../lib/static-server.mjs';
import { connectApp } from '../../js/lib/connect.mjs';
import { waitForAgent } from '../../js/lib/discovery.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const BIN = process.env.INTERLOG_BIN ?? path.join(repo, 'target/release/interlog');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 10);

const sleep = ms => new Promise(r => setTimeout(r, ms));
const pct = (xs, p) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))];
const summary = xs => `median ${pct(xs, 50)} ms, p90 ${pct(xs, 90)} ms, min ${Math.min(...xs)} ms, max ${Math.max(...xs)} ms (n=${xs.length})`;

/** PSS in kB of a process and all its descendants. */
function pssTree(pid) {
  const children = new Map();
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {}
  }
  let total = 0;
  const names = [];
  const visit = p => {
    try {
      const rollup = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      const kb = Number(/^Pss:\s+(\d+)/m.exec(rollup)?.[1] ?? 0);
      total += kb;
      names.push(`${fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim()} ${Math.round(kb / 1024)} MB`);
    } catch {}
    for (const c of children.get(p) ?? []) visit(c);
  };
  visit(pid);
  return { mb: Math.round(total / 1024), names };
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'interlog-hosted-bench-'));
const runtimeDir = path.join(work, 'run');
const server = await serveStatic(path.resolve(here, '../pages'));
const base = `http://localhost:${server.port}`;
fs.writeFileSync(
  path.join(work, 'appd.json'),
  JSON.stringify({
    applications: [
      { appId: 'bench.app', title: 'Bench app', type: 'web', details: { url: `${base}/bench/` },
        interop: { intents: { listensFor: { BenchIntent: { contexts: ['bench.run'] } } } } },
      { appId: 'bench.raiser', title: 'Bench raiser', type: 'web', details: { url: 'https://bench.invalid/raiser' } },
    ],
  }),
);
const app = spawn(BIN, ['--port', '0', '--data-dir', path.join(work, 'data'), '--appd', path.join(work, 'appd.json')], {
  env: { ...process.env, INTERLOG_RUNTIME_DIR: runtimeDir, INTERLOG_LOG: 'warn', INTERLOG_NO_DIALOG: '1' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
try {
  await waitForAgent({ runtimeDir, timeoutMs: 30_000 });
  const raiser = await connectApp({ identityUrl: 'https://bench.invalid/raiser', runtimeDir, appLaunchTimeout: 60_000 });
  const bench = await raiser.agent.getOrCreateChannel('bench');
  const waiting = new Map();
  const arrived = new Map(); // reports that came before anyone waited for them
  const expect = (key, timeoutMs = 30_000) =>
    arrived.has(key)
      ? Promise.resolve(arrived.get(key))
      : new Promise((resolve, reject) => {
          const t = setTimeout(() => reject(new Error(`no ${key} within ${timeoutMs} ms`)), timeoutMs);
          waiting.set(key, v => {
            clearTimeout(t);
            resolve(v);
          });
        });
  let rtt;
  await bench.addContextListener('bench.rttResult', ctx => rtt?.(JSON.parse(ctx.id.times)));
  await bench.addContextListener(null, ctx => {
    if (ctx.type === 'bench.rttResult') return;
    const key = ctx.type === 'bench.ready' ? `ready:${ctx.id.instanceId}` : `delivered:${ctx.id.run}`;
    const w = waiting.get(key);
    waiting.delete(key);
    if (w) w(ctx.at);
    else arrived.set(key, ctx.at);
  });
  const closeAll = async () => {
    await bench.broadcast({ type: 'bench.close' });
    await sleep(1500);
  };
  await sleep(3000);
  const idle0 = pssTree(app.pid);

  // open -> fdc3Ready (the ready report is registered before the open can complete).
  const openTimes = [];
  for (let i = 0; i < runs + 1; i++) {
    const t0 = Date.now();
    const opened = raiser.agent.open({ appId: 'bench.app' });
    const id = (await opened).instanceId;
    const at = await expect(`ready:${id}`);
    if (i > 0) openTimes.push(at - t0); // the first window warms WebKit's processes up
    await closeAll();
  }

  // launch-on-raise: a raise at the app, not running, until the intent reaches the new window.
  const raiseTimes = [];
  for (let i = 0; i < runs; i++) {
    const delivered = expect(`delivered:${i}`);
    const t0 = Date.now();
    await raiser.agent.raiseIntent('BenchIntent', { type: 'bench.run', id: { run: i } }, { appId: 'bench.app' });
    raiseTimes.push((await delivered) - t0);
    await closeAll();
  }

  // Idle memory with one and five windows open; page round trips with one open.
  await raiser.agent.open({ appId: 'bench.app' });
  await sleep(4000);
  const idle1 = pssTree(app.pid);
  const rttTimes = await new Promise(resolve => {
    rtt = resolve;
    bench.broadcast({ type: 'bench.rtt', id: { count: 200 } });
  });
  for (let i = 0; i < 4; i++) await raiser.agent.open({ appId: 'bench.app' });
  await sleep(4000);
  const idle5 = pssTree(app.pid);
  await closeAll();

  console.log(`open -> fdc3Ready in the page:            ${summary(openTimes)}`);
  console.log(`raise at a closed app -> intent delivered: ${summary(raiseTimes)}`);
  console.log(`page -> agent -> page round trip (getInfo, one at a time): median ${pct(rttTimes, 50).toFixed(2)} ms, p99 ${pct(rttTimes, 99).toFixed(2)} ms (n=${rttTimes.length})`);
  console.log(`idle PSS, all processes: 0 windows ${idle0.mb} MB, 1 window ${idle1.mb} MB, 5 windows ${idle5.mb} MB`);
  console.log(`  with 5 windows: ${idle5.names.join(', ')}`);
  await raiser.disconnect();
} finally {
  app.kill('SIGTERM');
  await new Promise(r => app.once('exit', r));
  await server.close();
  fs.rmSync(work, { recursive: true, force: true });
}
