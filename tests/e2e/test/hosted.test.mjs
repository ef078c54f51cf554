// Web apps inside Interlog: apps opened in Interlog's own windows with the official FDC3 agent
// injected before their scripts run, driven through WebDriver across several windows. The test
// pages (pages/) are served on localhost by this process; the directory is written per run.
//
// Needs what resolver.test.mjs needs (INTERLOG_BIN, tauri-driver, a display).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { serveStatic } from '../lib/static-server.mjs';
import { startSession, switchToUrl, shot, openHistory, BIN, repo } from '../lib/session.mjs';
import { waitForAgent } from '../../js/lib/discovery.mjs';
import { until } from '../lib/until.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const pages = path.resolve(here, '../pages');
const CONTEXT = JSON.parse(fs.readFileSync(path.join(repo, 'tests/fixtures/create-interaction.context.json'), 'utf8'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'interlog-hosted-'));
const runtimeDir = path.join(work, 'run');
const run = promisify(execFile);
let server;
let session;
let browser;
let base;

/** `interlog open APP` through the running agent; resolves to the new AppIdentifier. */
async function cliOpen(appId, ...extra) {
  const { stdout } = await run(BIN, ['open', appId, ...extra], { env: { ...process.env, INTERLOG_RUNTIME_DIR: runtimeDir } });
  return JSON.parse(stdout);
}

/** Runs `fn(...args)` (an async function, stringified) in the current window's page. */
async function inPage(fn, ...args) {
  const out = await browser.executeAsync(
    (src, args, done) => {
      // eslint-disable-next-line no-new-func
      const f = new Function(`return (${src})`)();
      Promise.resolve()
        .then(() => f(...args))
        .then(v => done({ ok: true, v }), e => done({ ok: false, e: String(e?.message ?? e) }));
    },
    fn.toString(),
    args,
  );
  if (!out.ok) throw new Error(out.e);
  return out.v;
}

const onApp = dir => u => u.includes(`/${dir}/`);

before(async () => {
  await esbuild.build({
    entryPoints: [path.join(pages, 'lib/get-agent-entry.mjs')],
    bundle: true,
    format: 'iife',
    outfile: path.join(pages, 'lib/get-agent.js'),
    logLevel: 'warning',
  });
  server = await serveStatic(pages);
  base = `http://localhost:${server.port}`;
  const appd = {
    applications: [
      { appId: 'e2e.a', title: 'E2E app A', type: 'web', details: { url: `${base}/app-a/` },
        interop: { intents: { raises: { CreateInteraction: ['fdc3.interaction'] } } } },
      { appId: 'e2e.b', title: 'E2E app B', type: 'web', details: { url: `${base}/app-b/` },
        interop: { intents: { listensFor: { CreateInteraction: { contexts: ['fdc3.interaction'], resultType: 'fdc3.transactionResult' } } } } },
      { appId: 'e2e.silent', title: 'E2E silent app', type: 'web', details: { url: `${base}/silent/` },
        interop: { intents: { listensFor: { CreateInteraction: { contexts: ['fdc3.interaction'] } } } } },
      // Nothing listens on the discard port: the page never loads.
      { appId: 'e2e.broken', title: 'E2E broken app', type: 'web', details: { url: 'http://127.0.0.1:9/broken/' },
        interop: { intents: { listensFor: { CreateInteraction: { contexts: ['fdc3.interaction'] } } } } },
    ],
  };
  fs.writeFileSync(path.join(work, 'appd.json'), JSON.stringify(appd));
  fs.mkdirSync(path.join(work, 'data'));
  // FDC3's minimum wait for a listener, so the never-listening app is over quickly.
  fs.writeFileSync(path.join(work, 'data/settings.json'), JSON.stringify({ listenerTimeoutMs: 15000, launchTimeoutMs: 15000 }));
  session = await startSession({
    args: ['--port', '0', '--data-dir', path.join(work, 'data'), '--appd', path.join(work, 'appd.json')],
    env: { INTERLOG_RUNTIME_DIR: runtimeDir, INTERLOG_LOG: 'info', INTERLOG_NO_DIALOG: '1' },
  });
  browser = session.browser;
  await waitForAgent({ runtimeDir, timeoutMs: 20_000 });
});

after(async () => {
  await session?.stop();
  await server?.close();
  fs.rmSync(work, { recursive: true, force: true });
});

let aId;
let bId;

