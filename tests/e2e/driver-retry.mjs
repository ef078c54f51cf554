#!/usr/bin/env node
// Runs an end-to-end command once more when WebKitWebDriver stopped answering in it.
//
//   node driver-retry.mjs <command> [args...]
//
// WebKitWebDriver sometimes stops answering a request altogether (a click, the window list) on a
// loaded machine: the test then fails on a WebDriver timeout that says nothing about Interlog.
// When a run fails that way, and no assertion of a test failed, the whole command is run again,
// once, loudly; the second run must pass on its own. Any assertion that fails fails the run.

import { spawn } from 'node:child_process';

const HANG = /UND_ERR_HEADERS_TIMEOUT|aborted due to timeout when running|ECONNREFUSED when running/;
const ASSERTION = /AssertionError|ERR_ASSERTION/;

function run(argv, env) {
  return new Promise(resolve => {
    const child = spawn(argv[0], argv.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let text = '';
    child.stdout.on('data', d => { text += d; process.stdout.write(d); });
    child.stderr.on('data', d => { text += d; process.stderr.write(d); });
    child.on('close', code => resolve({ code: code ?? 1, text }));
  });
}

const argv = process.argv.slice(2);
if (argv.length === 0) {
  console.error('usage: node driver-retry.mjs <command> [args...]');
  process.exit(2);
}
const first = await run(argv, process.env);
if (first.code === 0 || !HANG.test(first.text) || ASSERTION.test(first.text)) process.exit(first.code);
const bar = '!'.repeat(78);
console.error(`${bar}\n!! WebKitWebDriver stopped answering (no assertion failed): running ${argv.join(' ')} again, once.\n${bar}`);
const second = await run(argv, { ...process.env, CONFORMANCE_RETRIED: '1' });
process.exit(second.code);
