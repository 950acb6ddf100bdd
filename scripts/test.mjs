#!/usr/bin/env node
// `npm test`: every test of rnnlab. Type check, unit + GPU kernel tests (Node + Dawn on the machine's Vulkan,
// SwiftShader without a GPU), then the end-to-end tests in the system Chromium on WebGPU.
// It never downloads a browser: it uses CHROMIUM_PATH or /usr/bin/chromium, installs Debian's chromium when it
// runs as root on Debian/Ubuntu, and otherwise stops at once with the one line to run.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { findChromium } from './chromium.mjs';
import { gpuEnv } from './gpu-env.mjs';

function ensureChromium() {
  let path = findChromium();
  if (path) return path;
  const root = process.getuid?.() === 0;
  if (root && existsSync('/usr/bin/apt-get')) {
    console.log('rnnlab: no Chromium found; installing Debian\'s chromium (apt-get install -y chromium)...');
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    const r = spawnSync('apt-get', ['install', '-y', '-qq', 'chromium'], { stdio: 'inherit', env });
    path = findChromium();
    if (r.status === 0 && path) return path;
  }
  console.error('rnnlab: the tests need a system Chromium with WebGPU. Install it with:\n  sudo apt-get install -y chromium\n(or set CHROMIUM_PATH to a Chromium/Chrome binary)');
  process.exit(1);
}

function run(label, cmd, args) {
  console.log(`\n=== ${label}: ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', env: { ...gpuEnv(), CHROMIUM_PATH: chromium } });
  return r.status === 0;
}

const chromium = ensureChromium();
mkdirSync('.test-out', { recursive: true });
const only = process.argv[2]; // optional: 'unit' or 'e2e'
const results = [];
if (!only) results.push(['typecheck', run('typecheck', 'tsc', ['-p', 'tsconfig.json', '--noEmit'])]);
if (!only || only === 'unit') {
  results.push(['unit', run('unit + GPU kernel tests (vitest)', 'vitest', ['run', '--reporter=default', '--reporter=json', '--outputFile.json=.test-out/vitest.json'])]);
}
if (!only || only === 'e2e') {
  results.push(['e2e', run('end-to-end (playwright, system Chromium)', 'playwright', ['test'])]);
}

let passed = 0, failed = 0, skipped = 0;
try {
  const v = JSON.parse(readFileSync('.test-out/vitest.json', 'utf8'));
  passed += v.numPassedTests; failed += v.numFailedTests; skipped += v.numPendingTests + (v.numTodoTests ?? 0);
} catch { /* vitest did not run or wrote nothing */ }
try {
  const p = JSON.parse(readFileSync('.test-out/playwright.json', 'utf8'));
  passed += p.stats.expected; failed += p.stats.unexpected + p.stats.flaky; skipped += p.stats.skipped;
} catch { /* playwright did not run */ }
const badSteps = results.filter(([, ok]) => !ok).map(([name]) => name);
if (badSteps.length && failed === 0) failed = badSteps.length;
console.log(`\n${badSteps.length ? `failed steps: ${badSteps.join(', ')}` : 'all steps passed'}`);
console.log(`rnnlab: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(badSteps.length ? 1 : 0);
