// The desktop app's life cycle as the app-connection contract states it: the discovery file is
// removed on clean shutdown, and SIGTERM (logout, `kill`, a service manager) or Ctrl-C is a clean
// shutdown. While the window is up, a second agent on the same runtime folder says so and exits.
//
// Runs the real app binary with its window (INTERLOG_BIN, a display: the README's test command
// runs this under xvfb-run); no WebDriver needed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForAgent, AGENT_FILE } from '../../js/lib/discovery.mjs';
import { until } from '../lib/until.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '../../..');
const BIN = process.env.INTERLOG_BIN ?? path.join(repo, 'target/debug/interlog');

/** Starts the windowed app in its own folders; resolves once its discovery file is written. */
async function startDesktop() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'interlog-life-'));
  const runtimeDir = path.join(work, 'run');
  const args = ['--port', '0', '--data-dir', path.join(work, 'data')];
  const child = spawn(BIN, args, {
    env: { ...process.env, INTERLOG_RUNTIME_DIR: runtimeDir, INTERLOG_LOG: 'warn' },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', d => { stderr += d; });
  const exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })));
  const info = await Promise.race([
    waitForAgent({ runtimeDir, timeoutMs: 30_000 }),
    exited.then(e => { throw new Error(`the app exited before it was ready (${JSON.stringify(e)}): ${stderr}`); }),
  ]);
  return { child, work, runtimeDir, info, exited, stderr: () => stderr };
}

for (const signal of ['SIGTERM', 'SIGINT']) {
  test(`${signal} closes the windowed app cleanly: exit code 0 and the discovery file removed`, async t => {
    const app = await startDesktop();
    t.after(() => {
      if (app.child.exitCode === null && app.child.signalCode === null) app.child.kill('SIGKILL');
      fs.rmSync(app.work, { recursive: true, force: true });
    });
    const file = path.join(app.runtimeDir, AGENT_FILE);
    assert.ok(fs.existsSync(file), 'the running app has written its discovery file');
    assert.equal(app.info.pid, app.child.pid, 'the discovery file names the app process');

    app.child.kill(signal);
    // unref: a pending timer would otherwise keep the test process alive after the test passes.
    const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`no exit 15 s after ${signal}`)), 15_000).unref());
    const how = await Promise.race([app.exited, timeout]);
    assert.deepEqual(how, { code: 0, signal: null }, `exit after ${signal}; stderr: ${app.stderr()}`);
    assert.equal(fs.existsSync(file), false, 'the discovery file is removed on clean shutdown');
  });
}

test('a second agent started while the windowed app is alive says so and exits', async t => {
  const app = await startDesktop();
  t.after(async () => {
    app.child.kill('SIGTERM');
    await app.exited;
    fs.rmSync(app.work, { recursive: true, force: true });
  });
  const second = spawnSync(BIN, ['--headless', '--port', '0', '--data-dir', path.join(app.work, 'data2')], {
    env: { ...process.env, INTERLOG_RUNTIME_DIR: app.runtimeDir },
    encoding: 'utf8',
    timeout: 20_000,
  });
  assert.notEqual(second.status, 0, 'the second agent exits with an error');
  assert.match(second.stderr, /already running \(pid \d+/);
  assert.match(second.stderr, new RegExp(`pid ${app.child.pid}\\b`));
  // The first agent is untouched: still alive, and its discovery file still names it.
  assert.equal(app.child.exitCode, null);
  const info = JSON.parse(fs.readFileSync(path.join(app.runtimeDir, AGENT_FILE), 'utf8'));
  assert.equal(info.pid, app.child.pid);
});

test('a windowed start that fails says why in a dialog, and a signal still ends it', async t => {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'interlog-life-'));
  t.after(() => fs.rmSync(work, { recursive: true, force: true }));
  const data = path.join(work, 'data');
  fs.mkdirSync(data);
  const db = path.join(data, 'interlog.db');
  fs.writeFileSync(db, 'this is not a database, and must stay as it is\n');
  const env = { ...process.env, INTERLOG_RUNTIME_DIR: path.join(work, 'run'), INTERLOG_LOG: 'warn' };
  const args = ['--port', '0', '--data-dir', data];

  // stderr is a pipe, as for an app opened from the desktop menu: the reason goes to a dialog too.
  const child = spawn(BIN, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', d => { stderr += d; });
  const exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })));
  t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
  await until('a dialog named Interlog', () => {
    assert.equal(child.exitCode, null, `exited without a dialog; stderr: ${stderr}`);
    return /"Interlog": \(/.test(spawnSync('xwininfo', ['-root', '-tree'], { encoding: 'utf8' }).stdout);
  }, 20_000);
  assert.match(stderr, new RegExp(`cannot open the ledger ${db.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*not a database`));
  child.kill('SIGTERM');
  assert.deepEqual(await exited, { code: 1, signal: null });
  assert.equal(fs.readFileSync(db, 'utf8'), 'this is not a database, and must stay as it is\n', 'the file is left untouched');

  // For scripts and services: INTERLOG_NO_DIALOG=1 keeps it to stderr and exits at once.
  const quiet = spawnSync(BIN, args, { env: { ...env, INTERLOG_NO_DIALOG: '1' }, encoding: 'utf8', timeout: 20_000 });
  assert.equal(quiet.status, 1);
  assert.match(quiet.stderr, /cannot open the ledger .*not a database/);
});
