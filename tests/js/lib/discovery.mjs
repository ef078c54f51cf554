// Finding a running agent: the discovery file `agent.json` (app-connection.md §1).
//
//   runtime folder = $INTERLOG_RUNTIME_DIR
//                  | $XDG_RUNTIME_DIR/interlog
//                  | <data dir>/run, data dir = $INTERLOG_DATA_DIR | ~/.local/share/interlog
//   agent.json     = { url, token, pid, fdc3Version, provider, providerVersion }
//
// A file whose pid is not alive is stale (the agent crashed without removing it) and is
// treated as "no agent".

import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export const AGENT_FILE = 'agent.json';

/** Error thrown when there is no usable agent.json; `code` is NO_AGENT, STALE or INVALID. */
export class DiscoveryError extends Error {
  constructor(code, message, file) {
    super(message);
    this.name = 'DiscoveryError';
    this.code = code;
    this.file = file;
  }
}

/** The agent's data folder (only used for the last fallback of the runtime folder). */
export function dataDir(env = process.env) {
  if (env.INTERLOG_DATA_DIR) return env.INTERLOG_DATA_DIR;
  return path.join(os.homedir(), '.local', 'share', 'interlog');
}

/** The runtime folder that holds agent.json, in the contract's order of precedence. */
export function runtimeDir(env = process.env) {
  if (env.INTERLOG_RUNTIME_DIR) return env.INTERLOG_RUNTIME_DIR;
  if (env.XDG_RUNTIME_DIR) return path.join(env.XDG_RUNTIME_DIR, 'interlog');
  return path.join(dataDir(env), 'run');
}

/** True if a process with this pid exists (EPERM means it exists but belongs to someone else). */
export function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === 'EPERM';
  }
}

/**
 * Reads and checks agent.json once.
 * @param {{runtimeDir?: string, env?: object}} [opts] runtimeDir overrides the environment lookup
 * @returns {Promise<{url: string, token: string, pid: number, fdc3Version?: string,
 *   provider?: string, providerVersion?: string, file: string}>}
 * @throws {DiscoveryError}
 */
export async function readAgentInfo({ runtimeDir: dir, env = process.env } = {}) {
  const file = path.join(dir ?? runtimeDir(env), AGENT_FILE);
  let text;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') throw new DiscoveryError('NO_AGENT', `no agent: ${file} does not exist`, file);
    throw new DiscoveryError('INVALID', `cannot read ${file}: ${err.message}`, file);
  }
  let info;
  try {
    info = JSON.parse(text);
  } catch (err) {
    throw new DiscoveryError('INVALID', `${file} is not JSON: ${err.message}`, file);
  }
  if (typeof info?.url !== 'string' || typeof info.token !== 'string' || !Number.isInteger(info.pid)) {
    throw new DiscoveryError('INVALID', `${file} lacks url, token or pid`, file);
  }
  if (!pidAlive(info.pid)) {
    throw new DiscoveryError('STALE', `stale ${file}: agent pid ${info.pid} is not running`, file);
  }
  return { ...info, file };
}

/**
 * Waits until a valid, live agent.json appears (or the timeout passes).
 * Missing, stale and half-written files are all retried: an agent that is starting may not
 * have written it yet, and one that is restarting may still leave the old one behind.
 * @param {{runtimeDir?: string, env?: object, timeoutMs?: number, intervalMs?: number,
 *   signal?: AbortSignal}} [opts] timeoutMs: Infinity waits forever
 */
export async function waitForAgent({ runtimeDir: dir, env = process.env, timeoutMs = 10_000, intervalMs = 100, signal } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    signal?.throwIfAborted();
    try {
      return await readAgentInfo({ runtimeDir: dir, env });
    } catch (err) {
      if (!(err instanceof DiscoveryError)) throw err;
      if (Date.now() + intervalMs > deadline) {
        err.message = `timed out after ${timeoutMs} ms waiting for the agent (${err.message})`;
        throw err;
      }
    }
    await sleep(intervalMs, undefined, { signal });
  }
}
