#!/usr/bin/env node
// Sample "chat" app that raises CreateInteraction with the documentation's example context and
// prints what comes back.
//
//   node --import ./lib/register.mjs raise-example.mjs [--app APP_ID [--instance INSTANCE_ID]]
//        [--context FILE] [--runtime-dir DIR] [--timeout MS]
//
// Exit 0 with the IntentResolution source and the result JSON on stdout; exit 1 with the error.

import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { connectApp, trackIntentResults } from './lib/connect.mjs';
import { readAgentInfo, waitForAgent } from './lib/discovery.mjs';
import { CHAT_IDENTITY_URL } from './lib/crm.mjs';

const DEFAULT_CONTEXT = fileURLToPath(new URL('../fixtures/create-interaction.context.json', import.meta.url));

const { values: opt } = parseArgs({
  options: {
    app: { type: 'string' },
    instance: { type: 'string' },
    context: { type: 'string', default: DEFAULT_CONTEXT },
    'runtime-dir': { type: 'string' },
    timeout: { type: 'string', default: '30000' },
    wait: { type: 'boolean', default: false },
    help: { type: 'boolean', short: 'h', default: false },
  },
});
if (opt.help) {
  console.log(`usage: node --import ./lib/register.mjs raise-example.mjs [--app APP_ID [--instance INSTANCE_ID]]
       [--context FILE] [--runtime-dir DIR] [--timeout MS] [--wait]
  --wait    wait for agent.json (up to --timeout) instead of failing when no agent runs`);
  process.exit(0);
}
if (opt.instance && !opt.app) {
  console.error('--instance needs --app');
  process.exit(2);
}

const timeoutMs = Number(opt.timeout);
let app;
try {
  const context = JSON.parse(fs.readFileSync(opt.context, 'utf8'));
  const agentInfo = opt.wait
    ? await waitForAgent({ runtimeDir: opt['runtime-dir'], timeoutMs })
    : await readAgentInfo({ runtimeDir: opt['runtime-dir'] });
  app = await connectApp({ identityUrl: CHAT_IDENTITY_URL, agentInfo, appLaunchTimeout: timeoutMs });
  const target = opt.app ? { appId: opt.app, ...(opt.instance ? { instanceId: opt.instance } : {}) } : undefined;

  const wire = trackIntentResults(app.messaging);
  const resolution = await app.agent.raiseIntent('CreateInteraction', context, target);
  console.log(`resolved by ${JSON.stringify(resolution.source)} (intent ${resolution.intent})`);
  // Wait on the wire message rather than only on getResult(): the 2.2.0 proxy turns an error
  // result (e.g. NoResultReturned) into `undefined` (see trackIntentResults).
  const response = await wire.result(wire.lastRaise(), timeoutMs);
  if (response.payload?.error) throw new Error(response.payload.error);
  const result = await resolution.getResult();
  console.log(JSON.stringify(result ?? null, null, 2));
  await app.disconnect();
  process.exit(0);
} catch (err) {
  console.error(`CreateInteraction failed: ${err.message}`);
  await app?.disconnect().catch(() => {});
  process.exit(1);
}
