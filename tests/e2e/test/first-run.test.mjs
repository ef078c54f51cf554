// The installed app as a `.deb` user first opens it from the desktop menu: no switches, an empty
// data folder. The launcher's empty state offers the bundled sample apps with one click; the
// settings window lists the directory sources, checks and refuses a broken one, adds and
// removes a file, each applied without a restart; a sample app then opens and gets its agent.
//
// Runs in the end-to-end suite on the debug binary, and in the package smoke test on the
// binary unpacked from the .deb (INTERLOG_BIN). Needs tauri-driver and a display.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSession, switchToUrl, shot as shotOf, ownPage } from '../lib/session.mjs';
import { waitForAgent } from '../../js/lib/discovery.mjs';
import { until } from '../lib/until.mjs';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'interlog-first-run-'));
const runtimeDir = path.join(work, 'run');
const dataHome = path.join(work, 'data-home');
const settingsFile = path.join(dataHome, 'interlog', 'settings.json');
const extraAppd = path.join(work, 'more-apps.json');
let session;
let browser;

const shot = name => shotOf(browser, `first-run-${name}`);
const appIds = async () => {
  const ids = [];
  for (const r of await browser.$$('.app-row')) ids.push(await r.getAttribute('data-app-id'));
  return ids;
};
const launcher = () => switchToUrl(browser, 'the launcher', ownPage('launcher.html'));
const settings = () => switchToUrl(browser, 'the settings', ownPage('settings.html'));
const sourceRow = source => browser.$(`.source[data-source="${source}"]`);

before(async () => {
  fs.writeFileSync(
    extraAppd,
    JSON.stringify({
      applications: [
        { appId: 'first-run.blotter', title: 'Order Blotter', description: 'A directory entry added from the settings window.', type: 'web',
          details: { url: 'http://127.0.0.1:9/blotter/' } },
      ],
    }),
  );
  session = await startSession({
    // As the desktop menu starts it: no switches. Only the folders are the test's own (and a
    // free port, in case another agent holds the usual one on this machine).
    args: [],
    env: { XDG_DATA_HOME: dataHome, INTERLOG_RUNTIME_DIR: runtimeDir, INTERLOG_PORT: '0', INTERLOG_NO_DIALOG: '1', INTERLOG_LOG: 'info' },
  });
  browser = session.browser;
  await waitForAgent({ runtimeDir, timeoutMs: 20_000 });
});

after(async () => {
  await session?.stop();
  // WebKit's helper processes may still be writing into the XDG folder as the app exits.
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

test('the empty launcher offers the sample apps; one click adds them, saved in settings.json', async () => {
  await launcher();
  const add = await until('the offer of the sample apps', async () => {
    const b = await browser.$('#add-samples');
    return (await b.isDisplayed()) ? b : null;
  });
  assert.match(await (await browser.$('#empty-state')).getText(), /sample apps/);
  await shot('empty');
  await add.click();
  const ids = await until('the sample apps listed', async () => ((await appIds()).length === 4 ? appIds() : null));
  assert.deepEqual(ids, ['interlog.sample.chat', 'interlog.sample.crm-harbor', 'interlog.sample.crm-summit', 'interlog.sample.contacts']);
  assert.deepEqual(JSON.parse(fs.readFileSync(settingsFile, 'utf8')).appDirectories, ['interlog:samples']);
});

test('settings: a broken source is refused with the reason; a file is checked, added and removed, applied at once', async () => {
  await launcher();
  await (await browser.$('#show-settings')).click();
  await settings();
  await until('the saved samples source', async () => (await sourceRow('interlog:samples')).isExisting());
  assert.equal(await (await sourceRow('interlog:samples')).$('.badge').getProperty('textContent'), 'saved');

  const input = await browser.$('#new-source');
  await input.setValue(path.join(work, 'missing.json'));
  await (await browser.$('#add-source')).click();
  await until('the refusal', async () => (await browser.$('#error-banner')).isDisplayed());
  assert.match(await (await browser.$('#error-banner')).getText(), /missing\.json cannot be read/);
  assert.equal(await (await sourceRow(path.join(work, 'missing.json'))).isExisting(), false);

  await input.clearValue();
  await input.setValue(extraAppd);
  await (await browser.$('#check-source')).click();
  await until('the check report', async () => /Checked .*1 app: Order Blotter/.test(await (await browser.$('#report')).getText()));
  await (await browser.$('#add-source')).click();
  await until('the added source', async () => (await sourceRow(extraAppd)).isExisting());
  assert.match(await (await browser.$('#report')).getText(), /Added .*Order Blotter/);
  await shot('settings');
  assert.deepEqual(JSON.parse(fs.readFileSync(settingsFile, 'utf8')).appDirectories, ['interlog:samples', extraAppd]);

  await launcher();
  await until('the new app in the launcher, without a restart', async () => (await appIds()).includes('first-run.blotter'));

  await settings();
  await (await browser.$(`.source[data-source="${extraAppd}"] button[aria-label^="Remove"]`)).click();
  await until('the source removed', async () => !(await (await sourceRow(extraAppd)).isExisting()));
  await launcher();
  await until('the app gone from the launcher', async () => !(await appIds()).includes('first-run.blotter'));
  assert.deepEqual(JSON.parse(fs.readFileSync(settingsFile, 'utf8')).appDirectories, ['interlog:samples']);
});

test('a sample app opens from the launcher, served by Interlog itself, with its agent', async () => {
  await launcher();
  await (await browser.$('[data-open="interlog.sample.contacts"]')).click();
  await switchToUrl(browser, 'Contacts', url => url.startsWith('http://127.0.0.1:') && url.includes('/contacts/'), 30_000);
  await until('Contacts ready', async () => (await (await browser.$('body')).getAttribute('data-agent')) === 'ready', 20_000);
  assert.ok((await browser.$$('#contacts li[data-contact-email]')).length >= 6);
  await launcher();
  await until('its instance, on a channel', async () => /Channel 1/.test(await (await browser.$('.app-row[data-app-id="interlog.sample.contacts"] .instance')).getText().catch(() => '')));
  await shot('launcher-running');
});
