// A new user's first run, end to end: Interlog started as the run command starts it (the bundled
// sample apps, `--appd interlog:samples`), the chat opened from the launcher, an interaction
// logged through the resolver into a CRM window and into the history, the failure path, the
// contact list following on a channel, and "View interactions" opening the history on a contact.
// Everything is clicked or typed in the real windows; the apps use only the injected FDC3 agent.
//
// Needs what resolver.test.mjs needs (INTERLOG_BIN, tauri-driver, a display).

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSession, switchToUrl, shot as shotOf, openHistory, ownPage } from '../lib/session.mjs';
import { waitForAgent } from '../../js/lib/discovery.mjs';
import { until } from '../lib/until.mjs';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'interlog-samples-'));
const runtimeDir = path.join(work, 'run');
let session;
let browser;

const shot = name => shotOf(browser, `samples-${name}`);
const onSample = dir => url => url.startsWith('http') && new URL(url).pathname.startsWith(`/${dir}/`);
const CHAT = 'interlog.sample.chat';
const HARBOR = 'interlog.sample.crm-harbor';
const SUMMIT = 'interlog.sample.crm-summit';

const text = async selector => (await browser.$(selector)).getProperty('textContent');
const attr = async (selector, name) => (await browser.$(selector)).getAttribute(name);

/** Waits for a sample page to have its agent (it sets body[data-agent=ready]). */
const ready = what => until(`${what} ready`, async () => (await attr('body', 'data-agent')) === 'ready', 20_000);

/** In the resolver, moves the selection with the arrow keys to `appId`'s option (a running
 * instance or a new window), then presses Enter. */
async function pickInResolver(appId, running) {
  await switchToUrl(browser, 'the resolver', ownPage('resolver.html'));
  const options = await until('resolver options', async () => {
    const found = await browser.$$('.resolver-option');
    return found.length >= 3 ? found : null;
  });
  const wanted = async o =>
    (await o.getAttribute('data-app-id')) === appId && (await o.$(running ? '.tag-running' : '.tag-new').isExisting());
  for (let i = 0; i <= options.length; i++) {
    if (await wanted(await browser.$('.resolver-option[aria-selected="true"]'))) break;
    await browser.keys('ArrowDown');
  }
  assert.ok(await wanted(await browser.$('.resolver-option[aria-selected="true"]')), `the ${appId} option is selected`);
  await browser.keys('Enter');
}

/** The history's rows as text, once one satisfies `test`. */
async function historyRow(what, test) {
  await openHistory(browser);
  return until(what, async () => {
    for (const r of await browser.$$('.history-row')) {
      const t = await r.getProperty('textContent');
      if (test(t)) return t;
    }
    return null;
  });
}

before(async () => {
  session = await startSession({
    args: ['--port', '0', '--data-dir', path.join(work, 'data'), '--appd', 'interlog:samples'],
    // Its own XDG data folder: the sample apps' storage (WebKit's) starts empty, as for a new user.
    env: { XDG_DATA_HOME: path.join(work, 'data-home'), INTERLOG_RUNTIME_DIR: runtimeDir, INTERLOG_LOG: 'info', INTERLOG_NO_DIALOG: '1' },
  });
  browser = session.browser;
  await waitForAgent({ runtimeDir, timeoutMs: 20_000 });
});

after(async () => {
  await session?.stop();
  // WebKit's helper processes may still be writing into the XDG folder as the app exits.
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
});

