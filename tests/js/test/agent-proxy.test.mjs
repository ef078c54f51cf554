// The agent under test, driven by the official FDC3 client (@finos/fdc3-agent-proxy 2.2.0) over
// the app-connection WebSocket (shared/docs/app-connection.md), plus a few raw-socket checks of
// the handshake and framing rules.
//
// The agent is started by this file: $INTERLOG_AGENT_CMD (a shell command that runs an agent in
// the foreground; `--appd tests/fixtures/sample-appd.json --port 0` is appended), else the FDC3
// reference agent in $REFERENCE_DA_DIR (default /tmp/refda). It gets a fresh
// INTERLOG_RUNTIME_DIR and is stopped with SIGTERM at the end.
//
// Known reference deviations: where the reference agent (@finos/fdc3-web-impl) is known to
// differ from the contract, a failing check is reported as SKIPPED with the reason, but only when
// the agent's provider contains "reference" (and KNOWN_REFERENCE_DEVIATIONS is not "0").
// For any other agent (Interlog) every check must hold.

import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import WebSocket from 'ws';
import { connectApp, openRawSocket, socketUrl, trackIntentResults, wcp4Message } from '../lib/connect.mjs';
import { agentCommandFromEnv, FIXTURES_DIR, startAgent } from '../lib/agent-process.mjs';
import { CHAT_APP_ID, CHAT_IDENTITY_URL, CRM_APP_ID, CRM_IDENTITY_URL, createdResult, startCrm } from '../lib/crm.mjs';
import { eventually, settle } from '../lib/wait.mjs';

const APP_A_URL = 'https://apps.interlog.example/test-a/';
const APP_B_URL = 'https://apps.interlog.example/test-b/';
const readFixture = name => JSON.parse(fs.readFileSync(new URL(name, `file://${FIXTURES_DIR}`), 'utf8'));
const INTERACTION = readFixture('create-interaction.context.json');
const EXPECTED_RESULT_EXAMPLE = readFixture('create-interaction.result.json');

let agent; // { info, runtimeDir, stop, log }
let deviationsAllowed = false;
const openApps = []; // everything a test connected, disconnected after each test

/** Connect through the official client; the app is disconnected after the test. */
async function connect(identityUrl, opts = {}) {
  const app = await connectApp({ identityUrl, agentInfo: agent.info, ...opts });
  openApps.push(app);
  return app;
}
async function crm(opts = {}) {
  const app = await startCrm({ agentInfo: agent.info, ...opts });
  openApps.push(app);
  return app;
}

/**
 * Runs `fn` (assertions) as a named subtest. If it fails and `knownReferenceDeviation` describes a known
 * difference of the reference agent, and that agent is under test, the subtest is skipped with
 * that reason instead (and says so on stdout).
 */
async function check(t, name, fn, knownReferenceDeviation) {
  let failure = null;
  try {
    await fn();
  } catch (err) {
    failure = err;
  }
  if (failure && knownReferenceDeviation && deviationsAllowed) {
    const reason = `known reference deviation: ${knownReferenceDeviation}`;
    console.log(`SKIPPED "${name}" (${reason}; actual: ${failure.message.split('\n')[0]})`);
    await t.test(name, { skip: reason }, () => {});
    return;
  }
  await t.test(name, () => {
    if (failure) throw failure;
  });
}



/** Status of an HTTP upgrade attempt: 101 if it was accepted, else the HTTP status code. */
function upgradeStatus(url, wsOptions = {}) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, wsOptions);
    ws.once('unexpected-response', (_req, res) => {
      res.resume();
      resolve(res.statusCode);
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.once('error', err => reject(err));
  });
}