test('an app window has window.fdc3 in its first inline script, fdc3Ready fires, getAgent() resolves to it', async () => {
  aId = (await cliOpen('e2e.a')).instanceId;
  await switchToUrl(browser, 'app A', onApp('app-a'));
  assert.equal(await browser.getTitle(), 'E2E app A');
  await until('fdc3Ready in app A', () => browser.execute(() => window.__seen.ready));
  assert.equal(await browser.execute(() => window.__seen.fdc3AtFirstScript), true);
  const got = await inPage(async () => {
    const t0 = performance.now();
    const agent = await window.getAgentForTest();
    return { same: agent === window.fdc3, ms: performance.now() - t0 };
  });
  assert.equal(got.same, true, 'getAgent() gives the injected agent');
  assert.ok(got.ms < 1000, `getAgent() took ${got.ms} ms`);
  const info = await inPage(async () => (await window.fdc3.getInfo()).appMetadata);
  assert.equal(info.appId, 'e2e.a');
  assert.equal(info.instanceId, aId);
});

test('a reload keeps the instance', async () => {
  await switchToUrl(browser, 'app A', onApp('app-a'));
  await browser.execute(() => location.reload());
  await until('the reloaded page', async () => {
    try {
      return await browser.execute(() => document.readyState === 'complete' && window.__seen?.ready === true);
    } catch {
      return false;
    }
  });
  const info = await inPage(async () => (await window.fdc3.getInfo()).appMetadata);
  assert.equal(info.instanceId, aId);
  const ids = await inPage(async () => (await window.fdc3.findInstances({ appId: 'e2e.a' })).map(i => i.instanceId));
  assert.deepEqual(ids, [aId]);
});

test('A opens B with a context: B\'s window appears and receives it', async () => {
  await switchToUrl(browser, 'app A', onApp('app-a'));
  const opened = await inPage(async ctx => window.fdc3.open({ appId: 'e2e.b' }, ctx), CONTEXT);
  assert.equal(opened.appId, 'e2e.b');
  bId = opened.instanceId;
  await switchToUrl(browser, 'app B', onApp('app-b'));
  const received = await until('the context in B', () => browser.execute(() => window.__seen.contexts[0] ?? null));
  assert.deepEqual(received.ctx, CONTEXT);
  await shot(browser, 'hosted-app-b');
});

test('A raises CreateInteraction at B and gets B\'s transactionResult; the history shows A as raiser, B as handler', async () => {
  await switchToUrl(browser, 'app A', onApp('app-a'));
  const result = await inPage(
    async (ctx, app) => {
      const resolution = await window.fdc3.raiseIntent('CreateInteraction', ctx, app);
      return { source: resolution.source, result: await resolution.getResult() };
    },
    CONTEXT,
    { appId: 'e2e.b', instanceId: bId },
  );
  assert.deepEqual(result.source, { appId: 'e2e.b', instanceId: bId });
  assert.equal(result.result.type, 'fdc3.transactionResult');
  assert.equal(result.result.status, 'Created');
  assert.equal(result.result.context.id.URI, 'e2e-b-1');
  await openHistory(browser);
  const row = await until('the history row', async () => {
    for (const r of await browser.$$('.history-row')) {
      const t = await r.getProperty('textContent');
      if (t.includes('e2e-b-1')) return t;
    }
    return null;
  });
  assert.match(row, /e2e\.a/);
  assert.match(row, /e2e\.b/);
  assert.match(row, /Created/);
});

