// Starting and stopping an agent under test from a shell command string.
//
// The command starts an agent in the foreground (e.g. `node /tmp/refda/server.mjs`, or
// `/work/main/target/debug/interlog --headless`); `--appd <file> --port 0` is appended. Each start
// gets a fresh INTERLOG_RUNTIME_DIR (so agent.json cannot be confused with another agent's) and,
// unless the caller sets one, a fresh INTERLOG_DATA_DIR.
// The command runs in its own process group (detached), so stopping it signals the shell and
// everything it started, and nothing else.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitForAgent } from './discovery.mjs';

export const FIXTURES_DIR = fileURLToPath(new URL('../../fixtures/', import.meta.url));
export const SAMPLE_APPD = path.join(FIXTURES_DIR, 'sample-appd.json');

/** Where the development default (the FDC3 reference agent) lives; see the README of reference-da. */
export const REFERENCE_DA_DIR = process.env.REFERENCE_DA_DIR ?? '/tmp/refda';
export const REFERENCE_AGENT_CMD = `node ${REFERENCE_DA_DIR}/server.mjs`;

/** The command for the agent under test: $INTERLOG_AGENT_CMD, else the reference agent. */
export function agentCommandFromEnv() {
  return process.env.INTERLOG_AGENT_CMD || REFERENCE_AGENT_CMD;
}

function shellQuote(s) {
  return `'${String(s).replace(/'/g, `'\\''`)}'`;
}

/**
 * Starts the agent and waits for its agent.json.
 * @param {string} command shell command (args appended: --appd APPD --port 0, then extraArgs)
 * @param {{appd?: string, extraArgs?: string[], env?: object, runtimeDir?: string, startTimeoutMs?: number,
 *   label?: string}} [opts]
 * @returns {Promise<{info: object, runtimeDir: string, dataDir: string, child: import('node:child_process').ChildProcess,
 *   log: () => string, stop: () => Promise<void>}>}
 */
/**
 * `settings`: written as the data folder's settings.json before the start (Interlog reads it;
 * another agent ignores it).
 */
export async function startAgent(command, { appd = SAMPLE_APPD, extraArgs = [], env = {}, runtimeDir: givenRuntimeDir, startTimeoutMs = 30_000, label = 'agent', settings } = {}) {
  // A fresh runtime folder (agent.json) and data folder (the agent's database) per start, so
  // runs never touch a real agent's files and several agents can run side by side.
  // A caller-given runtime folder is used as is (and left in place on stop).
  const baseDir = fs.mkdtempSync(path.join(os.tmpdir(), 'interlog-test-'));
  const runtimeDir = givenRuntimeDir ?? path.join(baseDir, 'run');
  const dataDir = path.join(baseDir, 'data');
  if (!givenRuntimeDir) fs.mkdirSync(runtimeDir, { mode: 0o700 });
  fs.mkdirSync(dataDir, { mode: 0o700 });
  if (settings) fs.writeFileSync(path.join(dataDir, 'settings.json'), JSON.stringify(settings));
  const full = [command, '--appd', shellQuote(appd), '--port', '0', ...extraArgs.map(shellQuote)].join(' ');
  const child = spawn('sh', ['-c', full], {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, INTERLOG_DATA_DIR: dataDir, ...env, INTERLOG_RUNTIME_DIR: runtimeDir },
  });
  // Keep the last part of the agent's output for error messages.
  let output = '';
  const keep = chunk => {
    output = (output + chunk.toString()).slice(-20_000);
  };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise(resolve => child.once('exit', (code, signal) => resolve({ code, signal })));
  let hasExited = false;
  exited.then(() => (hasExited = true));

  const stop = async () => {
    if (!hasExited) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const t = setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 5000);
      await exited;
      clearTimeout(t);
    }
    fs.rmSync(baseDir, { recursive: true, force: true });
  };

  const ac = new AbortController();
  exited.then(() => ac.abort());
  let info;
  try {
    info = await waitForAgent({ runtimeDir, timeoutMs: startTimeoutMs, intervalMs: 50, signal: ac.signal });
  } catch (err) {
    await stop();
    const why = hasExited ? `${label} exited before writing agent.json` : err.message;
    throw new Error(`could not start ${label} (${full}): ${why}\n--- output ---\n${output}`);
  }
  return { info, runtimeDir, dataDir, child, command: full, log: () => output, stop };
}
