// End to end through the real window: an app raises CreateInteraction with two candidates (the
// sample CRM and the built-in log), the resolver dialog opens, the test picks with the keyboard,
// the raiser gets the result, and the history window shows the row. Also: Esc cancels; a raise
// while the history is hidden is listed once it is shown; Interlog's windows share a web process.
//
// Needs: the app binary built with the custom-protocol feature (INTERLOG_BIN), tauri-driver on
// PATH (or TAURI_DRIVER), WebKitWebDriver, and a display (the README's test command runs this
// under xvfb-run).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { connectApp } from '../../js/lib/connect.mjs';
import { startCrm, CHAT_IDENTITY_URL } from '../../js/lib/crm.mjs';
import { waitForAgent } from '../../js/lib/discovery.mjs';
import { until } from '../lib/until.mjs';
import { startSession, switchToUrl, shot as shotOf, openHistory, ownPage, repo } from '../lib/session.mjs';

const CONTEXT = JSON.parse(fs.readFileSync(path.join(repo, 'tests/fixtures/create-interaction.context.json'), 'utf8'));

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'interlog-e2e-'));
const runtimeDir = path.join(work, 'run');
let session;
let browser;
let crm;
let chat;

const shot = name => shotOf(browser, name);

/** Switches the WebDriver session to the window showing `page`: the resolver, or the history
 * (shown through the launcher's History button, as a user opens it). */
const switchTo = page =>
  page === 'index.html' ? openHistory(browser) : switchToUrl(browser, `the window with ${page}`, ownPage(page));

before(async () => {
  session = await startSession({
    args: ['--port', '0', '--data-dir', path.join(work, 'data'), '--appd', path.join(repo, 'tests/fixtures/sample-appd.json'), '--resolver-timeout', '30'],
    env: { INTERLOG_RUNTIME_DIR: runtimeDir, INTERLOG_LOG: 'info' },
  });
  browser = session.browser;
  await waitForAgent({ runtimeDir, timeoutMs: 20_000 });
  crm = await startCrm({ runtimeDir });
  chat = await connectApp({ identityUrl: CHAT_IDENTITY_URL, runtimeDir, appLaunchTimeout: 60_000 });
});

after(async () => {
  await chat?.disconnect().catch(() => {});
  await crm?.disconnect().catch(() => {});
  await session?.stop();
  fs.rmSync(work, { recursive: true, force: true });
});

/** The pids of `pid`'s children whose command name is `comm`. */
function childrenNamed(pid, comm) {
  const found = [];
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${d}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid && name === comm) found.push(Number(d));
    } catch {
      // The process ended while we looked.
    }
  }
  return found;
}

/** This test's Interlog: the process started with its data folder. */
function appPid() {
  const dataDir = path.join(work, 'data');
  for (const d of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const args = fs.readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (args.includes(dataDir) && path.basename(args[0]) === path.basename(process.env.INTERLOG_BIN ?? 'interlog')) return Number(d);
    } catch {
      // The process ended while we looked.
    }
  }
  return null;
}


// First, while the history has never been shown: it is made hidden at start and must still be
// current when the user opens it.
test("a raise while the history is hidden is listed when it is shown; Interlog's windows share one web process", async () => {
  // The history window is made (hidden) shortly after the launcher has loaded; WebDriver sees it.
  await switchToUrl(browser, 'the hidden history window', ownPage('index.html'));
  assert.equal(await browser.execute(() => document.visibilityState), 'hidden');
  // Its first page is read (the count line says how many) before the raise below.
  await until('the hidden history read', async () => /\d/.test(await browser.$('#row-count').getProperty('textContent')));
  const description = `Logged while the history was hidden ${Date.now()}`;
  const resolution = await chat.agent.raiseIntent('CreateInteraction', { ...CONTEXT, description }, { appId: 'interlog.log' });
  assert.equal((await resolution.getResult()).status, 'Created');
  await switchTo('index.html');
  await until('the interaction logged while the history was hidden', async () => {
    for (const r of await browser.$$('.history-row')) {
      if ((await r.getProperty('textContent')).includes(description)) return true;
    }
    return false;
  });
  // The launcher, the history and the resolver (made with the history) exist now.
  await switchToUrl(browser, 'the resolver window', ownPage('resolver.html'));
  const pid = appPid();
  assert.ok(pid, 'the app process');
  // WebKit's web processes are WebKitWebProcess (15 characters of it in /proc).
  assert.equal(childrenNamed(pid, 'WebKitWebProces').length, 1, "one web process for Interlog's own pages");
});