test('a page cannot pass for another app: meta.source and handshakes are ignored', async () => {
  await switchToUrl(browser, 'app A', onApp('app-a'));
  const forged = await inPage(async bId => {
    const invoke = window.__TAURI_INTERNALS__.invoke;
    let handshake;
    try {
      await invoke('hosted_post', { messages: [{ type: 'WCP4ValidateAppIdentity', meta: { connectionAttemptUuid: 'x', timestamp: new Date() }, payload: { identityUrl: location.href, actualUrl: location.href, instanceId: bId, instanceUuid: 'guess' } }] });
      handshake = 'accepted';
    } catch (e) {
      handshake = String(e?.message ?? e);
    }
    // A request claiming to come from B, through the proxy's own transport.
    const messaging = window.fdc3.apps.messaging;
    const source = { appId: 'e2e.b', instanceId: bId };
    const info = await messaging.exchange(
      { type: 'getInfoRequest', payload: {}, meta: { requestUuid: messaging.createUUID(), timestamp: new Date(), source } },
      'getInfoResponse',
      5000,
    );
    return { handshake, asWho: info.payload.implementationMetadata.appMetadata };
  }, bId);
  assert.match(forged.handshake, /window's business/);
  assert.equal(forged.asWho.appId, 'e2e.a');
  assert.equal(forged.asWho.instanceId, aId);
});

test('a page cannot call Interlog\'s own commands (history, resolver choice)', async () => {
  await switchToUrl(browser, 'app A', onApp('app-a'));
  const refused = await inPage(async () => {
    const invoke = window.__TAURI_INTERNALS__.invoke;
    const out = {};
    for (const [cmd, args] of [
      ['history_list', { query: { limit: 5 } }],
      ['resolver_choose', { id: 'x', choice: { kind: 'cancel' } }],
      ['raise_example', {}],
    ]) {
      try {
        await invoke(cmd, args);
        out[cmd] = 'allowed';
      } catch (e) {
        out[cmd] = String(e?.message ?? e);
      }
    }
    return out;
  });
  for (const [cmd, why] of Object.entries(refused)) assert.match(why, /not allowed/, `${cmd}: ${why}`);
});

test('the channel selector shows the channel and changes it from the keyboard; the app hears of it', async () => {
  await switchToUrl(browser, 'app A', onApp('app-a'));
  await inPage(async () => {
    window.__channelEvents = [];
    await window.fdc3.addEventListener('userChannelChanged', e => window.__channelEvents.push(e));
    await window.fdc3.leaveCurrentChannel();
  });
  const badge = () =>
    browser.execute(() => {
      const b = document.querySelector('interlog-channel-selector').shadowRoot.querySelector('button.badge');
      return { channel: b.dataset.channel, text: b.textContent };
    });
  await until('the badge at no channel', async () => (await badge()).channel === '');
  // Focus the badge, open the list, move to the first channel, take it.
  await browser.execute(() => document.querySelector('interlog-channel-selector').shadowRoot.querySelector('button.badge').focus());
  await browser.keys('ArrowDown');
  await browser.keys('ArrowDown');
  await shot(browser, 'hosted-channel-selector-open');
  await browser.keys('Enter');
  await until('the badge on channel 1', async () => (await badge()).channel === 'fdc3.channel.1');
  assert.match((await badge()).text, /Channel 1/);
  assert.equal(await inPage(async () => (await window.fdc3.getCurrentChannel())?.id), 'fdc3.channel.1');
  const events = await until('the userChannelChanged event', () => browser.execute(() => (window.__channelEvents.length ? window.__channelEvents : null)));
  assert.equal(events.at(-1).type, 'userChannelChanged');
  assert.equal(events.at(-1).details.currentChannelId, 'fdc3.channel.1');
  // The app's own join and leave show in the selector.
  await inPage(async () => window.fdc3.joinUserChannel('fdc3.channel.4'));
  await until('the badge on channel 4', async () => (await badge()).channel === 'fdc3.channel.4');
  await shot(browser, 'hosted-channel-selector');
  await inPage(async () => window.fdc3.leaveCurrentChannel());
  await until('the badge back at no channel', async () => (await badge()).channel === '');
});

test('a flood of requests from one page is answered in full, and the agent stays responsive', async () => {
  await switchToUrl(browser, 'app A', onApp('app-a'));
  const out = await inPage(async () => {
    const t0 = performance.now();
    const all = await Promise.all(Array.from({ length: 2000 }, () => window.fdc3.getInfo()));
    return { n: all.filter(i => i.appMetadata.appId === 'e2e.a').length, ms: performance.now() - t0 };
  });
  assert.equal(out.n, 2000);
  const { stdout } = await run(BIN, ['history', '--data-dir', path.join(work, 'data'), '--limit', '1', '--json']);
  assert.ok(stdout.length > 0, 'the history still answers');
});

test('a handler that closes its window mid-raise: the raiser gets an FDC3 error, the ledger says how it ended', async () => {
  await switchToUrl(browser, 'app A', onApp('app-a'));
  const b = await inPage(async () => window.fdc3.open({ appId: 'e2e.b' }));
  const outcome = await inPage(
    async (ctx, app) => {
      const resolution = await window.fdc3.raiseIntent('CreateInteraction', ctx, app);
      try {
        return { result: (await resolution.getResult()) ?? null };
      } catch (e) {
        return { error: String(e?.message ?? e) };
      }
    },
    { ...CONTEXT, description: 'close before answering' },
    b,
  );
  // The 2.2.0 proxy turns an error result into `undefined` (see tests/js/lib/connect.mjs): the
  // raiser sees no result, and the ledger says why.
  assert.ok(outcome.result === null || /NoResultReturned|IntentDeliveryFailed/.test(outcome.error), JSON.stringify(outcome));
  const row = await until('the ledger row', async () => {
    const { stdout } = await run(BIN, ['history', '--data-dir', path.join(work, 'data'), '--search', 'close before answering', '--json']);
    const r = stdout.trim() ? JSON.parse(stdout.trim().split('\n')[0]) : null;
    return r?.error ? r : null;
  });
  assert.equal(row.handlerApp, 'e2e.b');
  assert.match(row.error, /NoResultReturned|IntentDeliveryFailed/);
});

test('window.close() from B closes its window and within 2 s B is gone from findInstances', async () => {
  await switchToUrl(browser, 'app B', onApp('app-b'));
  // Closed after the script returns. The window can still vanish before WebDriver has read the
  // script's answer, and WebDriver then says "no such window": the close this test asks for
  // happened. Any other error fails the test; what follows checks that B really is gone.
  await browser.execute(() => setTimeout(() => window.close(), 50)).catch(e => {
    if (!/no such window/.test(String(e?.message ?? e))) throw e;
  });
  await switchToUrl(browser, 'app A', onApp('app-a'));
  const t0 = Date.now();
  await until('B gone from findInstances', async () => {
    const ids = await inPage(async () => (await window.fdc3.findInstances({ appId: 'e2e.b' })).map(i => i.instanceId));
    return !ids.includes(bId);
  }, 2_000);
  assert.ok(Date.now() - t0 <= 2_000);
  const handles = await browser.getWindowHandles();
  for (const h of handles) {
    await browser.switchToWindow(h);
    assert.ok(!(await browser.getUrl()).includes('/app-b/'), 'B\'s window is closed');
  }
});

test('a raise at an app that never adds its listener ends in IntentDeliveryFailed; A keeps working', async () => {
  await switchToUrl(browser, 'app A', onApp('app-a'));
  const t0 = Date.now();
  const outcome = await inPage(async ctx => {
    try {
      await window.fdc3.raiseIntent('CreateInteraction', ctx, { appId: 'e2e.silent' });
      return 'resolved';
    } catch (e) {
      return String(e?.message ?? e);
    }
  }, CONTEXT);
  assert.equal(outcome, 'IntentDeliveryFailed');
  assert.ok(Date.now() - t0 >= 15_000, 'FDC3: at least 15 s for the listener');
  const info = await inPage(async () => (await window.fdc3.getInfo()).appMetadata.appId);
  assert.equal(info, 'e2e.a');
});

test('an app whose URL does not load: open is ErrorOnLaunch, a raise at it IntentDeliveryFailed; the rest keeps working', async () => {
  await assert.rejects(cliOpen('e2e.broken'), e => /ErrorOnLaunch/.test(e.stderr));
  await switchToUrl(browser, 'app A', onApp('app-a'));
  const outcome = await inPage(async ctx => {
    const t0 = performance.now();
    try {
      await window.fdc3.raiseIntent('CreateInteraction', ctx, { appId: 'e2e.broken' });
      return 'resolved';
    } catch (e) {
      return `${e?.message ?? e} after ${Math.round(performance.now() - t0)} ms`;
    }
  }, CONTEXT);
  assert.match(outcome, /^IntentDeliveryFailed after \d+ ms$/);
  assert.ok(Number(/after (\d+)/.exec(outcome)[1]) < 10_000, `answered when the load failed, not at a timeout: ${outcome}`);
  assert.equal(await inPage(async () => (await window.fdc3.getInfo()).appMetadata.appId), 'e2e.a');
});

test('a page navigated away from its app has no agent, and its instance ends', async () => {
  await switchToUrl(browser, 'app A', onApp('app-a'));
  await browser.execute(href => { location.href = href; }, `${base}/silent/`);
  await until('the foreign page', async () => (await browser.getUrl()).includes('/silent/'));
  assert.equal(await browser.execute(() => typeof window.fdc3), 'undefined');
  const refused = await inPage(async () => {
    try {
      await window.__TAURI_INTERNALS__.invoke('hosted_post', { messages: [{ type: 'getInfoRequest', meta: { requestUuid: 'x', timestamp: new Date() }, payload: {} }] });
      return 'accepted';
    } catch (e) {
      return String(e?.message ?? e);
    }
  });
  assert.match(refused, /not one of the app's pages/);
  const { stdout } = await run(BIN, ['open', 'e2e.a'], { env: { ...process.env, INTERLOG_RUNTIME_DIR: runtimeDir } });
  const fresh = JSON.parse(stdout).instanceId;
  await switchToUrl(browser, 'the new app A', onApp('app-a'));
  const ids = await until('A\'s instances', async () =>
    (await inPage(async () => window.fdc3 && (await window.fdc3.findInstances({ appId: 'e2e.a' })).map(i => i.instanceId))) ?? null,
  );
  assert.ok(ids.includes(fresh));
  assert.ok(!ids.includes(aId), 'the navigated window\'s instance ended');
});
