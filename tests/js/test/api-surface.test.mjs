// Every DesktopAgent, Channel and PrivateChannel method of FDC3 2.2, called through the official
// client (@finos/fdc3-agent-proxy 2.2.0) over the app-connection WebSocket
// (shared/docs/app-connection.md), with the values checked, not just that a call resolves.
//
// The agent is started by this file like agent-proxy.test.mjs does: $INTERLOG_AGENT_CMD, else the
// FDC3 reference agent, with tests/fixtures/sample-appd.json. Apps used:
//   A    test.app-a            generic app (raiser, channel member)
//   B    test.app-b            generic app with no intents in the directory; it registers intent
//                              listeners at run time (dynamic registration), which lets its
//                              handlers return void, an app channel or a private channel without
//                              contradicting a declared resultType
//   CRM  interlog.sample-crm   declares CreateInteraction (fdc3.interaction, fdc3.contactList ->
//                              fdc3.transactionResult); runs lib/crm.mjs's handler
//   CHAT interlog.sample-chat  raiser of CreateInteraction
//
// When a check fails, the test prints the wire transcript of that test (every DACP message each
// app sent and received, heartbeats left out); set API_SURFACE_WIRE_LOG=FILE to also append it
// to a file.
//
// Known 2.2.0 client behaviour these tests allow for (see ../README.md):
// - getResult() resolves undefined on a raiseIntentResultResponse {error}; void results are
//   therefore also checked on the wire (trackIntentResults).
// - addEventListener('userChannelChanged') registers locally only (no addEventListenerRequest)
//   and hands the handler the wire payload as `details`, so the 2.2 payload {newChannelId} is what
//   the handler sees.
// - joinUserChannel replays the channel's current context to fdc3.addContextListener handlers
//   (once from the join, once from channelChangedEvent), so every test uses contexts with a
//   unique tag and listeners ignore anything else.
// - PrivateChannel.addEventListener(null, ...) subscribes with listenerType 'addContextListener'
//   (a 2.2.0 bug), so the typed forms are used.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { connectApp, trackIntentResults } from '../lib/connect.mjs';
import { agentCommandFromEnv, FIXTURES_DIR, SAMPLE_APPD, startAgent } from '../lib/agent-process.mjs';
import { CHAT_APP_ID, CHAT_IDENTITY_URL, CRM_APP_ID, CRM_IDENTITY_URL, createdResult, startCrm } from '../lib/crm.mjs';
import { Transcript } from '../lib/transcript.mjs';
import { eventually, settle } from '../lib/wait.mjs';

const APP_A_URL = 'https://apps.interlog.example/test-a/';
const APP_B_URL = 'https://apps.interlog.example/test-b/';
const APP_A = 'test.app-a';
const APP_B = 'test.app-b';
const readFixture = name => JSON.parse(fs.readFileSync(new URL(name, `file://${FIXTURES_DIR}`), 'utf8'));
const INTERACTION = readFixture('create-interaction.context.json');
const APPD = JSON.parse(fs.readFileSync(SAMPLE_APPD, 'utf8')).applications;
const appRecord = appId => APPD.find(a => a.appId === appId);

let agent; // { info, stop, log }
let failures = 0; // printed with the agent's log at the end
const openApps = [];
const wire = new Transcript();

// ------------------------------------------------------------------------------------------
// helpers

// Browser-like delivery: each inbound message in its own task, so the client's promise
// continuations run between two messages, as with a browser WebSocket or MessagePort. With ws's
// default (several messages of one TCP read emitted synchronously) the 2.2.0 client drops an
// intentEvent that arrives right behind the addIntentListenerResponse that registers its
// listener (AbstractListener.register() registers only after awaiting the response).
const WS_OPTIONS = { allowSynchronousEvents: false };

/** Connect through the official client; recorded in the transcript, disconnected after the test. */
async function connect(identityUrl, label, opts = {}) {
  const app = await connectApp({ identityUrl, agentInfo: agent.info, wsOptions: WS_OPTIONS, ...opts });
  wire.attach(app, label);
  openApps.push(app);
  return app;
}

/** A CRM instance with the sample CreateInteraction handler (lib/crm.mjs). */
async function crm(label = 'CRM', opts = {}) {
  const app = await startCrm({ agentInfo: agent.info, wsOptions: WS_OPTIONS, ...opts });
  wire.attach(app, label);
  openApps.push(app);
  return app;
}

/**
 * A test: fresh transcript, printed if the test fails outside a check(); the apps it connected
 * are disconnected at its end. (Not in beforeEach/afterEach: node:test runs those around every
 * subtest too, i.e. around each check().)
 */
function wtest(name, fn) {
  test(name, async t => {
    wire.reset();
    try {
      await fn(t);
    } catch (err) {
      failures += 1;
      wire.dump(name, err);
      throw err;
    } finally {
      await Promise.all(openApps.splice(0).map(a => a.disconnect().catch(() => {})));
    }
  });
}

/** Runs assertions `fn` and reports them as subtest `name`; a failure prints the transcript. */
async function check(t, name, fn) {
  let failure = null;
  try {
    await fn();
  } catch (err) {
    failure = err;
    failures += 1;
    wire.dump(`${t.name} / ${name}`, err);
  }
  await t.test(name, () => {
    if (failure) throw failure;
  });
}



/** Asserts that `promise` rejects with exactly `message` within ms (not a timeout). */
async function rejectsWith(promise, message, ms = 5000) {
  const r = await settle(promise, ms);
  assert.ok(!r.timedOut, `expected rejection with ${message}; nothing within ${ms} ms`);
  assert.ok(r.error, `expected rejection with ${message}; resolved with ${JSON.stringify(r.value)}`);
  assert.equal(r.error.message, message);
}

let tagCounter = 0;
/** A tag unique to this run, put into every context a test sends, so it ignores anything else. */
const newTag = () => `${Date.now().toString(36)}x${(tagCounter++).toString(36)}`;
const instrument = (tag, n = '') => ({ type: 'fdc3.instrument', id: { ticker: `T-${tag}${n}` }, name: `Instrument ${tag}${n}` });
const contact = (tag, n = '') => ({ type: 'fdc3.contact', id: { email: `c-${tag}${n}@example.com` }, name: `Contact ${tag}${n}` });
const tagged = tag => c => JSON.stringify(c ?? null).includes(tag);
const ids = apps => apps.map(a => `${a.appId}/${a.instanceId ?? '-'}`).sort();

// ------------------------------------------------------------------------------------------

