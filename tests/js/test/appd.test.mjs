// The sample app directory (tests/fixtures/sample-appd.json) against the FDC3 2.2 AppD schema
// (`Application` in the OpenAPI 3 document fdc3/schemas/appd.schema.json).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { SAMPLE_APPD } from '../lib/agent-process.mjs';

// The repository's copy of the FDC3 2.2 schemas (the agent builds against it).
const APPD_SCHEMA =
  process.env.FDC3_APPD_SCHEMA ??
  fileURLToPath(new URL('../../../crates/interlog-core/schemas/appd.schema.json', import.meta.url));
const readJson = file => JSON.parse(fs.readFileSync(file, 'utf8'));

/**
 * Compiles components.schemas.<name> of the OpenAPI document.
 * `patchLaunchDetails`: the 2.2 schema's LaunchDetails is a `oneOf` in which WebAppDetails and
 * OnlineNativeAppDetails are both `{url}` with additionalProperties:false, so every web app's
 * `details` matches two branches and fails `oneOf`. With the patch it becomes `anyOf`, and the
 * test checks `details` against the schema its `type` implies separately.
 */
function compile(name, { patchLaunchDetails }) {
  const doc = structuredClone(readJson(APPD_SCHEMA));
  const schemas = doc.components.schemas;
  if (patchLaunchDetails) {
    schemas.LaunchDetails.anyOf = schemas.LaunchDetails.oneOf;
    delete schemas.LaunchDetails.oneOf;
  }
  // Strict about unknown keywords, except the two OpenAPI-isms the document uses;
  // the schema-authoring lints (strictTypes/strictRequired) are about the upstream schema, not us.
  const ajv = new Ajv({ allErrors: true, strict: true, strictTypes: false, strictRequired: false });
  addFormats(ajv);
  ajv.addVocabulary(['components', 'x-additionalPropertiesName']);
  ajv.addSchema({ $id: 'appd', components: doc.components });
  return ajv.getSchema(`appd#/components/schemas/${name}`);
}

const DETAILS_SCHEMA_FOR_TYPE = {
  web: 'WebAppDetails',
  native: 'NativeAppDetails',
  citrix: 'CitrixAppDetails',
  onlineNative: 'OnlineNativeAppDetails',
  other: 'OtherAppDetails',
};

const appd = readJson(SAMPLE_APPD);
const application = compile('Application', { patchLaunchDetails: true });

test('sample-appd.json has the four expected apps', () => {
  assert.ok(Array.isArray(appd.applications));
  assert.deepEqual(
    appd.applications.map(a => a.appId),
    ['interlog.sample-crm', 'interlog.sample-chat', 'test.app-a', 'test.app-b'],
  );
  const crm = appd.applications[0];
  assert.equal(crm.details.url, 'https://apps.interlog.example/crm/');
  assert.deepEqual(crm.interop.intents.listensFor.CreateInteraction, {
    contexts: ['fdc3.interaction', 'fdc3.contactList'],
    resultType: 'fdc3.transactionResult',
  });
  const chat = appd.applications[1];
  assert.ok(chat.interop.intents.raises.CreateInteraction);
  for (const a of appd.applications.slice(2)) assert.equal(a.interop, undefined, `${a.appId} has no intents`);
});

for (const app of appd.applications) {
  test(`${app.appId} is a valid AppD v2 Application`, () => {
    assert.ok(application(app), JSON.stringify(application.errors, null, 2));
    const details = compile(DETAILS_SCHEMA_FOR_TYPE[app.type], { patchLaunchDetails: false });
    assert.ok(details(app.details), `details for type ${app.type}: ${JSON.stringify(details.errors)}`);
  });
}

test('the validator rejects broken records (so the checks above can fail)', () => {
  const good = appd.applications[0];
  const { details: _omit, ...noDetails } = good;
  assert.equal(application(noDetails), false, 'missing details');
  assert.equal(application({ ...good, type: 'spaceship' }), false, 'unknown type');
  assert.equal(
    application({ ...good, interop: { intents: { listensFor: { CreateInteraction: { resultType: 'x' } } } } }),
    false,
    'intent without contexts',
  );
});

test('unpatched schema: web details fail only because of the LaunchDetails oneOf ambiguity', () => {
  const strict = compile('Application', { patchLaunchDetails: false });
  assert.equal(strict(appd.applications[0]), false);
  const oneOf = strict.errors.find(e => e.keyword === 'oneOf' && e.instancePath === '/details');
  assert.ok(oneOf, JSON.stringify(strict.errors));
  assert.equal(oneOf.params.passingSchemas.length, 2, 'matches both WebAppDetails and OnlineNativeAppDetails');
});
