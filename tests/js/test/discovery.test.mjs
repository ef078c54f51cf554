// lib/discovery.mjs: where agent.json is looked for, and stale or missing files.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DiscoveryError, readAgentInfo, runtimeDir, waitForAgent } from '../lib/discovery.mjs';

function tempDir() {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'interlog-discovery-'));
}
function writeAgentJson(dir, pid) {
  const info = { url: 'ws://127.0.0.1:1/fdc3', token: 'ab'.repeat(32), pid, fdc3Version: '2.2', provider: 'Test' };
  fs.writeFileSync(path.join(dir, 'agent.json'), JSON.stringify(info), { mode: 0o600 });
  return info;
}

test('runtime folder precedence: INTERLOG_RUNTIME_DIR, XDG_RUNTIME_DIR/interlog, data dir/run', () => {
  assert.equal(runtimeDir({ INTERLOG_RUNTIME_DIR: '/a', XDG_RUNTIME_DIR: '/x', INTERLOG_DATA_DIR: '/d' }), '/a');
  assert.equal(runtimeDir({ XDG_RUNTIME_DIR: '/x', INTERLOG_DATA_DIR: '/d' }), '/x/interlog');
  assert.equal(runtimeDir({ INTERLOG_DATA_DIR: '/d' }), '/d/run');
  assert.equal(runtimeDir({}), path.join(os.homedir(), '.local', 'share', 'interlog', 'run'));
});

test('a live pid is accepted, a dead one is stale, no file is no agent', async () => {
  const dir = tempDir();
  try {
    await assert.rejects(readAgentInfo({ runtimeDir: dir }), e => e instanceof DiscoveryError && e.code === 'NO_AGENT');
    const info = writeAgentJson(dir, process.pid);
    const read = await readAgentInfo({ runtimeDir: dir });
    assert.equal(read.url, info.url);
    assert.equal(read.token, info.token);
    // A pid far above any pid_max in use is certainly not alive.
    writeAgentJson(dir, 2 ** 22 + 12345);
    await assert.rejects(readAgentInfo({ runtimeDir: dir }), e => e.code === 'STALE');
    fs.writeFileSync(path.join(dir, 'agent.json'), '{"url":');
    await assert.rejects(readAgentInfo({ runtimeDir: dir }), e => e.code === 'INVALID');
    // The environment is used when no folder is given.
    writeAgentJson(dir, process.pid);
    assert.equal((await readAgentInfo({ env: { INTERLOG_RUNTIME_DIR: dir } })).pid, process.pid);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('waitForAgent waits for the file, and gives up after its timeout', async () => {
  const dir = tempDir();
  try {
    const t0 = Date.now();
    await assert.rejects(waitForAgent({ runtimeDir: dir, timeoutMs: 300, intervalMs: 50 }), e => e.code === 'NO_AGENT');
    assert.ok(Date.now() - t0 >= 250);
    setTimeout(() => writeAgentJson(dir, process.pid), 200);
    const info = await waitForAgent({ runtimeDir: dir, timeoutMs: 5000, intervalMs: 50 });
    assert.equal(info.pid, process.pid);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