describe(`FDC3 2.2 API surface through the official client, agent: ${agentCommandFromEnv()}`, { timeout: 120_000 }, () => {
  before(async () => {
    agent = await startAgent(agentCommandFromEnv());
    console.log(`agent: ${agent.info.provider} ${agent.info.providerVersion ?? ''} at ${agent.info.url} (pid ${agent.info.pid})`);
  });

  after(async () => {
    if (failures > 0 || process.env.API_SURFACE_AGENT_LOG === '1') {
      console.log(`\n===== agent output (last part)\n${agent?.log()}\n===== end of agent output\n`);
    }
    await agent?.stop();
  });

  // ---------------------------------------------------------------- getInfo, apps

  wtest('getInfo', async t => {
    const a = await connect(APP_A_URL, 'A');
    const b = await connect(APP_B_URL, 'B');
    const info = await a.agent.getInfo();
    const infoB = await b.agent.getInfo();

    await check(t, 'fdc3Version 2.2; provider and providerVersion as in agent.json', () => {
      assert.equal(info.fdc3Version, '2.2');
      assert.equal(info.provider, agent.info.provider);
      assert.equal(info.providerVersion, agent.info.providerVersion);
    });
    await check(t, 'optionalFeatures: all three reported; user channel membership yes, bridging no', () => {
      const f = info.optionalFeatures;
      assert.equal(typeof f, 'object');
      assert.equal(f.UserChannelMembershipAPIs, true, 'joinUserChannel/getCurrentChannel/leaveCurrentChannel are implemented (tested below)');
      assert.equal(f.DesktopAgentBridging, false, 'no bridge is configured');
      assert.equal(f.OriginatingAppMetadata, true, 'originatingApp is sent with intents and broadcasts (tested below)');
    });
    await check(t, 'appMetadata is the calling app and instance', () => {
      assert.equal(info.appMetadata.appId, APP_A);
      assert.equal(info.appMetadata.instanceId, a.instanceId);
      assert.equal(infoB.appMetadata.appId, APP_B);
      assert.equal(infoB.appMetadata.instanceId, b.instanceId);
      assert.notEqual(a.instanceId, b.instanceId);
    });
    await check(t, 'agrees with the WCP5 implementationMetadata', () => {
      assert.equal(a.implementationMetadata.fdc3Version, info.fdc3Version);
      assert.equal(a.implementationMetadata.provider, info.provider);
      assert.equal(a.implementationMetadata.appMetadata?.instanceId, a.instanceId);
    });
  });

  wtest('getAppMetadata', async t => {
    const chat = await connect(CHAT_IDENTITY_URL, 'CHAT');
    const handler = await crm();

    await check(t, 'known app: its directory metadata', async () => {
      const md = await chat.agent.getAppMetadata({ appId: APP_B });
      assert.equal(md.appId, APP_B);
      assert.equal(md.title, appRecord(APP_B).title);
      assert.equal(md.description, appRecord(APP_B).description);
      assert.equal(md.instanceId, undefined, 'no instance was asked for');
    });
    await check(t, 'known app with instanceId: that instance', async () => {
      const md = await chat.agent.getAppMetadata({ appId: CRM_APP_ID, instanceId: handler.instanceId });
      assert.equal(md.appId, CRM_APP_ID);
      assert.equal(md.instanceId, handler.instanceId);
      assert.equal(md.title, appRecord(CRM_APP_ID).title);
    });
    await check(t, 'unknown app: TargetAppUnavailable', async () => {
      await rejectsWith(chat.agent.getAppMetadata({ appId: 'no.such.app' }), 'TargetAppUnavailable');
    });
  });

  wtest('findInstances', async t => {
    const crm1 = await crm('CRM1');
    const crm2 = await crm('CRM2');
    const chat = await connect(CHAT_IDENTITY_URL, 'CHAT');

    await check(t, 'known app with two running instances: both, and only those', async () => {
      const list = await chat.agent.findInstances({ appId: CRM_APP_ID });
      assert.deepEqual(ids(list), ids([{ appId: CRM_APP_ID, instanceId: crm1.instanceId }, { appId: CRM_APP_ID, instanceId: crm2.instanceId }]));
    });
    await check(t, "the caller's own app: the caller", async () => {
      const list = await chat.agent.findInstances({ appId: CHAT_APP_ID });
      assert.deepEqual(ids(list), [`${CHAT_APP_ID}/${chat.instanceId}`]);
    });
    await check(t, 'known app that is not running: []', async () => {
      assert.deepEqual(await chat.agent.findInstances({ appId: APP_B }), []);
    });
    await check(t, 'unknown app: NoAppsFound', async () => {
      await rejectsWith(chat.agent.findInstances({ appId: 'no.such.app' }), 'NoAppsFound');
    });
    await check(t, 'an instance that ended (WCP6Goodbye) is no longer listed', async () => {
      await crm2.disconnect();
      const list = await chat.agent.findInstances({ appId: CRM_APP_ID });
      assert.deepEqual(ids(list), [`${CRM_APP_ID}/${crm1.instanceId}`]);
    });
  });

  wtest('open', async t => {
    const a = await connect(APP_A_URL, 'A');

    await check(t, 'a web app in headless mode: ErrorOnLaunch at once', async () => {
      const t0 = Date.now();
      await rejectsWith(a.agent.open({ appId: APP_B }), 'ErrorOnLaunch', 10_000);
      assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    });
    await check(t, 'with a context: ErrorOnLaunch at once', async () => {
      const t0 = Date.now();
      await rejectsWith(a.agent.open({ appId: APP_B }, instrument(newTag())), 'ErrorOnLaunch', 10_000);
      assert.ok(Date.now() - t0 < 3000, `took ${Date.now() - t0} ms`);
    });
    await check(t, 'unknown app: AppNotFound', async () => {
      await rejectsWith(a.agent.open({ appId: 'no.such.app' }), 'AppNotFound', 10_000);
    });
    await check(t, 'no instance was started by the failed opens', async () => {
      assert.deepEqual(await a.agent.findInstances({ appId: APP_B }), []);
    });
  });

  // ---------------------------------------------------------------- finding intents

  wtest('findIntent', async t => {
    const handler = await crm();
    const chat = await connect(CHAT_IDENTITY_URL, 'CHAT');
    const crmInstance = `${CRM_APP_ID}/${handler.instanceId}`;
    const crmApp = `${CRM_APP_ID}/-`;

    await check(t, 'with a context: the running CRM instance and the CRM app, each with resultType', async () => {
      const ai = await chat.agent.findIntent('CreateInteraction', INTERACTION);
      assert.equal(ai.intent.name, 'CreateInteraction');
      const listed = ids(ai.apps);
      assert.ok(listed.includes(crmInstance), `instance ${crmInstance} in ${JSON.stringify(listed)}`);
      assert.ok(listed.includes(crmApp), `directory app ${crmApp} in ${JSON.stringify(listed)}`);
      assert.ok(!ai.apps.some(x => [APP_A, APP_B, CHAT_APP_ID].includes(x.appId)), `apps that do not take the intent: ${JSON.stringify(listed)}`);
      for (const x of ai.apps) assert.equal(x.resultType, 'fdc3.transactionResult', JSON.stringify(x));
      const withInstance = ai.apps.find(x => x.appId === CRM_APP_ID && x.instanceId === handler.instanceId);
      assert.equal(withInstance.title, appRecord(CRM_APP_ID).title, 'entries are AppMetadata');
    });
    await check(t, 'without a context', async () => {
      const ai = await chat.agent.findIntent('CreateInteraction');
      assert.ok(ids(ai.apps).includes(crmInstance), JSON.stringify(ai.apps));
    });
    await check(t, 'with a context type the intent does not take: NoAppsFound', async () => {
      await rejectsWith(chat.agent.findIntent('CreateInteraction', instrument(newTag())), 'NoAppsFound');
    });
    await check(t, 'with the declared resultType: listed', async () => {
      const ai = await chat.agent.findIntent('CreateInteraction', INTERACTION, 'fdc3.transactionResult');
      assert.ok(ids(ai.apps).includes(crmInstance), JSON.stringify(ai.apps));
      assert.ok(ids(ai.apps).includes(crmApp), JSON.stringify(ai.apps));
    });
    await check(t, 'with resultType and no context: listed', async () => {
      const ai = await chat.agent.findIntent('CreateInteraction', undefined, 'fdc3.transactionResult');
      assert.ok(ids(ai.apps).includes(crmInstance), JSON.stringify(ai.apps));
    });
    await check(t, 'with another resultType (fdc3.instrument, channel): NoAppsFound', async () => {
      await rejectsWith(chat.agent.findIntent('CreateInteraction', INTERACTION, 'fdc3.instrument'), 'NoAppsFound');
      await rejectsWith(chat.agent.findIntent('CreateInteraction', INTERACTION, 'channel'), 'NoAppsFound');
    });
    await check(t, 'unknown intent: NoAppsFound', async () => {
      await rejectsWith(chat.agent.findIntent('test.NoSuchIntent', INTERACTION), 'NoAppsFound');
    });
  });

  wtest('findIntentsByContext', async t => {
    const handler = await crm();
    const chat = await connect(CHAT_IDENTITY_URL, 'CHAT');
    const crmInstance = `${CRM_APP_ID}/${handler.instanceId}`;

    await check(t, 'fdc3.interaction: CreateInteraction with the CRM instance and app', async () => {
      const list = await chat.agent.findIntentsByContext(INTERACTION);
      const names = list.map(x => x.intent.name);
      assert.equal(new Set(names).size, names.length, `each intent once: ${names}`);
      const ci = list.find(x => x.intent.name === 'CreateInteraction');
      assert.ok(ci, `CreateInteraction in ${names}`);
      assert.ok(ids(ci.apps).includes(crmInstance), JSON.stringify(ci.apps));
      assert.ok(ids(ci.apps).includes(`${CRM_APP_ID}/-`), JSON.stringify(ci.apps));
      for (const x of list) assert.ok(x.apps.length > 0, `${x.intent.name} has apps`);
    });
    await check(t, 'fdc3.contactList (the second declared context): CreateInteraction', async () => {
      const list = await chat.agent.findIntentsByContext(INTERACTION.participants);
      const ci = list.find(x => x.intent.name === 'CreateInteraction');
      assert.ok(ci && ids(ci.apps).includes(crmInstance), JSON.stringify(list));
    });
    await check(t, 'a context no app takes: NoAppsFound', async () => {
      await rejectsWith(chat.agent.findIntentsByContext({ type: 'fdc3.country', id: { ISOALPHA2: 'GB' } }), 'NoAppsFound');
    });
    // A dynamic listener (B's app declares no intents) is listed for the context it is raised with.
    const b = await connect(APP_B_URL, 'B');
    await b.agent.addIntentListener('test.Echo', c => c);
    await check(t, 'a running dynamic listener is listed with its instance', async () => {
      const list = await chat.agent.findIntentsByContext(instrument(newTag()));
      const echo = list.find(x => x.intent.name === 'test.Echo');
      assert.ok(echo, JSON.stringify(list));
      assert.deepEqual(ids(echo.apps), [`${APP_B}/${b.instanceId}`]);
      assert.ok(!list.some(x => x.intent.name === 'CreateInteraction'), 'CreateInteraction does not take fdc3.instrument');
    });
  });

  // ---------------------------------------------------------------- raising intents

  wtest('raiseIntent at an instance: context result', async t => {
    const handled = [];
    const handler = await crm('CRM', { log: line => handled.push(line) });
    const chat = await connect(CHAT_IDENTITY_URL, 'CHAT');
    const results = trackIntentResults(chat.messaging);

    const resolution = await chat.agent.raiseIntent('CreateInteraction', INTERACTION, { appId: CRM_APP_ID, instanceId: handler.instanceId });
    const requestUuid = results.lastRaise();
    const result = await settle(resolution.getResult(), 5000);

    await check(t, 'IntentResolution: intent and source instance', () => {
      assert.equal(resolution.intent, 'CreateInteraction');
      assert.equal(resolution.source.appId, CRM_APP_ID);
      assert.equal(resolution.source.instanceId, handler.instanceId);
    });
    await check(t, 'getResult(): the handler\'s fdc3.transactionResult', () => {
      assert.ok(!result.timedOut, 'getResult() settles within 5 s');
      assert.ifError(result.error);
      assert.deepEqual(result.value, createdResult(INTERACTION, 'crm://interactions/1'));
    });
    await check(t, 'the handler ran once, with the raiser as metadata.source', () => {
      assert.equal(handled.length, 1, JSON.stringify(handled));
      assert.ok(handled[0].includes(`from ${CHAT_APP_ID}/${chat.instanceId}:`), handled[0]);
    });
    await check(t, 'wire: raiseIntentResultResponse {intentResult: {context}}', async () => {
      const response = await results.result(requestUuid, 1000);
      assert.equal(response.payload.error, undefined);
      assert.deepEqual(response.payload.intentResult, { context: createdResult(INTERACTION, 'crm://interactions/1') });
    });
  });

  wtest('raiseIntent at an instance: void result', async t => {
    const b = await connect(APP_B_URL, 'B');
    const calls = [];
    await b.agent.addIntentListener('test.VoidResult', (context, metadata) => {
      calls.push({ context, metadata });
    });
    const a = await connect(APP_A_URL, 'A');
    const results = trackIntentResults(a.messaging);
    const ctx = instrument(newTag());

    const resolution = await a.agent.raiseIntent('test.VoidResult', ctx, { appId: APP_B, instanceId: b.instanceId });
    const requestUuid = results.lastRaise();
    const result = await settle(resolution.getResult(), 5000);

    await check(t, 'IntentResolution: intent and source instance', () => {
      assert.equal(resolution.intent, 'test.VoidResult');
      assert.equal(resolution.source.appId, APP_B);
      assert.equal(resolution.source.instanceId, b.instanceId);
    });
    await check(t, 'the handler got the context once, with the raiser as metadata.source', () => {
      assert.equal(calls.length, 1);
      assert.deepEqual(calls[0].context, ctx);
      assert.equal(calls[0].metadata?.source?.appId, APP_A);
      assert.equal(calls[0].metadata?.source?.instanceId, a.instanceId);
    });
    await check(t, 'wire: raiseIntentResultResponse {intentResult: {}} (not an error)', async () => {
      const response = await results.result(requestUuid, 1000);
      assert.equal(response.payload.error, undefined);
      assert.deepEqual(response.payload.intentResult, {});
    });
    await check(t, 'getResult() resolves undefined', () => {
      assert.ok(!result.timedOut, 'getResult() settles within 5 s');
      assert.ifError(result.error);
      assert.equal(result.value, undefined);
    });
  });

  wtest('raiseIntent at an instance: app channel result, then used by the raiser', async t => {
    const tag = newTag();
    const channelId = `test.result-app-channel.${tag}`;
    const b = await connect(APP_B_URL, 'B');
    const bGot = [];
    await b.agent.addIntentListener('test.AppChannelResult', async () => {
      const channel = await b.agent.getOrCreateChannel(channelId);
      await channel.addContextListener('fdc3.instrument', c => tagged(tag)(c) && bGot.push(c));
      return channel;
    });
    const a = await connect(APP_A_URL, 'A');
    const results = trackIntentResults(a.messaging);

    const resolution = await a.agent.raiseIntent('test.AppChannelResult', instrument(tag, '-request'), { appId: APP_B, instanceId: b.instanceId });
    const requestUuid = results.lastRaise();
    const result = await settle(resolution.getResult(), 5000);
    assert.ok(!result.timedOut, 'getResult() settles within 5 s');
    assert.ifError(result.error);
    const channel = result.value;

    await check(t, 'getResult(): a Channel of type app with the handler\'s id', () => {
      assert.equal(channel?.id, channelId);
      assert.equal(channel?.type, 'app');
      assert.equal(typeof channel?.broadcast, 'function');
    });
    await check(t, 'wire: raiseIntentResultResponse {intentResult: {channel: {id, type: app}}}', async () => {
      const response = await results.result(requestUuid, 1000);
      assert.equal(response.payload.error, undefined);
      assert.equal(response.payload.intentResult?.channel?.id, channelId);
      assert.equal(response.payload.intentResult?.channel?.type, 'app');
    });
    await check(t, "the raiser broadcasts on it; the handler's listener receives it once", async () => {
      const ctx = instrument(tag, '-1');
      await channel.broadcast(ctx);
      await eventually(() => bGot.length > 0, 3000, "B's listener on the app channel");
      await sleep(300);
      assert.deepEqual(bGot, [ctx]);
      assert.deepEqual(await channel.getCurrentContext('fdc3.instrument'), ctx);
    });
  });

  wtest('raiseIntent at an instance: private channel result (createPrivateChannel, PrivateChannel API)', async t => {
    const tag = newTag();
    const b = await connect(APP_B_URL, 'B');
    const a = await connect(APP_A_URL, 'A');
    const chat = await connect(CHAT_IDENTITY_URL, 'CHAT');
    const bSide = { pc: null, events: [], got: [], listeners: {} };
    await b.agent.addIntentListener('test.PrivateChannelResult', async () => {
      const pc = await b.agent.createPrivateChannel();
      bSide.pc = pc;
      for (const type of ['addContextListener', 'unsubscribe', 'disconnect']) {
        bSide.listeners[type] = await pc.addEventListener(type, e => bSide.events.push(e));
      }
      await pc.addContextListener('fdc3.instrument', c => tagged(tag)(c) && bSide.got.push(c));
      return pc;
    });
    const results = trackIntentResults(a.messaging);
    const evs = list => list.map(e => [e.type, e.details?.contextType ?? null]);

    const resolution = await a.agent.raiseIntent('test.PrivateChannelResult', instrument(tag, '-request'), { appId: APP_B, instanceId: b.instanceId });
    const requestUuid = results.lastRaise();
    const result = await settle(resolution.getResult(), 5000);
    assert.ok(!result.timedOut, 'getResult() settles within 5 s');
    assert.ifError(result.error);
    const pc = result.value;

    await check(t, 'getResult(): the PrivateChannel the handler created', () => {
      assert.ok(bSide.pc, 'the handler created a private channel');
      assert.equal(typeof bSide.pc.id, 'string');
      assert.ok(bSide.pc.id.length > 0);
      assert.equal(bSide.pc.type, 'private');
      assert.equal(pc?.id, bSide.pc.id);
      assert.equal(pc?.type, 'private');
      assert.equal(typeof pc?.disconnect, 'function', 'a PrivateChannel object');
      assert.equal(typeof pc?.addEventListener, 'function', 'a PrivateChannel object');
    });
    await check(t, 'wire: raiseIntentResultResponse {intentResult: {channel: {id, type: private}}}', async () => {
      const response = await results.result(requestUuid, 1000);
      assert.equal(response.payload.error, undefined);
      assert.equal(response.payload.intentResult?.channel?.id, bSide.pc.id);
      assert.equal(response.payload.intentResult?.channel?.type, 'private');
    });

    // The raiser's own event listeners: they must only ever see B's actions.
    const aEvents = [];
    for (const type of ['addContextListener', 'unsubscribe', 'disconnect']) {
      await pc.addEventListener(type, e => aEvents.push(e));
    }
    const aTyped = [];
    const aUntyped = [];
    const aContact = [];
    const lTyped = await pc.addContextListener('fdc3.instrument', c => tagged(tag)(c) && aTyped.push(c));
    await pc.addContextListener(null, c => tagged(tag)(c) && aUntyped.push(c));

    await check(t, "addEventListener('addContextListener'): the other party is told of each listener, with its type", async () => {
      await eventually(() => bSide.events.length >= 2, 3000, "B's addContextListener events");
      await sleep(200);
      assert.deepEqual(evs(bSide.events), [
        ['addContextListener', 'fdc3.instrument'],
        ['addContextListener', null],
      ]);
    });
    await check(t, 'private channel events never go back to the app that caused them', () => {
      assert.deepEqual(evs(aEvents), []);
    });
    await check(t, 'the creator adding a listener is told to the raiser', async () => {
      await bSide.pc.addContextListener('fdc3.contact', () => {});
      await eventually(() => aEvents.length >= 1, 3000, "A's addContextListener event");
      await sleep(200);
      assert.deepEqual(evs(aEvents), [['addContextListener', 'fdc3.contact']]);
    });

    const fromA = instrument(tag, '-from-A');
    const fromB = instrument(tag, '-from-B');
    await check(t, 'broadcast raiser -> handler: received once by the handler, not by the raiser', async () => {
      await pc.broadcast(fromA);
      await eventually(() => bSide.got.length > 0, 3000, "B's context listener");
      await sleep(300);
      assert.deepEqual(bSide.got, [fromA]);
      assert.deepEqual(aTyped, []);
      assert.deepEqual(aUntyped, []);
    });
    await check(t, 'broadcast handler -> raiser: each of its listeners once, one broadcastEvent', async () => {
      await bSide.pc.broadcast(fromB);
      await eventually(() => aTyped.length > 0 && aUntyped.length > 0, 3000, "A's context listeners");
      await sleep(300);
      assert.deepEqual(aTyped, [fromB]);
      assert.deepEqual(aUntyped, [fromB]);
      assert.deepEqual(bSide.got, [fromA], 'not echoed to B');
      const events = wire.messages('A', '<-', 'broadcastEvent', m => tagged(tag)(m.payload?.context));
      assert.equal(events.length, 1, JSON.stringify(events));
      assert.equal(events[0].payload.channelId, pc.id);
    });
    await check(t, 'PrivateChannel.getCurrentContext (with and without type): the latest', async () => {
      assert.deepEqual(await pc.getCurrentContext(), fromB);
      assert.deepEqual(await pc.getCurrentContext('fdc3.instrument'), fromB);
      assert.equal(await pc.getCurrentContext('fdc3.country'), null);
    });
    await check(t, 'getOrCreateChannel(privateChannel.id): AccessDenied for both parties and a third app', async () => {
      await rejectsWith(a.agent.getOrCreateChannel(pc.id), 'AccessDenied');
      await rejectsWith(b.agent.getOrCreateChannel(pc.id), 'AccessDenied');
      await rejectsWith(chat.agent.getOrCreateChannel(pc.id), 'AccessDenied');
    });
    await check(t, 'a PrivateChannel event Listener.unsubscribe stops those events', async () => {
      await bSide.listeners.addContextListener.unsubscribe();
      const before = bSide.events.length;
      await pc.addContextListener('fdc3.contact', c => tagged(tag)(c) && aContact.push(c));
      await sleep(400);
      assert.equal(bSide.events.length, before, JSON.stringify(evs(bSide.events.slice(before))));
      const onWire = wire.messages('B', '<-', 'privateChannelOnAddContextListenerEvent', m => m.payload?.contextType === 'fdc3.contact');
      assert.deepEqual(onWire, [], 'no privateChannelOnAddContextListenerEvent after unsubscribing');
    });
    await check(t, "addEventListener('unsubscribe'): the other party is told, with the type", async () => {
      const before = bSide.events.length;
      await lTyped.unsubscribe();
      await eventually(() => bSide.events.length > before, 3000, "B's unsubscribe event");
      await sleep(200);
      assert.deepEqual(evs(bSide.events.slice(before)), [['unsubscribe', 'fdc3.instrument']]);
    });
    await check(t, "disconnect(): the other party gets 'unsubscribe' for each remaining listener, then 'disconnect'", async () => {
      const before = bSide.events.length;
      await pc.disconnect();
      await eventually(() => bSide.events.some(e => e.type === 'disconnect'), 3000, "B's disconnect event");
      await sleep(300);
      const after = evs(bSide.events.slice(before));
      assert.deepEqual(after.at(-1), ['disconnect', null], JSON.stringify(after));
      assert.deepEqual(
        after.slice(0, -1).sort(),
        [['unsubscribe', 'fdc3.contact'], ['unsubscribe', null]].sort(),
        'one unsubscribe per remaining context listener of the raiser (untyped and fdc3.contact)',
      );
    });
    await check(t, "the raiser's own unsubscribe/disconnect were never sent back to it", () => {
      assert.deepEqual(evs(aEvents), [['addContextListener', 'fdc3.contact']]);
    });
    await check(t, 'after disconnect the raiser no longer receives broadcasts on the channel', async () => {
      await bSide.pc.broadcast(instrument(tag, '-after-disconnect'));
      await bSide.pc.broadcast(contact(tag, '-after-disconnect'));
      await sleep(500);
      assert.deepEqual(aUntyped, [fromB]);
      assert.deepEqual(aContact, []);
      const late = wire.messages('A', '<-', 'broadcastEvent', m => tagged(`${tag}-after-disconnect`)(m.payload?.context));
      assert.deepEqual(late, []);
    });
  });

  wtest('raiseIntentForContext at an instance', async t => {
    const handler = await crm();
    const chat = await connect(CHAT_IDENTITY_URL, 'CHAT');
    const results = trackIntentResults(chat.messaging);

    const resolution = await chat.agent.raiseIntentForContext(INTERACTION, { appId: CRM_APP_ID, instanceId: handler.instanceId });
    const requestUuid = results.lastRaise();
    const result = await settle(resolution.getResult(), 5000);

    await check(t, 'wire: raiseIntentForContextRequest with the target', () => {
      const sent = wire.lastSent('CHAT', 'raiseIntentForContextRequest');
      assert.equal(sent?.meta?.requestUuid, requestUuid);
      assert.equal(sent.payload.app?.appId, CRM_APP_ID);
      assert.equal(sent.payload.app?.instanceId, handler.instanceId);
    });
    await check(t, 'IntentResolution: the chosen intent and the source instance', () => {
      assert.equal(resolution.intent, 'CreateInteraction');
      assert.equal(resolution.source.appId, CRM_APP_ID);
      assert.equal(resolution.source.instanceId, handler.instanceId);
    });
    await check(t, "getResult(): the handler's fdc3.transactionResult", () => {
      assert.ok(!result.timedOut, 'getResult() settles within 5 s');
      assert.ifError(result.error);
      assert.deepEqual(result.value, createdResult(INTERACTION, 'crm://interactions/1'));
    });

    const b = await connect(APP_B_URL, 'B');
    const bCalls = [];
    // 2.2.0 client: a handler's result must be a Promise (IntentHandler returns Promise | void).
    await b.agent.addIntentListener('test.ForContext', async c => {
      bCalls.push(c);
      return { type: 'fdc3.instrument', id: { ticker: 'RESULT' } };
    });
    await check(t, 'at a dynamic listener: its intent is chosen and its context result returned', async () => {
      const ctx = instrument(newTag());
      const r = await chat.agent.raiseIntentForContext(ctx, { appId: APP_B, instanceId: b.instanceId });
      assert.equal(r.intent, 'test.ForContext');
      assert.equal(r.source.instanceId, b.instanceId);
      const value = await settle(r.getResult(), 5000);
      assert.ok(!value.timedOut && !value.error, JSON.stringify(value));
      assert.deepEqual(value.value, { type: 'fdc3.instrument', id: { ticker: 'RESULT' } });
      assert.deepEqual(bCalls, [ctx]);
    });
  });

  wtest('addIntentListener and Listener.unsubscribe', async t => {
    const b = await connect(APP_B_URL, 'B');
    const a = await connect(APP_A_URL, 'A');
    const calls = [];
    const handler = c => {
      calls.push(c);
    };
    const listener = await b.agent.addIntentListener('test.Unsubscribe', handler);
    const ctx1 = instrument(newTag(), '-1');
    const ctx2 = instrument(newTag(), '-2');
    const target = { appId: APP_B, instanceId: b.instanceId };

    await check(t, 'while listening: findIntent lists the instance', async () => {
      const ai = await a.agent.findIntent('test.Unsubscribe', ctx1);
      assert.deepEqual(ids(ai.apps), [`${APP_B}/${b.instanceId}`]);
    });
    await check(t, 'while listening: a targeted raise is delivered', async () => {
      const r = await a.agent.raiseIntent('test.Unsubscribe', ctx1, target);
      assert.equal(r.source.instanceId, b.instanceId);
      // The intentEvent travels on B's socket, the resolution on A's: no order between them.
      await eventually(() => calls.length > 0, 3000, 'the handler');
      assert.deepEqual(calls, [ctx1]);
      const result = await settle(r.getResult(), 3000);
      assert.ok(!result.timedOut && !result.error, JSON.stringify(result));
    });

    await listener.unsubscribe();
    await check(t, 'after unsubscribe: findIntent no longer lists the instance (NoAppsFound)', async () => {
      await rejectsWith(a.agent.findIntent('test.Unsubscribe', ctx1), 'NoAppsFound');
    });
    await check(t, 'after unsubscribe: findIntentsByContext no longer lists the intent', async () => {
      const r = await settle(a.agent.findIntentsByContext(ctx1), 5000);
      assert.ok(!r.timedOut);
      if (r.error) assert.equal(r.error.message, 'NoAppsFound');
      else assert.ok(!r.value.some(x => x.intent.name === 'test.Unsubscribe'), JSON.stringify(r.value));
    });
    await check(t, 'after unsubscribe: a targeted raise waits; adding the listener again delivers it', async () => {
      const raising = a.agent.raiseIntent('test.Unsubscribe', ctx2, target);
      const early = await settle(raising, 1500);
      assert.ok(early.timedOut, `the raise settled while nobody listened: ${JSON.stringify(early.error?.message ?? early.value)}`);
      assert.deepEqual(calls, [ctx1], 'not delivered to the removed listener');
      await b.agent.addIntentListener('test.Unsubscribe', handler);
      const late = await settle(raising, 5000);
      assert.ok(!late.timedOut, 'delivered within 5 s of listening again');
      assert.ifError(late.error);
      assert.equal(late.value.source.instanceId, b.instanceId);
      await eventually(() => calls.length > 1, 3000, 'the handler');
      await sleep(200);
      assert.deepEqual(calls, [ctx1, ctx2]);
    });
  });

  // ---------------------------------------------------------------- user channels

  wtest('getUserChannels', async t => {
    const a = await connect(APP_A_URL, 'A');
    const channels = await a.agent.getUserChannels();
    const expected = ['red', 'orange', 'yellow', 'green', 'cyan', 'blue', 'magenta', 'purple'].map((color, i) => ({
      id: `fdc3.channel.${i + 1}`,
      name: `Channel ${i + 1}`,
      color,
      glyph: `${i + 1}`,
    }));
    await check(t, 'the 8 recommended channels in order, type user', () => {
      assert.deepEqual(channels.map(c => c.id), expected.map(e => e.id));
      for (const c of channels) assert.equal(c.type, 'user', c.id);
    });
    await check(t, 'displayMetadata name, color, glyph as recommended', () => {
      for (const [i, c] of channels.entries()) {
        assert.deepEqual(
          { name: c.displayMetadata?.name, color: c.displayMetadata?.color, glyph: c.displayMetadata?.glyph },
          { name: expected[i].name, color: expected[i].color, glyph: expected[i].glyph },
          c.id,
        );
      }
    });
    await check(t, 'Channel objects are usable (getCurrentContext answers)', async () => {
      const ctx = await channels[0].getCurrentContext('test.never-broadcast');
      assert.equal(ctx, null);
    });
  });

  wtest('joinUserChannel, getCurrentChannel, leaveCurrentChannel', async t => {
    const a = await connect(APP_A_URL, 'A');
    await check(t, 'a new instance is on no channel', async () => {
      assert.equal(await a.agent.getCurrentChannel(), null);
    });
    await check(t, 'after joining fdc3.channel.1: that channel with its displayMetadata', async () => {
      await a.agent.joinUserChannel('fdc3.channel.1');
      const c = await a.agent.getCurrentChannel();
      assert.equal(c?.id, 'fdc3.channel.1');
      assert.equal(c?.type, 'user');
      assert.equal(c?.displayMetadata?.name, 'Channel 1');
    });
    await check(t, 'joining another channel switches', async () => {
      await a.agent.joinUserChannel('fdc3.channel.3');
      assert.equal((await a.agent.getCurrentChannel())?.id, 'fdc3.channel.3');
    });
    await check(t, 'joining an unknown id: NoChannelFound, and the channel is unchanged', async () => {
      await rejectsWith(a.agent.joinUserChannel('no.such.channel'), 'NoChannelFound');
      assert.equal((await a.agent.getCurrentChannel())?.id, 'fdc3.channel.3');
    });
    await check(t, 'joining an app channel id: NoChannelFound', async () => {
      const appChannel = await a.agent.getOrCreateChannel(`test.not-a-user-channel.${newTag()}`);
      await rejectsWith(a.agent.joinUserChannel(appChannel.id), 'NoChannelFound');
      assert.equal((await a.agent.getCurrentChannel())?.id, 'fdc3.channel.3');
    });
    await check(t, 'leaveCurrentChannel: back to no channel; leaving again is harmless', async () => {
      await a.agent.leaveCurrentChannel();
      assert.equal(await a.agent.getCurrentChannel(), null);
      await a.agent.leaveCurrentChannel();
      assert.equal(await a.agent.getCurrentChannel(), null);
    });
    await check(t, "membership is per instance: another app's join does not move this one", async () => {
      const b = await connect(APP_B_URL, 'B');
      await b.agent.joinUserChannel('fdc3.channel.2');
      assert.equal(await a.agent.getCurrentChannel(), null);
      assert.equal((await b.agent.getCurrentChannel())?.id, 'fdc3.channel.2');
    });
  });

  wtest("addEventListener('userChannelChanged') and its Listener.unsubscribe", async t => {
    const a = await connect(APP_A_URL, 'A');
    const b = await connect(APP_B_URL, 'B');
    const events = [];
    const listener = await a.agent.addEventListener('userChannelChanged', e => events.push(e));
    // 2.2 wire payload {newChannelId}; the 2.2.0 client passes the payload on as `details` and
    // sets `type` to the wire type 'channelChangedEvent' instead of 'userChannelChanged' (a client
    // bug; nothing the agent sends changes it), so `type` is not checked here.
    const seen = () => events.map(e => e.details?.newChannelId);

    await check(t, 'join: fires once with the new channel id', async () => {
      await a.agent.joinUserChannel('fdc3.channel.4');
      await eventually(() => events.length >= 1, 3000, 'userChannelChanged');
      await sleep(200);
      assert.deepEqual(seen(), ['fdc3.channel.4']);
    });
    await check(t, 'switching: fires with the new id', async () => {
      await a.agent.joinUserChannel('fdc3.channel.5');
      await eventually(() => events.length >= 2, 3000, 'userChannelChanged');
      assert.deepEqual(seen(), ['fdc3.channel.4', 'fdc3.channel.5']);
    });
    await check(t, 'leave: fires with null', async () => {
      await a.agent.leaveCurrentChannel();
      await eventually(() => events.length >= 3, 3000, 'userChannelChanged');
      await sleep(200);
      assert.deepEqual(seen(), ['fdc3.channel.4', 'fdc3.channel.5', null]);
    });
    await check(t, "another app's join does not fire it", async () => {
      await b.agent.joinUserChannel('fdc3.channel.4');
      await sleep(300);
      assert.equal(events.length, 3);
      assert.equal(wire.messages('A', '<-', 'channelChangedEvent').length, 3, 'A got one channelChangedEvent per own change');
    });
    await check(t, 'after unsubscribe it no longer fires (the channelChangedEvent still arrives)', async () => {
      await listener.unsubscribe();
      await a.agent.joinUserChannel('fdc3.channel.6');
      await eventually(() => wire.messages('A', '<-', 'channelChangedEvent').length >= 4, 3000, 'channelChangedEvent');
      await sleep(200);
      assert.equal(events.length, 3);
    });
    // The 2.2.0 client registers userChannelChanged handlers locally only; a 2.2.3 client also
    // sends addEventListenerRequest / eventListenerUnsubscribeRequest. Send those as it would.
    await check(t, 'wire (as a 2.2.3 client sends): addEventListenerRequest and eventListenerUnsubscribeRequest are answered', async () => {
      const added = await a.messaging.exchange(
        { type: 'addEventListenerRequest', payload: { type: 'USER_CHANNEL_CHANGED' }, meta: a.messaging.createMeta() },
        'addEventListenerResponse',
        5000,
      );
      const uuid = added.payload.listenerUUID;
      assert.equal(typeof uuid, 'string');
      assert.ok(uuid.length > 0);
      const removed = await a.messaging.exchange(
        { type: 'eventListenerUnsubscribeRequest', payload: { listenerUUID: uuid }, meta: a.messaging.createMeta() },
        'eventListenerUnsubscribeResponse',
        5000,
      );
      assert.equal(removed.payload.error, undefined);
    });
  });

  wtest('addContextListener (typed and untyped) on a joined user channel', async t => {
    const tag = newTag();
    const a = await connect(APP_A_URL, 'A');
    const b = await connect(APP_B_URL, 'B');
    await a.agent.joinUserChannel('fdc3.channel.2');
    await b.agent.joinUserChannel('fdc3.channel.2');
    const ours = tagged(tag);
    const aTyped = [];
    const aUntyped = [];
    const bUntyped = [];
    await a.agent.addContextListener('fdc3.instrument', c => ours(c) && aTyped.push(c));
    await a.agent.addContextListener(null, c => ours(c) && aUntyped.push(c));
    await b.agent.addContextListener(null, c => ours(c) && bUntyped.push(c));
    const inst = instrument(tag, '-B');
    const cont = contact(tag, '-B');
    const fromA = instrument(tag, '-A');

    await b.agent.broadcast(inst);
    await b.agent.broadcast(cont);
    await a.agent.broadcast(fromA);
    await eventually(() => aUntyped.length >= 2 && bUntyped.length >= 1, 3000, 'the broadcasts');
    await sleep(400);

    await check(t, "typed listener: the other app's fdc3.instrument once, not the contact", () => {
      assert.deepEqual(aTyped, [inst]);
    });
    await check(t, "untyped listener: each of the other app's contexts once, in order", () => {
      assert.deepEqual(aUntyped, [inst, cont]);
    });
    await check(t, 'never its own broadcast', () => {
      assert.ok(!aUntyped.some(c => c.id?.ticker === fromA.id.ticker));
      assert.deepEqual(bUntyped, [fromA], 'B got A\'s broadcast and none of its own');
    });
    await check(t, 'wire: one broadcastEvent per broadcast to A (the client fans out), with the channel and originatingApp', () => {
      const events = wire.messages('A', '<-', 'broadcastEvent', m => ours(m.payload?.context));
      assert.equal(events.length, 2, JSON.stringify(events.map(e => e.payload.context)));
      for (const e of events) {
        assert.equal(e.payload.channelId, 'fdc3.channel.2');
        assert.deepEqual(e.payload.originatingApp, { appId: APP_B, instanceId: b.instanceId });
      }
    });
    await check(t, 'a listener added before joining follows the join', async () => {
      const c = await connect(CHAT_IDENTITY_URL, 'CHAT');
      const cGot = [];
      await c.agent.addContextListener('fdc3.instrument', x => ours(x) && cGot.push(x));
      await c.agent.joinUserChannel('fdc3.channel.2');
      const later = instrument(tag, '-later');
      await b.agent.broadcast(later);
      await eventually(() => cGot.some(x => x.id.ticker === later.id.ticker), 3000, "the late joiner's listener");
      await sleep(300);
      // Joining replays the channel's current instrument (here A's, the latest) through the
      // client; after that only the new broadcast arrives, once.
      assert.deepEqual(cGot.filter(x => x.id.ticker === later.id.ticker), [later]);
    });
  });

  wtest('Listener.unsubscribe (context listener) stops delivery', async t => {
    const tag = newTag();
    const a = await connect(APP_A_URL, 'A');
    const b = await connect(APP_B_URL, 'B');
    await a.agent.joinUserChannel('fdc3.channel.3');
    await b.agent.joinUserChannel('fdc3.channel.3');
    const got = [];
    const listener = await a.agent.addContextListener(null, c => tagged(tag)(c) && got.push(c));
    const first = instrument(tag, '-1');
    const second = instrument(tag, '-2');

    await b.agent.broadcast(first);
    await eventually(() => got.length >= 1, 3000, 'the first broadcast');
    await check(t, 'before unsubscribe: delivered', () => {
      assert.deepEqual(got, [first]);
    });
    await check(t, 'unsubscribe: contextListenerUnsubscribeResponse without error', async () => {
      await listener.unsubscribe();
      const sent = wire.lastSent('A', 'contextListenerUnsubscribeRequest');
      assert.ok(sent, 'a contextListenerUnsubscribeRequest was sent');
      // The 2.2.0 client does not wait for the response of an fdc3.addContextListener listener.
      await eventually(() => wire.responseTo('A', sent.meta.requestUuid), 3000, 'contextListenerUnsubscribeResponse');
      const response = wire.responseTo('A', sent.meta.requestUuid);
      assert.equal(response?.type, 'contextListenerUnsubscribeResponse');
      assert.equal(response.payload?.error, undefined);
    });
    await check(t, 'after unsubscribe: not delivered, and no broadcastEvent is sent to the app', async () => {
      await b.agent.broadcast(second);
      await sleep(500);
      assert.deepEqual(got, [first]);
      const late = wire.messages('A', '<-', 'broadcastEvent', m => m.payload?.context?.id?.ticker === second.id.ticker);
      assert.deepEqual(late, []);
    });
  });

  wtest('broadcast (fdc3.broadcast on the joined user channel)', async t => {
    const tag = newTag();
    const a = await connect(APP_A_URL, 'A');
    const b = await connect(APP_B_URL, 'B');
    const c = await connect(CHAT_IDENTITY_URL, 'CHAT');
    await a.agent.joinUserChannel('fdc3.channel.6');
    await b.agent.joinUserChannel('fdc3.channel.6');
    await c.agent.joinUserChannel('fdc3.channel.7');
    const ours = tagged(tag);
    const aGot = [];
    const bGot = [];
    const cGot = [];
    await a.agent.addContextListener(null, x => ours(x) && aGot.push(x));
    await b.agent.addContextListener(null, x => ours(x) && bGot.push(x));
    await c.agent.addContextListener(null, x => ours(x) && cGot.push(x));
    const ctx = instrument(tag);

    await a.agent.broadcast(ctx);
    await eventually(() => bGot.length >= 1, 3000, "B's listener");
    await sleep(400);

    await check(t, 'wire: broadcastRequest on the current channel, answered without error', () => {
      const sent = wire.lastSent('A', 'broadcastRequest');
      assert.equal(sent?.payload?.channelId, 'fdc3.channel.6');
      assert.deepEqual(sent.payload.context, ctx);
      const response = wire.responseTo('A', sent.meta.requestUuid);
      assert.equal(response?.type, 'broadcastResponse');
      assert.equal(response.payload?.error, undefined);
    });
    await check(t, 'a member of the channel receives it once', () => {
      assert.deepEqual(bGot, [ctx]);
      assert.equal(wire.messages('B', '<-', 'broadcastEvent', m => ours(m.payload?.context)).length, 1);
    });
    await check(t, 'not the sender', () => {
      assert.deepEqual(aGot, []);
      assert.equal(wire.messages('A', '<-', 'broadcastEvent', m => ours(m.payload?.context)).length, 0);
    });
    await check(t, 'not an app on another channel', () => {
      assert.deepEqual(cGot, []);
      assert.equal(wire.messages('CHAT', '<-', 'broadcastEvent', m => ours(m.payload?.context)).length, 0);
    });
    await check(t, 'the channel keeps it as its current context', async () => {
      const current = await a.agent.getCurrentChannel();
      assert.deepEqual(await current.getCurrentContext('fdc3.instrument'), ctx);
    });
    await check(t, 'after leaving: fdc3.broadcast resolves and reaches nobody', async () => {
      await a.agent.leaveCurrentChannel();
      await a.agent.broadcast(instrument(tag, '-after-leave'));
      await sleep(400);
      assert.deepEqual(bGot, [ctx]);
    });
  });

  wtest('Channel.getCurrentContext on a user channel', async t => {
    const tag = newTag();
    const a = await connect(APP_A_URL, 'A');
    const b = await connect(APP_B_URL, 'B');
    await a.agent.joinUserChannel('fdc3.channel.8');
    const i1 = instrument(tag, '-1');
    const c1 = contact(tag, '-1');
    const i2 = instrument(tag, '-2');
    await a.agent.broadcast(i1);
    await a.agent.broadcast(c1);
    await a.agent.broadcast(i2);
    const ch8 = (await b.agent.getUserChannels()).find(c => c.id === 'fdc3.channel.8');

    await check(t, 'with a type: the latest of that type (last context wins)', async () => {
      assert.deepEqual(await ch8.getCurrentContext('fdc3.instrument'), i2);
      assert.deepEqual(await ch8.getCurrentContext('fdc3.contact'), c1);
    });
    await check(t, 'without a type: the latest of any type', async () => {
      assert.deepEqual(await ch8.getCurrentContext(), i2);
    });
    await check(t, 'a type never broadcast there: null', async () => {
      assert.equal(await ch8.getCurrentContext('fdc3.country'), null);
    });
    await check(t, "the member's current Channel object reads the same", async () => {
      const current = await a.agent.getCurrentChannel();
      assert.deepEqual(await current.getCurrentContext(), i2);
    });
    await check(t, 'other user channels are unaffected', async () => {
      const ch1 = (await b.agent.getUserChannels()).find(c => c.id === 'fdc3.channel.1');
      const other = await ch1.getCurrentContext('fdc3.instrument');
      assert.ok(!tagged(tag)(other), JSON.stringify(other));
    });
  });

  // ---------------------------------------------------------------- app and private channels

  wtest('getOrCreateChannel (app channel)', async t => {
    const tag = newTag();
    const id = `test.app-channel.${tag}`;
    const a = await connect(APP_A_URL, 'A');
    const b = await connect(APP_B_URL, 'B');
    const chA = await a.agent.getOrCreateChannel(id);
    const chB = await b.agent.getOrCreateChannel(id);

    await check(t, 'the channel: the id asked for, type app, the same for both apps', () => {
      assert.equal(chA.id, id);
      assert.equal(chA.type, 'app');
      assert.equal(chB.id, id);
      assert.equal(chB.type, 'app');
      const response = wire.responseTo('A', wire.lastSent('A', 'getOrCreateChannelRequest').meta.requestUuid);
      assert.equal(response.payload.channel?.id, id);
      assert.equal(response.payload.channel?.type, 'app');
    });
    await check(t, 'a new channel has no current context', async () => {
      assert.equal(await chA.getCurrentContext(), null);
      assert.equal(await chA.getCurrentContext('fdc3.instrument'), null);
    });

    const bTyped = [];
    const bUntyped = [];
    const aGot = [];
    await chB.addContextListener('fdc3.instrument', c => tagged(tag)(c) && bTyped.push(c));
    await chB.addContextListener(null, c => tagged(tag)(c) && bUntyped.push(c));
    await chA.addContextListener(null, c => tagged(tag)(c) && aGot.push(c));
    const i1 = instrument(tag, '-1');
    const c1 = contact(tag, '-1');
    const i2 = instrument(tag, '-2');
    await chA.broadcast(i1);
    await chA.broadcast(c1);
    await chA.broadcast(i2);
    await eventually(() => bUntyped.length >= 3, 3000, "B's listeners on the app channel");
    await sleep(400);

    await check(t, 'addContextListener typed: the instruments, once each, in order', () => {
      assert.deepEqual(bTyped, [i1, i2]);
    });
    await check(t, 'addContextListener untyped: everything, once each, in order', () => {
      assert.deepEqual(bUntyped, [i1, c1, i2]);
    });
    await check(t, 'the sender does not receive its own broadcasts', () => {
      assert.deepEqual(aGot, []);
    });
    await check(t, 'getCurrentContext with a type: the latest of that type (last context wins)', async () => {
      assert.deepEqual(await chB.getCurrentContext('fdc3.instrument'), i2);
      assert.deepEqual(await chB.getCurrentContext('fdc3.contact'), c1);
    });
    await check(t, 'getCurrentContext without a type: the latest of any type', async () => {
      assert.deepEqual(await chB.getCurrentContext(), i2);
      assert.equal(await chB.getCurrentContext('fdc3.country'), null);
    });
    await check(t, 'a listener added later gets no past context pushed', async () => {
      const late = [];
      await chB.addContextListener(null, c => tagged(tag)(c) && late.push(c));
      await sleep(400);
      assert.deepEqual(late, []);
    });
    await check(t, 'the same channel from a third app sees the same context', async () => {
      const chat = await connect(CHAT_IDENTITY_URL, 'CHAT');
      const chC = await chat.agent.getOrCreateChannel(id);
      assert.deepEqual(await chC.getCurrentContext(), i2);
    });
  });

  // ---------------------------------------------------------------- deprecated signatures

  wtest('deprecated signatures (still in the 2.2 API; the client maps them to the same messages)', async t => {
    const tag = newTag();
    const a = await connect(APP_A_URL, 'A');
    const b = await connect(APP_B_URL, 'B');

    await check(t, 'getSystemChannels(): the user channels', async () => {
      const system = await a.agent.getSystemChannels();
      const user = await a.agent.getUserChannels();
      assert.deepEqual(system.map(c => c.id), user.map(c => c.id));
      assert.equal(system.length, 8);
    });
    await check(t, 'joinChannel(id): joins the user channel', async () => {
      await a.agent.joinChannel('fdc3.channel.5');
      assert.equal((await a.agent.getCurrentChannel())?.id, 'fdc3.channel.5');
      await rejectsWith(a.agent.joinChannel('no.such.channel'), 'NoChannelFound');
    });
    await check(t, 'addContextListener(handler): receives the other app\'s broadcast once', async () => {
      await b.agent.joinUserChannel('fdc3.channel.5');
      const got = [];
      await a.agent.addContextListener(c => tagged(tag)(c) && got.push(c));
      const ctx = contact(tag, '-deprecated');
      await b.agent.broadcast(ctx);
      await eventually(() => got.length > 0, 3000, 'the one-argument listener');
      await sleep(300);
      assert.deepEqual(got, [ctx]);
    });
    await check(t, 'Channel.addContextListener(handler) on an app channel', async () => {
      const id = `test.deprecated-channel.${tag}`;
      const chA = await a.agent.getOrCreateChannel(id);
      const chB = await b.agent.getOrCreateChannel(id);
      const got = [];
      await chA.addContextListener(c => tagged(tag)(c) && got.push(c));
      const ctx = instrument(tag, '-deprecated');
      await chB.broadcast(ctx);
      await eventually(() => got.length > 0, 3000, 'the one-argument channel listener');
      assert.deepEqual(got, [ctx]);
    });
    await check(t, 'open(name): ErrorOnLaunch for a web app in headless mode', async () => {
      await rejectsWith(a.agent.open(APP_B), 'ErrorOnLaunch', 10_000);
    });
    await check(t, 'raiseIntent(intent, context, name): {appId} alone goes to the running listener (headless)', async () => {
      const calls = [];
      await b.agent.addIntentListener('test.ByName', async c => {
        calls.push(c);
      });
      const ctx = instrument(tag, '-by-name');
      const r = await a.agent.raiseIntent('test.ByName', ctx, APP_B);
      const sent = wire.lastSent('A', 'raiseIntentRequest');
      assert.deepEqual(sent.payload.app, { appId: APP_B });
      assert.equal(r.source.appId, APP_B);
      assert.equal(r.source.instanceId, b.instanceId);
      await eventually(() => calls.length > 0, 3000, 'the handler');
      assert.deepEqual(calls, [ctx]);
    });
    await check(t, 'raiseIntentForContext(context, name): {appId} alone goes to the running listener', async () => {
      // The chat app declares no listensFor, so its run-time listener is a dynamic one; it
      // listens for this one intent only, so there is nothing to choose.
      const chat = await connect(CHAT_IDENTITY_URL, 'CHAT');
      const calls = [];
      await chat.agent.addIntentListener('test.ForContextByName', async c => {
        calls.push(c);
      });
      const ctx = instrument(tag, '-for-context-by-name');
      const r = await a.agent.raiseIntentForContext(ctx, CHAT_APP_ID);
      assert.deepEqual(wire.lastSent('A', 'raiseIntentForContextRequest').payload.app, { appId: CHAT_APP_ID });
      assert.equal(r.intent, 'test.ForContextByName');
      assert.equal(r.source.appId, CHAT_APP_ID);
      assert.equal(r.source.instanceId, chat.instanceId);
      await eventually(() => calls.length > 0, 3000, 'the handler');
      assert.deepEqual(calls, [ctx]);
    });
    await check(t, 'PrivateChannel.onAddContextListener / onUnsubscribe / onDisconnect', async () => {
      let pcB;
      const seen = [];
      await b.agent.addIntentListener('test.DeprecatedPrivate', async () => {
        pcB = await b.agent.createPrivateChannel();
        pcB.onAddContextListener(type => seen.push(['add', type ?? null]));
        pcB.onUnsubscribe(type => seen.push(['unsubscribe', type ?? null]));
        pcB.onDisconnect(() => seen.push(['disconnect']));
        await sleep(200); // the deprecated forms register without returning a promise
        return pcB;
      });
      const r = await a.agent.raiseIntent('test.DeprecatedPrivate', instrument(tag, '-pc'), { appId: APP_B, instanceId: b.instanceId });
      const pcA = await r.getResult();
      assert.equal(pcA?.id, pcB?.id);
      const l = await pcA.addContextListener('fdc3.instrument', () => {});
      await eventually(() => seen.length >= 1, 3000, 'onAddContextListener');
      await l.unsubscribe();
      await eventually(() => seen.length >= 2, 3000, 'onUnsubscribe');
      await pcA.disconnect();
      await eventually(() => seen.length >= 3, 3000, 'onDisconnect');
      await sleep(200);
      assert.deepEqual(seen, [['add', 'fdc3.instrument'], ['unsubscribe', 'fdc3.instrument'], ['disconnect']]);
    });
  });

  wtest('createPrivateChannel', async t => {
    const tag = newTag();
    const a = await connect(APP_A_URL, 'A');
    const b = await connect(APP_B_URL, 'B');
    const pc1 = await a.agent.createPrivateChannel();
    const pc2 = await a.agent.createPrivateChannel();

    await check(t, 'a PrivateChannel with an id, type private; each call a new one', () => {
      assert.equal(pc1.type, 'private');
      assert.equal(typeof pc1.id, 'string');
      assert.ok(pc1.id.length > 0);
      assert.notEqual(pc1.id, pc2.id);
      const response = wire.responseTo('A', wire.lastSent('A', 'createPrivateChannelRequest').meta.requestUuid);
      assert.equal(response.payload.privateChannel?.type, 'private');
      assert.equal(response.payload.privateChannel?.id, pc2.id);
    });
    await check(t, 'getOrCreateChannel(privateChannel.id): AccessDenied, for the creator and for others', async () => {
      await rejectsWith(a.agent.getOrCreateChannel(pc1.id), 'AccessDenied');
      await rejectsWith(b.agent.getOrCreateChannel(pc1.id), 'AccessDenied');
    });
    await check(t, 'the creator can broadcast on it and read it back', async () => {
      const ctx = instrument(tag);
      await pc1.broadcast(ctx);
      assert.deepEqual(await pc1.getCurrentContext(), ctx);
      assert.deepEqual(await pc1.getCurrentContext('fdc3.instrument'), ctx);
      assert.equal(await pc2.getCurrentContext(), null, 'private channels do not share context');
    });
    await check(t, 'the creator can add listeners and event listeners, and disconnect', async () => {
      const l = await pc1.addContextListener('fdc3.instrument', () => {});
      const e = await pc1.addEventListener('disconnect', () => {});
      await l.unsubscribe();
      await e.unsubscribe();
      await pc1.disconnect();
    });
  });
});