test('two candidates: the resolver opens, Enter on the built-in log delivers, the history shows Created', async () => {
  const raising = chat.agent.raiseIntent('CreateInteraction', CONTEXT);
  await switchTo('resolver.html');
  const options = await until('resolver options', async () => {
    const found = await browser.$$('.resolver-option');
    return found.length >= 2 ? found : null;
  });
  const apps = [];
  for (const o of options) apps.push(await o.getAttribute('data-app-id'));
  // The log, the running sample CRM, and (a web app, so Interlog could open it) a new CRM window.
  assert.deepEqual([...new Set(apps)].sort(), ['interlog.log', 'interlog.sample-crm']);
  // Both apps' directory icons are shown as decoded images, not letter avatars.
  const decodedIcons = () =>
    browser.execute(() =>
      Array.from(document.querySelectorAll('img.avatar-img')).filter(img => img.complete && img.naturalWidth > 0).length,
    );
  assert.equal(await until('decoded app icons', async () => ((await decodedIcons()) >= 2 ? decodedIcons() : null)), 2);
  const preview = await browser.$('#context-preview').getProperty('textContent');
  assert.match(preview, /Jane Doe/);
  assert.match(preview, /Instant Message/);
  // Decoded is not yet painted: two animation frames later it is, and the screenshot shows it.
  await browser.executeAsync(done => requestAnimationFrame(() => requestAnimationFrame(() => done())));
  await shot('resolver');

  // Move the selection to the built-in log with the arrow keys, then Enter.
  for (let i = 0; i < apps.length; i++) {
    const selected = await browser.$('.resolver-option[aria-selected="true"]');
    if ((await selected.getAttribute('data-app-id')) === 'interlog.log') break;
    await browser.keys('ArrowDown');
  }
  assert.equal(await browser.$('.resolver-option[aria-selected="true"]').getAttribute('data-app-id'), 'interlog.log');
  await browser.keys('Enter');

  const resolution = await raising;
  assert.equal(resolution.source.appId, 'interlog.log');
  const result = await resolution.getResult();
  assert.equal(result.type, 'fdc3.transactionResult');
  assert.equal(result.status, 'Created');
  const recordId = result.context.id.URI;
  assert.match(result.message, /was created/);

  await switchTo('index.html');
  const row = await until('the history row', async () => {
    for (const r of await browser.$$('.history-row')) {
      const t = await r.getProperty('textContent');
      if (t.includes('Created') && t.includes('interlog.sample-chat')) return r;
    }
    return null;
  });
  const text = await row.getProperty('textContent');
  assert.match(text, /Created/);
  assert.match(text, /interlog\.sample-chat/);
  assert.match(text, /Jane Doe/);
  // WebKitWebDriver refuses to click table rows; a click event is what the row listens for.
  await browser.execute(el => el.click(), row);
  await until('the detail pane', async () => (await browser.$('#detail').getProperty('textContent')).includes('john.doe@mail.com'));
  // The row was selected while the raise waited for the resolver; its detail follows it to Created.
  await until('the detail of the completed raise', async () =>
    (await browser.$('#detail .detail-sub .badge').getProperty('textContent')) === 'Created');
  await shot('history');
});