test('the launcher lists the sample apps; typing and Enter opens the chat in its own window', async () => {
  await switchToUrl(browser, 'the launcher', ownPage('launcher.html'));
  const ids = await until('the sample apps', async () => {
    const rows = await browser.$$('.app-row');
    const ids = [];
    for (const r of rows) ids.push(await r.getAttribute('data-app-id'));
    return ids.length >= 4 ? ids : null;
  });
  assert.deepEqual(ids, [CHAT, HARBOR, SUMMIT, 'interlog.sample.contacts']);
  // Decoded icons, not letter avatars.
  await until('decoded icons', () =>
    browser.execute(() => Array.from(document.querySelectorAll('.app-row img.avatar-img')).filter(i => i.complete && i.naturalWidth > 0).length === 4),
  );
  await shot('launcher');
  await (await browser.$('#app-search')).setValue('chat');
  await until('only the chat listed', async () => (await browser.$$('.app-row')).length === 1);
  await browser.keys('Enter');
  await switchToUrl(browser, 'the chat', onSample('chat'), 30_000);
  await ready('the chat');
  assert.equal(await browser.getTitle(), 'Chat');
  // The launcher lists the running chat under its app, with its channel.
  await switchToUrl(browser, 'the launcher', ownPage('launcher.html'));
  await (await browser.$('#app-search')).clearValue();
  const instance = await until('the running chat', async () => {
    const i = await browser.$(`.app-row[data-app-id="${CHAT}"] .instance`);
    return (await i.isExisting()) ? i : null;
  });
  await until('its channel', async () => (await instance.getProperty('textContent')).includes('Channel 1'));
});

let recordId;

test('Log interaction: the resolver offers both CRMs and the log; Harbor CRM, picked with the keyboard, records it; the chat and the history show it', async () => {
  await switchToUrl(browser, 'the chat', onSample('chat'));
  await (await browser.$('#log-interaction')).click();
  await switchToUrl(browser, 'the resolver', ownPage('resolver.html'));
  const apps = await until('three candidates', async () => {
    const found = new Set();
    for (const o of await browser.$$('.resolver-option')) found.add(await o.getAttribute('data-app-id'));
    return found.size >= 3 ? [...found].sort() : null;
  });
  assert.deepEqual(apps, ['interlog.log', HARBOR, SUMMIT].sort());
  await shot('resolver');
  await pickInResolver(HARBOR, false);

  // The chat hears the outcome: Created, by Harbor CRM, with the record's id in Harbor's style.
  await switchToUrl(browser, 'the chat', onSample('chat'), 30_000);
  await until('the chat shows the outcome', async () => (await attr('#log-status', 'data-state')) === 'ok', 30_000);
  const status = await text('#log-status');
  assert.match(status, /Created/);
  assert.match(status, /Harbor CRM/);
  recordId = (await text('#log-status .outcome-record')).match(/HB-\d{6}/)?.[0];
  assert.ok(recordId, `a Harbor record id in ${status}`);
  await shot('chat-logged');

  // The CRM's window lists that record (its list persists, so it is found by id).
  await switchToUrl(browser, 'Harbor CRM', onSample('crm-harbor'));
  await ready('Harbor CRM');
  const record = await until('the new record', async () => {
    const r = await browser.$(`#records li[data-record-id="${recordId}"]`);
    return (await r.isExisting()) ? r : null;
  });
  assert.equal(await record.getAttribute('data-state'), 'created');
  assert.match(await record.getProperty('textContent'), /Jane Doe/);
  await shot('crm');

  const row = await historyRow('the history row', t => t.includes(recordId));
  assert.match(row, /interlog\.sample\.chat|Chat/);
  assert.match(row, /interlog\.sample\.crm-harbor|Harbor CRM/);
  assert.match(row, /Created/);
  await shot('history');
});

test('"Reject next" on the CRM: the next log fails, the chat says why, the history marks it failed', async () => {
  await switchToUrl(browser, 'Harbor CRM', onSample('crm-harbor'));
  await (await browser.$('label.switch')).click();
  assert.equal(await (await browser.$('#reject-next')).isSelected(), true);
  await switchToUrl(browser, 'the chat', onSample('chat'));
  await (await browser.$('#log-interaction')).click();
  await pickInResolver(HARBOR, true);
  await switchToUrl(browser, 'the chat', onSample('chat'));
  await until('the chat shows the failure', async () => (await attr('#log-status', 'data-state')) === 'failed', 30_000);
  assert.match(await text('#log-status'), /rejected/i);
  await shot('chat-failed');
  await switchToUrl(browser, 'Harbor CRM', onSample('crm-harbor'));
  assert.equal(await (await browser.$('#reject-next')).isSelected(), false, 'the switch turns itself off');
  assert.ok(await (await browser.$('#records li[data-state="failed"]')).isExisting());
  const row = await historyRow('the failed row', t => /Failed/i.test(t) && !t.includes(recordId));
  assert.match(row, /interlog\.sample\.crm-harbor|Harbor CRM/);
  // Counted as unconfirmed; pressed, the badge lists only the unconfirmed rows.
  const badge = await until('the unconfirmed badge', async () => {
    const b = await browser.$('#unconfirmed');
    return (await b.isDisplayed()) && (await b.getText()) === '1 unconfirmed' ? b : null;
  });
  await badge.click();
  await until('only the failed row', async () => {
    const rows = await browser.$$('.history-row');
    return rows.length === 1 && /Failed/i.test(await rows[0].getProperty('textContent'));
  });
  await shot('history-unconfirmed');
  await badge.click();
  await until('all rows again', async () => (await browser.$$('.history-row')).length >= 2);
});

