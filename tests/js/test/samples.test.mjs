// The runnable sample apps as separate processes: sample-crm.mjs handles what raise-example.mjs
// raises; the CRM starts before the agent (waits for agent.json) and leaves cleanly on SIGTERM.
// Uses the same agent command as agent-proxy.test.mjs ($INTERLOG_AGENT_CMD or the reference agent).

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { agentCommandFromEnv, startAgent } from '../lib/agent-process.mjs';
import { openRawSocket } from '../lib/connect.mjs';
import { CHAT_IDENTITY_URL, CRM_APP_ID } from '../lib/crm.mjs';

const JS_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Runs `node --import ./lib/register.mjs <script> ...args` in tests/js; collects its output. */
function runNode(script, args, env = {}) {
  const child = spawn(process.execPath, ['--import', './lib/register.mjs', script, ...args], {
    cwd: JS_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  child.stdout.on('data', d => (out.stdout += d));
  child.stderr.on('data', d => (out.stderr += d));
  out.exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })));
  out.child = child;
  return out;
}

async function until(predicate, ms, what) {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise(r => setTimeout(r, 25));
  }
}

describe('sample apps', { timeout: 60_000 }, () => {
  let agent;
  let crm;
  // The CRM starts first, pointed at the runtime folder the agent will then be given.
  const runtimeDirForCrm = fs.mkdtempSync(path.join(os.tmpdir(), 'interlog-samples-'));

  before(async () => {
    crm = runNode('sample-crm.mjs', ['--runtime-dir', runtimeDirForCrm]);
    await new Promise(r => setTimeout(r, 300)); // it is now waiting for agent.json
    agent = await startAgent(agentCommandFromEnv(), { runtimeDir: runtimeDirForCrm });
    await until(() => crm.stdout.includes('listening for CreateInteraction'), 10_000, 'sample-crm to connect');
  });

  after(async () => {
    if (crm.child.exitCode === null) crm.child.kill('SIGKILL');
    await agent?.stop();
    fs.rmSync(runtimeDirForCrm, { recursive: true, force: true });
  });

  test('raise-example gets the CRM transactionResult and exits 0', async () => {
    // Target the running CRM instance (a raise at {appId} alone may launch a new instance).
    const probe = await openRawSocket({ identityUrl: CHAT_IDENTITY_URL, agentInfo: agent.info });
    const found = await probe.exchange('findInstancesRequest', { app: { appId: CRM_APP_ID } });
    await probe.goodbye();
    const instances = found.payload.appIdentifiers ?? [];
    assert.equal(instances.length, 1, JSON.stringify(found.payload));

    const raise = runNode('raise-example.mjs', ['--app', CRM_APP_ID, '--instance', instances[0].instanceId], {
      INTERLOG_RUNTIME_DIR: agent.runtimeDir,
    });
    const { code } = await raise.exited;
    assert.equal(code, 0, raise.stderr);
    assert.match(raise.stdout, new RegExp(`resolved by .*"instanceId":"${instances[0].instanceId}"`));
    const json = JSON.parse(raise.stdout.slice(raise.stdout.indexOf('{\n')));
    assert.equal(json.type, 'fdc3.transactionResult');
    assert.equal(json.status, 'Created');
    assert.deepEqual(json.context.id, { URI: 'crm://interactions/1' });
    assert.equal(json.message, 'record with id "crm://interactions/1" was created');
    assert.match(crm.stdout, /CreateInteraction from interlog\.sample-chat\/\S+: fdc3\.interaction -> Created crm:\/\/interactions\/1/);
  });

  test('raise-example reports an error and exits 1', async () => {
    const raise = runNode('raise-example.mjs', ['--app', 'no.such.app'], { INTERLOG_RUNTIME_DIR: agent.runtimeDir });
    const { code } = await raise.exited;
    assert.equal(code, 1);
    assert.match(raise.stderr, /CreateInteraction failed: \w+/);
  });

  test('sample-crm leaves cleanly on SIGTERM', async () => {
    crm.child.kill('SIGTERM');
    const { code, signal } = await crm.exited;
    assert.equal(signal, null);
    assert.equal(code, 0, crm.stderr);
    assert.match(crm.stdout, /SIGTERM: disconnecting/);
  });
});