test('Esc in the resolver answers UserCancelledResolution', async () => {
  const raising = chat.agent.raiseIntent('CreateInteraction', CONTEXT);
  raising.catch(() => {}); // asserted below; keeps an early rejection from counting as unhandled
  await switchTo('resolver.html');
  await until('resolver options', async () => (await browser.$$('.resolver-option')).length >= 2);
  await browser.keys('Escape');
  await assert.rejects(raising, /UserCancelledResolution/);
  await switchTo('index.html');
  await until('the cancelled row', async () => {
    for (const r of await browser.$$('.history-row')) {
      if (/UserCancelledResolution/.test(await r.getProperty('textContent'))) return true;
    }
    return false;
  });
});

test('the period list narrows the history: nothing last year, the rows of today, all again', async () => {
  await switchTo('index.html');
  const rowCount = async () => (await browser.$$('.history-row')).length;
  const all = await until('history rows', async () => ((await rowCount()) > 0 ? rowCount() : null));
  const period = await browser.$('#period');
  const labels = await browser.execute(() => Array.from(document.querySelectorAll('#period option')).map(o => o.textContent));
  assert.deepEqual(labels, ['Any time', 'Today', 'Last 7 days', 'Last 30 days', 'This quarter', 'Last quarter', 'This year', 'Last year']);

  await period.selectByAttribute('value', 'lastYear');
  await until('the empty period', async () => (await rowCount()) === 0);
  assert.equal(await browser.$('#empty-state').getProperty('textContent'), 'No interactions last year.');
  assert.match(await browser.$('#row-count').getProperty('textContent'), /^0 interactions last year$/);
  await shot('history-last-year');

  // Everything in this test run was raised today (the e2e run is far shorter than a day, and a run
  // that crosses midnight would see the earlier rows under "Last 7 days" still).
  await period.selectByAttribute('value', 'last7');
  await until('the rows of the last 7 days', async () => (await rowCount()) === all);
  await browser.$('#search').setValue('jane');
  await until('search within the period', async () => (await browser.$('#row-count').getProperty('textContent')).endsWith('matching last 7 days'));
  assert.ok((await rowCount()) > 0);
  await browser.keys('Escape');

  await period.selectByAttribute('value', 'all');
  await until('all rows again', async () => (await rowCount()) === all);
  assert.match(await browser.$('#row-count').getProperty('textContent'), /^\d+\+? interactions?$/);
});

test('while the ledger cannot write, the history window says so, and the held raise goes through after', async () => {
  await switchTo('index.html');
  // Another program takes the write lock of the ledger's journal (the sqlite3 shell, in a transaction).
  const db = path.join(work, 'data', 'interlog.journal'); // where a raise is made durable
  const holder = spawn('sqlite3', [db], { stdio: ['pipe', 'pipe', 'inherit'] });
  let said = '';
  holder.stdout.on('data', d => { said += d; });
  holder.stdin.write("BEGIN IMMEDIATE;\nSELECT 'lock' || 'ed';\n");
  try {
    await until('the lock taken', async () => said.includes('locked'));
    const raising = chat.agent.raiseIntent('CreateInteraction', CONTEXT, { appId: 'interlog.log' });
    raising.catch(() => {}); // asserted below
    const banner = await until('the ledger banner', async () => {
      const b = await browser.$('#error-banner');
      return (await b.isDisplayed()) ? b : null;
    }, 20_000);
    assert.match(await banner.getProperty('textContent'), /cannot write its history \(.*locked.*\)\. Raises are held, not lost/);
    await shot('history-ledger-held');
    holder.stdin.write('ROLLBACK;\n');
    const resolution = await raising;
    assert.equal((await resolution.getResult()).status, 'Created');
    await until('the banner cleared', async () => !(await browser.$('#error-banner').isDisplayed()), 20_000);
  } finally {
    holder.stdin.end('.quit\n');
    await new Promise(r => (holder.exitCode !== null ? r() : holder.once('exit', r)));
  }
});