test('Contacts: a selected contact reaches the chat on the same channel; on another channel the chat no longer follows', async () => {
  await switchToUrl(browser, 'the launcher', ownPage('launcher.html'));
  await (await browser.$('[data-open="interlog.sample.contacts"]')).click();
  await switchToUrl(browser, 'Contacts', onSample('contacts'), 30_000);
  await ready('Contacts');
  await (await browser.$('li[data-contact-email="jane.doe@mail.com"]')).click();
  await switchToUrl(browser, 'the chat', onSample('chat'));
  await until('the chat shows Jane', async () => (await attr('#selected-contact', 'data-contact-email')) === 'jane.doe@mail.com');
  assert.match(await text('#selected-contact'), /Jane Doe/);
  await shot('chat-following');

  // The chat moves to channel 2 with Interlog's channel selector, from the keyboard.
  const badge = () =>
    browser.execute(() => document.querySelector('interlog-channel-selector').shadowRoot.querySelector('button.badge').dataset.channel);
  assert.equal(await badge(), 'fdc3.channel.1');
  await browser.execute(() => document.querySelector('interlog-channel-selector').shadowRoot.querySelector('button.badge').focus());
  await browser.keys('ArrowDown'); // opens the list on the current channel
  await browser.keys('ArrowDown'); // the next channel
  await browser.keys('Enter');
  await until('the chat on channel 2', async () => (await badge()) === 'fdc3.channel.2');

  await switchToUrl(browser, 'Contacts', onSample('contacts'));
  await (await browser.$('li[data-contact-email="john.doe@mail.com"]')).click();
  await until('Contacts shared John', async () => (await text('#share-status')).includes('John Doe'));
  await switchToUrl(browser, 'the chat', onSample('chat'));
  // Give a stray broadcast time to arrive before asserting that none did.
  await new Promise(r => setTimeout(r, 1000));
  assert.equal(await attr('#selected-contact', 'data-contact-email'), 'jane.doe@mail.com', 'the chat on another channel did not follow');
});

test('"View interactions" for Jane Doe opens the history filtered to her', async () => {
  await switchToUrl(browser, 'Contacts', onSample('contacts'));
  await (await browser.$('li[data-contact-email="jane.doe@mail.com"]')).click();
  await (await browser.$('#view-interactions')).click();
  await switchToUrl(browser, 'the history window', ownPage('index.html'));
  await until('the search for Jane', async () => (await (await browser.$('#search')).getValue()) === 'jane.doe@mail.com');
  const rows = await until('Jane\'s rows', async () => {
    const rs = await browser.$$('.history-row');
    return rs.length > 0 ? rs : null;
  });
  for (const r of rows) assert.match(await r.getProperty('textContent'), /Jane Doe|jane\.doe@mail\.com/);
  await shot('history-jane');
  await switchToUrl(browser, 'Contacts', onSample('contacts'));
  await until('Contacts hears the outcome', async () => ['ok'].includes(await attr('#view-status', 'data-state')));
});

