// A WebDriver session on the real Interlog app: tauri-driver (WebKitWebDriver underneath)
// starts the app binary with the given switches; windows the app opens itself (the resolver,
// app windows) appear as window handles to switch between.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { remote } from 'webdriverio';
import { until } from './until.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repo = path.resolve(here, '../../..');
export const BIN = process.env.INTERLOG_BIN ?? path.join(repo, 'target/debug/interlog');
const DRIVER = process.env.TAURI_DRIVER ?? 'tauri-driver';
export const SHOTS = process.env.E2E_SCREENSHOTS ?? path.join(repo, 'target/e2e-screenshots');

/** A TCP port free on loopback right now (the system's choice). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function waitForPort(port, timeoutMs) {
  const end = Date.now() + timeoutMs;
  return new Promise((resolve, reject) => {
    const attempt = () => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.end();
        resolve();
      });
      s.once('error', () => {
        if (Date.now() > end) reject(new Error(`port ${port} never opened`));
        else setTimeout(attempt, 100);
      });
    };
    attempt();
  });
}

/**
 * Starts tauri-driver and a session running the app with `args`; `env` is added to the
 * driver's (and so the app's) environment. Resolves to { browser, stop() }.
 */
export async function startSession({ args, env = {} }) {
  if (!fs.existsSync(BIN)) throw new Error(`no app binary at ${BIN}`);
  // Ports nobody holds, never the usual 4444/4445: another WebDriver on the machine (or one a
  // killed run left behind) must not take the session.
  const [port, nativePort] = [await freePort(), await freePort()];
  const driver = spawn(DRIVER, ['--port', String(port), '--native-port', String(nativePort)], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  await waitForPort(port, 20_000);
  const browser = await remote({
    hostname: '127.0.0.1',
    port,
    logLevel: 'warn',
    capabilities: {
      browserName: 'wry',
      'wdio:enforceWebDriverClassic': true,
      'tauri:options': { application: BIN, args },
    },
  });
  const stop = async () => {
    // A session whose WebKitWebDriver stopped answering must not hold the run up.
    await within(browser.deleteSession(), 20_000).catch(() => {});
    // SIGTERM, never SIGKILL: tauri-driver then stops WebKitWebDriver and frees its port.
    driver.kill('SIGTERM');
    await new Promise(r => (driver.exitCode !== null ? r() : driver.once('exit', r)));
    // Normally the app has quit with the session. If WebKitWebDriver died first it has not, and it
    // would hold the test runner's output pipe (the run would never end) and its windows would
    // stay on the display for the next test: end it.
    await endApp(args);
  };
  return { browser, stop };
}

/** Switches to the first window whose URL satisfies `test`; resolves to its handle. */
export function switchToUrl(browser, what, test, timeoutMs = 15_000) {
  return until(
    what,
    async () => {
      for (const h of await browser.getWindowHandles()) {
        try {
          await browser.switchToWindow(h);
          if (test(await browser.getUrl())) return h;
        } catch {
          // The window closed while we looked.
        }
      }
      return null;
    },
    timeoutMs,
  );
}

/** Resolves as `promise` does, or rejects after `ms`. */
function within(promise, ms) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** The app processes started as BIN with exactly `args`. */
function appProcesses(args) {
  const found = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0').slice(0, -1);
      if (cmd[0] === BIN && cmd.length === args.length + 1 && args.every((a, i) => cmd[i + 1] === a)) found.push(Number(d));
    } catch {
      // It ended while we looked.
    }
  }
  return found;
}

/** SIGTERM to the app started with `args` if it still runs; SIGKILL 10 s later if it still does. */
async function endApp(args) {
  const left = appProcesses(args);
  if (left.length === 0) return;
  console.warn(`the app outlived its WebDriver session (pid ${left.join(', ')}): ending it`);
  for (const pid of left) process.kill(pid, 'SIGTERM');
  const end = Date.now() + 10_000;
  while (appProcesses(args).length > 0 && Date.now() < end) await new Promise(r => setTimeout(r, 100));
  for (const pid of appProcesses(args)) process.kill(pid, 'SIGKILL');
}

/**
 * Saves a screenshot of the current window, for people to look at (no test asserts on it).
 * WebKitWebDriver sometimes never answers a screenshot of a window that another window covers
 * (no window manager under Xvfb to raise it); the session still answers everything else, so
 * after 15 s the picture is skipped with a warning instead of failing the test.
 */
export async function shot(browser, name) {
  fs.mkdirSync(SHOTS, { recursive: true });
  try {
    await within(browser.saveScreenshot(path.join(SHOTS, `${name}.png`)), 15_000);
  } catch (err) {
    console.warn(`screenshot ${name} skipped: ${err.message}`);
  }
}

/** Interlog's own windows by their page: launcher.html, index.html (history), resolver.html, settings.html. */
export const ownPage = page => url => {
  if (url.startsWith('http')) return false;
  const path = new URL(url).pathname;
  // The history is the app's index page, at the root.
  return page === 'index.html' ? ['', '/', '/index.html'].includes(path) : path === `/${page}`;
};

/**
 * Shows the history window as a user does (the launcher's History button) and switches to it.
 * The history is hidden at start; the launcher is Interlog's first window.
 */
export async function openHistory(browser) {
  await switchToUrl(browser, 'the launcher', ownPage('launcher.html'));
  await (await browser.$('#show-history')).click();
  return switchToUrl(browser, 'the history window', ownPage('index.html'));
}
