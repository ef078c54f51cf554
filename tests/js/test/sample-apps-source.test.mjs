// The bundled sample apps (ui/samples) are real FDC3 apps: they use the agent Interlog injects
// (`window.fdc3`, the official proxy) and nothing that stands in for it. Read from their sources:
// imports from @finos packages are types only, nothing assigns `window.fdc3` or defines the
// Desktop Agent's methods, and their directory lists each app at a page that exists.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SAMPLES = fileURLToPath(new URL('../../../ui/samples/', import.meta.url));

function sources(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap(e => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|html)$/.test(e.name) ? [p] : [];
  });
}

const files = sources(SAMPLES);
const API = ['raiseIntent', 'broadcast', 'addContextListener', 'addIntentListener', 'joinUserChannel', 'getCurrentChannel', 'findIntent', 'open'];

test('the sample apps have sources to check', () => {
  assert.ok(files.filter(f => f.endsWith('.ts')).length >= 8, `found ${files.length} files`);
  for (const app of ['chat', 'crm-harbor', 'crm-summit', 'contacts']) {
    assert.ok(fs.existsSync(path.join(SAMPLES, app, 'index.html')), `${app}/index.html`);
  }
});

test('imports from @finos packages are types only: no agent library is bundled into a sample', () => {
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/^\s*import\s+(type\s+)?[^;]*?from\s+['"](@finos\/[^'"]+)['"]/gms)) {
      assert.ok(m[1], `${path.relative(SAMPLES, f)} imports values from ${m[2]}`);
    }
    assert.doesNotMatch(text, /require\(['"]@finos/, path.relative(SAMPLES, f));
  }
});

test('nothing assigns window.fdc3 or defines the Desktop Agent API', () => {
  for (const f of files) {
    const text = fs.readFileSync(f, 'utf8');
    const rel = path.relative(SAMPLES, f);
    assert.doesNotMatch(text, /window\.fdc3\s*=(?!=)/, `${rel} assigns window.fdc3`);
    assert.doesNotMatch(text, /\bfdc3\s*:\s*\{/, `${rel} builds an fdc3 object`);
    assert.doesNotMatch(text, /implements\s+DesktopAgent/, `${rel} implements DesktopAgent`);
    for (const name of API) {
      const defined = new RegExp(`(?:^|[\\s{,])(?:async\\s+)?${name}\\s*(?:\\([^)]*\\)\\s*(?::[^{]*)?\\{|:\\s*(?:async\\s*)?(?:function|\\())`, 'm');
      assert.doesNotMatch(text, defined, `${rel} defines ${name}`);
    }
  }
});

test('the samples directory lists the four apps with {{origin}} URLs at their pages', () => {
  const appd = JSON.parse(fs.readFileSync(path.join(SAMPLES, 'appd.json'), 'utf8'));
  const urls = Object.fromEntries(appd.applications.map(a => [a.appId, a.details.url]));
  assert.deepEqual(Object.keys(urls).sort(), ['interlog.sample.chat', 'interlog.sample.contacts', 'interlog.sample.crm-harbor', 'interlog.sample.crm-summit']);
  for (const url of Object.values(urls)) {
    assert.match(url, /^\{\{origin\}\}\/[a-z-]+\/$/);
    assert.ok(fs.existsSync(path.join(SAMPLES, url.replace('{{origin}}/', ''), 'index.html')), url);
  }
});