describe(`agent under test: ${agentCommandFromEnv()}`, { timeout: 120_000 }, () => {
  before(async () => {
    agent = await startAgent(agentCommandFromEnv());
    const provider = agent.info.provider ?? '';
    deviationsAllowed = /reference/i.test(provider) && process.env.KNOWN_REFERENCE_DEVIATIONS !== '0';
    console.log(
      `agent: ${provider} ${agent.info.providerVersion ?? ''} at ${agent.info.url} (pid ${agent.info.pid});` +
        ` known reference deviations ${deviationsAllowed ? 'ALLOWED' : 'not allowed'}`,
    );
  });

  afterEach(async () => {
    await Promise.all(openApps.splice(0).map(a => a.disconnect().catch(() => {})));
  });

  after(async () => {
    await agent?.stop();
  });

  // ---------------------------------------------------------------- identity and info

  test('getInfo: FDC3 2.2, provider, and the caller as appMetadata', async () => {
    const a = await connect(APP_A_URL);
    assert.equal(a.appId, 'test.app-a');
    const info = await a.agent.getInfo();
    assert.equal(info.fdc3Version, '2.2');
    assert.equal(typeof info.provider, 'string');
    assert.ok(info.provider.length > 0, 'provider is non-empty');
    assert.equal(info.appMetadata.appId, 'test.app-a');
    assert.equal(info.appMetadata.instanceId, a.instanceId);
    assert.ok(a.instanceId, 'WCP5 gave an instanceId');
  });

  test('WCP5 instanceUuid is a secret: present and not the instanceId', async t => {
    const a = await connect(APP_A_URL);
    await check(t, 'instanceUuid differs from instanceId', () => {
      assert.equal(typeof a.instanceUuid, 'string');
      assert.notEqual(a.instanceUuid, a.instanceId);
    }, 'WCP5 instanceUuid equals the instanceId');
  });

  // ---------------------------------------------------------------- user channels

  test('user channels: 8 with displayMetadata; join and getCurrentChannel', async () => {
    const a = await connect(APP_A_URL);
    const channels = await a.agent.getUserChannels();
    assert.equal(channels.length, 8);
    for (const c of channels) {
      assert.equal(typeof c.id, 'string');
      assert.equal(c.type, 'user');
      assert.equal(typeof c.displayMetadata?.name, 'string', `${c.id} has displayMetadata.name`);
      assert.equal(typeof c.displayMetadata?.color, 'string', `${c.id} has displayMetadata.color`);
    }
    assert.ok(channels.some(c => c.id === 'fdc3.channel.1'));
    assert.equal(await a.agent.getCurrentChannel(), null, 'a new instance is on no channel');
    await a.agent.joinUserChannel('fdc3.channel.1');
    assert.equal((await a.agent.getCurrentChannel())?.id, 'fdc3.channel.1');
    await assert.rejects(a.agent.joinUserChannel('no.such.channel'), { message: 'NoChannelFound' });
  });

  test('broadcast on a user channel: delivered once to the other app, never back to the sender', async t => {
    const a = await connect(APP_A_URL);
    const b = await connect(APP_B_URL);
    assert.equal(b.appId, 'test.app-b');
    await a.agent.joinUserChannel('fdc3.channel.1');
    await b.agent.joinUserChannel('fdc3.channel.1');

    const ticker = `T${Date.now()}`; // unique, so context left on the channel by others is ignored
    const instrument = { type: 'fdc3.instrument', id: { ticker }, name: 'Test instrument' };
    const ours = c => c?.type === 'fdc3.instrument' && c.id?.ticker === ticker;
    const gotA = [];
    const gotB = [];
    await a.agent.addContextListener('fdc3.instrument', c => ours(c) && gotA.push(c));
    await b.agent.addContextListener('fdc3.instrument', c => ours(c) && gotB.push(c));
    let wireB = 0; // broadcastEvent messages on b's socket (the proxy fans out to listeners itself)
    b.messaging.events.on('message', m => m.type === 'broadcastEvent' && ours(m.payload?.context) && wireB++);

    await a.agent.broadcast(instrument);
    await eventually(() => gotB.length > 0, 3000, "b's context listener");
    await sleep(500); // time for any duplicate or echo to arrive

    assert.deepEqual(gotB, [instrument], 'b received the context exactly once');
    assert.equal(wireB, 1, 'one broadcastEvent to b');
    await check(t, 'the sender does not receive its own broadcast', () => {
      assert.equal(gotA.length, 0);
    }, 'a broadcast is echoed to the sender\'s own listeners');
  });

  // ---------------------------------------------------------------- intents

  test('findIntent CreateInteraction lists the CRM with its resultType', async t => {
    const chat = await connect(CHAT_IDENTITY_URL);
    assert.equal(chat.appId, CHAT_APP_ID);
    const appIntent = await chat.agent.findIntent('CreateInteraction', INTERACTION);
    assert.equal(appIntent.intent.name, 'CreateInteraction');
    const crmEntries = appIntent.apps.filter(app => app.appId === CRM_APP_ID);
    assert.ok(crmEntries.length > 0, `apps: ${JSON.stringify(appIntent.apps)}`);
    assert.ok(!appIntent.apps.some(app => app.appId.startsWith('test.')), 'apps without the intent are not listed');
    await check(t, 'resultType is fdc3.transactionResult', () => {
      for (const e of crmEntries) assert.equal(e.resultType, 'fdc3.transactionResult', JSON.stringify(e));
    }, 'findIntent returns {appId} without resultType');
  });

  test('raise CreateInteraction at a running CRM instance: resolution and transactionResult', async () => {
    const handled = [];
    const handler = await crm({ log: line => handled.push(line) });
    const chat = await connect(CHAT_IDENTITY_URL);

    const instances = await chat.agent.findInstances({ appId: CRM_APP_ID });
    const target = instances.find(i => i.instanceId === handler.instanceId);
    assert.ok(target, `findInstances lists the CRM instance ${handler.instanceId}: ${JSON.stringify(instances)}`);
    assert.equal(target.appId, CRM_APP_ID);

    const intentEvents = [];
    handler.messaging.events.on('message', m => m.type === 'intentEvent' && intentEvents.push(m));
    const wire = trackIntentResults(chat.messaging);

    const resolution = await chat.agent.raiseIntent('CreateInteraction', INTERACTION, {
      appId: target.appId,
      instanceId: target.instanceId,
    });
    assert.equal(resolution.intent, 'CreateInteraction');
    assert.equal(resolution.source.appId, CRM_APP_ID);
    assert.equal(resolution.source.instanceId, handler.instanceId);

    const settled = await settle(resolution.getResult(), 5000);
    assert.ok(!settled.timedOut, 'getResult() settles within 5 s');
    assert.ifError(settled.error);
    const expected = createdResult(INTERACTION, 'crm://interactions/1');
    assert.deepEqual(settled.value, expected);
    // Same shape as the documentation's example result, apart from the record id and message.
    assert.deepEqual(Object.keys(settled.value).sort(), Object.keys(EXPECTED_RESULT_EXAMPLE).sort());
    const { id: _id, ...exampleInteraction } = EXPECTED_RESULT_EXAMPLE.context;
    const { id, ...resultInteraction } = settled.value.context;
    assert.deepEqual(resultInteraction, exampleInteraction);
    assert.deepEqual(id, { URI: 'crm://interactions/1' });

    // Wire level: the handler saw one intentEvent naming this raise, from the chat app.
    assert.equal(intentEvents.length, 1);
    assert.equal(intentEvents[0].payload.raiseIntentRequestUuid, wire.lastRaise());
    assert.equal(intentEvents[0].payload.originatingApp?.appId, CHAT_APP_ID);
    assert.equal(handled.length, 1);
  });

  test('raise with an fdc3.interaction missing participants: MalformedContext', async t => {
    const handled = [];
    const handler = await crm({ log: line => handled.push(line) });
    const chat = await connect(CHAT_IDENTITY_URL);
    const { participants: _p, ...malformed } = INTERACTION;

    const outcome = await settle(
      chat.agent.raiseIntent('CreateInteraction', malformed, { appId: CRM_APP_ID, instanceId: handler.instanceId }),
      5000,
    );
    // If it was delivered after all, let the exchange finish before the apps disconnect.
    if (outcome.value) await settle(outcome.value.getResult(), 2000);
    await check(t, 'raiseIntent rejects with MalformedContext and nothing is delivered', async () => {
      assert.ok(outcome.error, `raiseIntent ${outcome.timedOut ? 'timed out' : 'resolved'} instead of rejecting`);
      assert.equal(outcome.error.message, 'MalformedContext');
      await sleep(200);
      assert.equal(handled.length, 0, 'the handler was not invoked');
    }, 'contexts are not validated against their schemas');
  });

  for (const how of ['WCP6Goodbye', 'socket dropped']) {
    test(`handler ends before answering (${how}): NoResultReturned within 2 s`, async t => {
      let intentArrived;
      const arrived = new Promise(resolve => (intentArrived = resolve));
      const handler = await connect(CRM_IDENTITY_URL);
      await handler.agent.addIntentListener('CreateInteraction', () => {
        intentArrived();
        return new Promise(() => {}); // never answers
      });
      const chat = await connect(CHAT_IDENTITY_URL);
      const wire = trackIntentResults(chat.messaging);
      const resolution = await chat.agent.raiseIntent('CreateInteraction', INTERACTION, {
        appId: CRM_APP_ID,
        instanceId: handler.instanceId,
      });
      const requestUuid = wire.lastRaise();
      await arrived;

      const t0 = Date.now();
      if (how === 'WCP6Goodbye') await handler.disconnect();
      else handler.socket.terminate();
      const [response, result] = await Promise.all([
        wire.result(requestUuid, 2000).catch(err => err),
        settle(resolution.getResult(), 2000),
      ]);
      const elapsed = Date.now() - t0;

      await check(t, 'raiseIntentResultResponse {error: NoResultReturned} within 2 s', () => {
        assert.ok(!(response instanceof Error), response.message);
        assert.equal(response.payload?.error, 'NoResultReturned');
        assert.ok(elapsed < 2000, `took ${elapsed} ms`);
      }, 'orphaned results are never failed');

      // What the official client makes of it. The 2.2.0 proxy only looks at intentResult, so it
      // resolves getResult() to undefined; a fixed proxy rejects with NoResultReturned.
      await check(t, 'getResult() settles: rejects with NoResultReturned (2.2.0 proxy: resolves undefined)', () => {
        assert.ok(!result.timedOut, 'getResult() did not settle within 2 s');
        if (result.error) assert.equal(result.error.message, 'NoResultReturned');
        else assert.equal(result.value, undefined);
      }, 'orphaned results are never failed');
    });
  }

  // ---------------------------------------------------------------- handshake (raw ws)

  test('HTTP upgrade: wrong or missing token 401, foreign Origin 403, other path 404', async () => {
    const good = socketUrl(agent.info);
    const u = new URL(good);
    u.searchParams.set('token', 'ff'.repeat(32));
    assert.equal(await upgradeStatus(u.toString()), 401, 'wrong token');
    u.searchParams.delete('token');
    assert.equal(await upgradeStatus(u.toString()), 401, 'missing token');
    assert.equal(await upgradeStatus(good, { origin: 'https://evil.example' }), 403, 'Origin not allowed');
    const other = new URL(good);
    other.pathname = '/not-fdc3';
    assert.equal(await upgradeStatus(other.toString()), 404, 'other path');
    assert.equal(await upgradeStatus(good), 101, 'the right token and no Origin are accepted');
  });

  for (const [what, identity] of [
    ['unknown identityUrl', { identityUrl: 'https://unknown.example/app/' }],
    ['actualUrl on another origin', { identityUrl: APP_A_URL, actualUrl: 'https://elsewhere.example/test-a/' }],
  ]) {
    test(`WCP4 with ${what}: WCP5ValidateAppIdentityFailedResponse, then close 1008`, async () => {
      const ws = new WebSocket(socketUrl(agent.info));
      const messages = [];
      ws.on('message', data => messages.push(JSON.parse(data.toString())));
      const closed = new Promise(resolve => ws.once('close', code => resolve(code)));
      await new Promise((resolve, reject) => {
        ws.once('open', resolve);
        ws.once('error', reject);
      });
      const hello = wcp4Message(identity);
      ws.send(JSON.stringify(hello));
      const code = await Promise.race([closed, sleep(3000).then(() => 'still open after 3 s')]);
      ws.terminate();
      assert.equal(messages.length, 1, JSON.stringify(messages));
      assert.equal(messages[0].type, 'WCP5ValidateAppIdentityFailedResponse');
      assert.equal(messages[0].meta?.connectionAttemptUuid, hello.meta.connectionAttemptUuid);
      assert.equal(code, 1008);
    });
  }

  // ---------------------------------------------------------------- framing (raw DACP)

  test('bad frames are dropped; an unknown request type gets MalformedMessage; the socket stays open', async () => {
    const raw = await openRawSocket({ identityUrl: APP_A_URL, agentInfo: agent.info });
    try {
      raw.send('this is not JSON');
      raw.send({ payload: {}, meta: raw.meta() }); // no type
      raw.socket.send(Buffer.from([1, 2, 3]), { binary: true });
      const req = raw.request('noSuchThingRequest', {});
      const response = await raw.next(m => m.meta?.requestUuid === req.meta.requestUuid, 3000);
      assert.equal(response.type, 'noSuchThingResponse');
      assert.equal(response.payload?.error, 'MalformedMessage');
      const info = await raw.exchange('getInfoRequest', {}, 3000);
      assert.equal(info.payload.implementationMetadata.appMetadata.appId, 'test.app-a');
    } finally {
      await raw.goodbye();
    }
  });
});
