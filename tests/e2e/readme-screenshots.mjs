// The README's screenshots, from a real run: Interlog as the run command starts it (the sample
// apps, a fresh data folder), clicked through by WebDriver, the whole X screen captured with
// ImageMagick's `import` at each step. Also times a new user's first logged interaction:
// launcher shown -> Chat opened -> "Log interaction" -> Harbor CRM picked -> Created shown.
//
//   (cd tests/e2e && INTERLOG_BIN=../../target/release/interlog \
//      xvfb-run -a -s "-screen 0 1600x1000x24" node readme-screenshots.mjs ../../ui/screenshots)

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startSession, switchToUrl, ownPage, openHistory } from './lib/session.mjs';
import { waitForAgent } from '../js/lib/discovery.mjs';
import { until } from './lib/until.mjs';

const out = path.resolve(process.argv[2] ?? 'screenshots');
fs.mkdirSync(out, { recursive: true });
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'interlog-shots-'));
const runtimeDir = path.join(work, 'run');
const onSample = dir => url => url.startsWith('http') && new URL(url).pathname.startsWith(`/${dir}/`);
const screen = name => {
  execFileSync('import', ['-window', 'root', path.join(out, `${name}.png`)]);
  console.log(`screenshot ${name}.png`);
};
const settle = () => new Promise(r => setTimeout(r, 600));

const session = await startSession({
  args: ['--port', '0', '--data-dir', path.join(work, 'data'), '--appd', 'interlog:samples'],
  env: { XDG_DATA_HOME: path.join(work, 'data-home'), INTERLOG_RUNTIME_DIR: runtimeDir, INTERLOG_NO_DIALOG: '1' },
});
const browser = session.browser;
try {
  await waitForAgent({ runtimeDir, timeoutMs: 20_000 });
  // As the run command does on first start: a few interactions already in the history.
  const seeds = path.resolve(import.meta.dirname, '../../scripts/seed');
  for (const seed of fs.readdirSync(seeds).sort()) {
    execFileSync(process.env.INTERLOG_BIN, ['raise', 'CreateInteraction', '--context', path.join(seeds, seed), '--app', 'interlog.log'], {
      env: { ...process.env, INTERLOG_RUNTIME_DIR: runtimeDir },
      stdio: 'ignore',
    });
  }
  await switchToUrl(browser, 'the launcher', ownPage('launcher.html'));
  await until('the sample apps', async () => (await browser.$$('.app-row')).length === 4);
  await settle();
  screen('launcher');

  const t0 = Date.now();
  await (await browser.$('[data-open="interlog.sample.chat"]')).click();
  await switchToUrl(browser, 'the chat', onSample('chat'), 30_000);
  await until('the chat ready', async () => (await browser.$('body').getAttribute('data-agent')) === 'ready', 20_000);
  const tChat = Date.now();
  await (await browser.$('#log-interaction')).click();
  await switchToUrl(browser, 'the resolver', ownPage('resolver.html'));
  await until('the options', async () => (await browser.$$('.resolver-option')).length >= 3);
  const tResolver = Date.now();
  await settle();
  screen('chat-resolver');
  const t1 = Date.now();
  for (let i = 0; i < 6; i++) {
    const selected = await browser.$('.resolver-option[aria-selected="true"]');
    if ((await selected.getAttribute('data-app-id')) === 'interlog.sample.crm-harbor') break;
    await browser.keys('ArrowDown');
  }
  await browser.keys('Enter');
  await switchToUrl(browser, 'the chat', onSample('chat'), 30_000);
  await until('Created in the chat', async () => (await browser.$('#log-status').getAttribute('data-state')) === 'ok', 30_000);
  const tDone = Date.now();
  await settle();
  screen('chat-logged');
  await switchToUrl(browser, 'Harbor CRM', onSample('crm-harbor'));
  await (await browser.$('h1')).click();
  await settle();
  screen('crm');
  await openHistory(browser);
  await until('the row', async () => (await browser.$$('.history-row')).length > 0);
  await settle();
  screen('history');
  console.log(
    JSON.stringify({
      launcherToChatReadyMs: tChat - t0,
      logClickToResolverMs: tResolver - tChat,
      pickToCreatedShownMs: tDone - t1,
      machineTotalMs: tDone - t0 - (t1 - tResolver),
      clicks: ['Open (Chat)', 'Log interaction', 'Arrow/Enter or click in the resolver'],
    }),
  );
} finally {
  await session.stop();
  // WebKit's helper processes may still be writing into the XDG folder as the app exits.
  fs.rmSync(work, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 });
}