test('the launcher lists running instances with their channel, focuses and closes their windows', async () => {
  await switchToUrl(browser, 'the launcher', ownPage('launcher.html'));
  const contacts = '.app-row[data-app-id="interlog.sample.contacts"]';
  const instance = await until('the running Contacts', async () => {
    const i = await browser.$(`${contacts} .instance`);
    return (await i.isExisting()) ? i : null;
  });
  assert.match(await instance.getProperty('textContent'), /Channel 1/);
  // The chat moved to channel 2 earlier: the launcher shows that, with the channel's colour.
  const chatChannel = await browser.$(`.app-row[data-app-id="${CHAT}"] .instance-channel`).getProperty('textContent');
  assert.equal(chatChannel, 'Channel 2');
  const dot = await browser.$(`.app-row[data-app-id="${CHAT}"] .channel-dot`).getCSSProperty('background-color');
  assert.notEqual(dot.parsed.hex, '#000000');
  await shot('launcher-running');
  await (await browser.$(`${contacts} button[aria-label^="Bring"]`)).click();
  await (await browser.$(`${contacts} button[aria-label^="Close"]`)).click();
  await until('the Contacts window closed', async () => {
    for (const h of await browser.getWindowHandles()) {
      await browser.switchToWindow(h).catch(() => {});
      if (onSample('contacts')(await browser.getUrl().catch(() => ''))) return false;
    }
    return true;
  });
  await switchToUrl(browser, 'the launcher', ownPage('launcher.html'));
  await until('no running Contacts listed', async () => !(await (await browser.$(`${contacts} .instance`)).isExisting()));
});

test('a remembered choice: asked once, then no dialog (the history marks it); forgotten in settings, the dialog is back', async () => {
  const requestId = async () => {
    await switchToUrl(browser, 'the resolver', ownPage('resolver.html'));
    return browser.$('#resolver').getAttribute('data-request-id');
  };
  const logFromChat = async () => {
    await switchToUrl(browser, 'the chat', onSample('chat'));
    await (await browser.$('#log-interaction')).click();
  };
  const chatOutcome = async () => {
    await switchToUrl(browser, 'the chat', onSample('chat'));
    await until('the chat shows the outcome', async () => ['ok', 'failed', 'error'].includes(await attr('#log-status', 'data-state')), 30_000);
    return text('#log-status');
  };

  await logFromChat();
  await switchToUrl(browser, 'the resolver', ownPage('resolver.html'));
  await until('the remember box', async () => (await browser.$('#remember-row')).isDisplayed());
  assert.match(await (await browser.$('#remember-text')).getText(), /Always use this app for CreateInteraction with fdc3\.interaction from Chat/);
  await (await browser.$('#remember-row')).click();
  assert.equal(await (await browser.$('#resolver-remember')).isSelected(), true);
  await shot('resolver-remember');
  await pickInResolver(SUMMIT, false);
  assert.match(await chatOutcome(), /Summit CRM/);
  const settingsFile = path.join(work, 'data', 'settings.json');
  const saved = () => (fs.existsSync(settingsFile) ? JSON.parse(fs.readFileSync(settingsFile, 'utf8')).rememberedChoices ?? [] : []);
  await until('the choice saved in settings.json', () => saved().length === 1);
  assert.deepEqual(saved()[0], { intent: 'CreateInteraction', contextType: 'fdc3.interaction', raiserAppId: CHAT, appId: SUMMIT });
  const shown = await requestId();

  // The same question again: answered by the remembered choice, no dialog.
  await logFromChat();
  assert.match(await chatOutcome(), /Created[\s\S]*Summit CRM|Summit CRM[\s\S]*Created/);
  assert.equal(await requestId(), shown, 'no new request was shown in the resolver');
  const row = await historyRow('the remembered row', t => t.includes('remembered'));
  assert.match(row, /interlog\.sample\.crm-summit/);
  await shot('history-remembered');

  // Forgotten in the settings: the dialog asks again.
  await switchToUrl(browser, 'the launcher', ownPage('launcher.html'));
  await (await browser.$('#show-settings')).click();
  await switchToUrl(browser, 'the settings', ownPage('settings.html'));
  const remembered = await until('the remembered choice listed', async () => {
    const r = await browser.$(`.remembered-choice[data-app-id="${SUMMIT}"]`);
    return (await r.isExisting()) ? r : null;
  });
  await shot('settings-remembered');
  await (await remembered.$('button')).click();
  await until('the choice forgotten', async () => !(await (await browser.$('.remembered-choice')).isExisting()));
  assert.deepEqual(saved(), []);
  await logFromChat();
  await until('the dialog again', async () => (await requestId()) !== shown);
  await browser.keys('Escape');
  assert.match(await chatOutcome(), /closed the app chooser|cancel/i);
});
