// The Penn TreeBank tab end to end, in Chromium on WebGPU (SwiftShader without a GPU), on the real PTB files from
// ../shared/data/ptb (not shipped with the app: the user loads them). Training uses the tutorial's tiny test
// config with short epochs ("steps per epoch (limit)") so that a run ends in seconds.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';
import { expectCurveFalls } from './curves.ts';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ptbDir = resolve(repoRoot, '..', 'shared', 'data', 'ptb');
const ptbFiles = ['ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt'].map((f) => resolve(ptbDir, f));

// The dataset sits beside the repository (../shared/data/ptb) in development and CI; without it these tests
// fail with this message rather than skip.
test.beforeAll(() => {
  const missing = ptbFiles.filter((f) => !existsSync(f));
  if (missing.length) throw new Error(`the PTB files are missing: ${missing.join(', ')}`);
});

/** The Vite dev server reloads the page when a source file changes (worker modules cannot be hot-swapped), which
 *  would throw away a training run half way through a test. Its HMR socket is answered by a silent mock instead. */
async function muteDevServerReloads(page: Page): Promise<void> {
  await page.routeWebSocket(/.*/, () => {});
}

async function openPtb(page: Page): Promise<void> {
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  await muteDevServerReloads(page);
  await page.goto('/');
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  await page.getByRole('tab', { name: 'Penn TreeBank' }).click();
  await expect(page.getByRole('tab', { name: 'Penn TreeBank' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('ptb-panel')).toBeVisible();
}

async function loadPtb(page: Page): Promise<void> {
  await page.getByTestId('ptb-file-input').setInputFiles(ptbFiles);
  await expect(page.getByTestId('ptb-vocab-size')).toHaveText('10,000', { timeout: 60_000 });
  await expect(page.getByTestId('ptb-tokens-train')).toHaveText('929,589');
  await expect(page.getByTestId('ptb-tokens-valid')).toHaveText('73,760');
  await expect(page.getByTestId('ptb-tokens-test')).toHaveText('82,430');
  await expect(page.getByTestId('ptb-oov')).toHaveText('0 / 0');
}

/** The tutorial's TestConfig (hidden 2), with the advanced limits. */
async function chooseTestConfig(page: Page, o: { steps: string; valid: string; test: string; every: string; epochs: string }): Promise<void> {
  await page.getByTestId('ptb-preset').selectOption('test');
  await expect(page.getByTestId('ptb-hidden-size')).toHaveValue('2');
  await expect(page.getByTestId('ptb-num-layers')).toHaveValue('1');
  await page.getByTestId('ptb-max-max-epoch').fill(o.epochs);
  const advanced = page.locator('.ptb-advanced');
  if (!(await advanced.evaluate((d) => (d as HTMLDetailsElement).open))) await advanced.locator('summary').click();
  await page.getByTestId('ptb-step-limit').fill(o.steps);
  await page.getByTestId('ptb-valid-limit').fill(o.valid);
  await page.getByTestId('ptb-test-limit').fill(o.test);
  await page.getByTestId('ptb-report-every').fill(o.every);
}

/** Drops files onto the drop zone (a synthetic drop event carrying a DataTransfer with the files). */
async function dropFiles(page: Page, files: { name: string; text: string }[]): Promise<void> {
  const dataTransfer = await page.evaluateHandle((fs) => {
    const dt = new DataTransfer();
    for (const f of fs) dt.items.add(new File([f.text], f.name, { type: 'text/plain' }));
    return dt;
  }, files);
  await page.getByTestId('ptb-drop-zone').dispatchEvent('drop', { dataTransfer });
}

const stepOf = async (page: Page) => Number((await page.getByTestId('ptb-step').textContent())!.replace(/,/g, ''));

test('load the three PTB files; wrong or corrupt files are named and the loaded data stays; a model too big for the GPU is refused', async ({ page }) => {
  await openPtb(page);
  await expect(page.getByTestId('ptb-start')).toBeDisabled();
  // Files may come one at a time (here by drag and drop): the panel says which are still needed.
  await dropFiles(page, [{ name: 'my.train.txt', text: ' a b \n' }]);
  await expect(page.getByTestId('ptb-data-status')).toContainText('Still needed: a valid file, a test file');
  await expect(page.getByTestId('ptb-staged')).toContainText('my.train.txt');
  await loadPtb(page);
  await expect(page.getByTestId('ptb-data-status')).toContainText('ptb.train.txt');

  // Random bytes under a PTB name: refused, naming the file; the data loaded before stays in use.
  await page.getByTestId('ptb-file-input').setInputFiles([{ name: 'ptb.valid.txt', mimeType: 'text/plain', buffer: randomBytes(4096) }]);
  const error = page.getByTestId('ptb-error');
  await expect(error).toBeVisible();
  await expect(error).toHaveAttribute('role', 'alert');
  await expect(error).toContainText('ptb.valid.txt');
  await expect(error).toContainText(/binary|ASCII/);
  await expect(error).toContainText('still in use');
  await expect(page.getByTestId('ptb-vocab-size')).toHaveText('10,000');
  await expect(page.getByTestId('ptb-tokens-train')).toHaveText('929,589');

  // A file over the size limit (32 MiB for a PTB text) is refused by the page before it is read; the data stays.
  await page.getByTestId('ptb-file-input').setInputFiles([{ name: 'ptb.train.txt', mimeType: 'text/plain', buffer: Buffer.alloc(33 * 2 ** 20, 0x61) }]);
  await expect(error).toContainText('ptb.train.txt: the file is 33.0 MiB, more than the 32.0 MiB rnnlab accepts');
  await expect(page.getByTestId('ptb-tokens-train')).toHaveText('929,589');

  // A file whose name says nothing about its role.
  await page.getByTestId('ptb-file-input').setInputFiles([{ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from(' a b \n') }]);
  await expect(error).toContainText('notes.txt');
  await expect(error).toContainText('train, valid or test');

  // A dropped test file replaces the loaded one; its words outside the train vocabulary are counted as <unk>.
  await dropFiles(page, [{ name: 'ptb.test.txt', text: ' the zzyzx company said \n' }]);
  await expect(page.getByTestId('ptb-tokens-test')).toHaveText('5');
  await expect(page.getByTestId('ptb-oov')).toHaveText('0 / 1');
  await expect(page.getByTestId('ptb-error')).toHaveCount(0);
  await expect(page.getByTestId('ptb-vocab-size')).toHaveText('10,000');

  // Config validation uses the engine's messages, next to the field.
  await page.getByTestId('ptb-keep-prob').fill('0');
  await expect(page.getByTestId('ptb-keep-prob-error')).toContainText('keep_prob must be above 0');
  await page.getByTestId('ptb-hidden-size').fill('2.5');
  await expect(page.getByTestId('ptb-hidden-size-error')).toContainText('whole number');
  await expect(page.getByTestId('ptb-start')).toBeDisabled();
  await page.getByTestId('ptb-preset').selectOption('large');
  await expect(page.getByTestId('ptb-lr-decay')).toHaveValue('1/1.15');
  await expect(page.getByTestId('ptb-hidden-size')).toHaveValue('1500');
  await expect(page.getByTestId('ptb-start')).toBeEnabled();
  await expect(page.getByTestId('ptb-config-note')).toContainText('82.62');

  // A model too big for this GPU (8 layers of 4,096: over 4 GiB of weights) is refused with what to change.
  await page.getByTestId('ptb-hidden-size').fill('4096');
  await page.getByTestId('ptb-num-layers').fill('8');
  await page.getByTestId('ptb-start').click();
  const tooBig = page.getByTestId('ptb-error');
  await expect(tooBig).toContainText('too big for this GPU', { timeout: 60_000 });
  await expect(tooBig).toContainText('smaller hidden size or batch size');
  await expect(page.getByTestId('ptb-train-state')).toHaveAttribute('data-state', 'failed');
  await expect(page.getByTestId('ptb-start')).toBeEnabled();
  await expect(page.getByTestId('ptb-vocab-size')).toHaveText('10,000'); // the data stays
});

test('train the test config: perplexity falls, pause / resume / stop, then a short run with validation, test perplexity and samples', async ({ page }) => {
  test.setTimeout(180_000);
  const t0 = Date.now();
  const log = (...a: unknown[]) => console.log(((Date.now() - t0) / 1000).toFixed(1), ...a);
  await openPtb(page);
  await loadPtb(page);
  log('loaded');

  // 1. A long-enough epoch to pause in.
  await chooseTestConfig(page, { steps: '100000', valid: '20', test: '50', every: '5', epochs: '1' });
  await page.getByTestId('ptb-start').click();
  const state = page.getByTestId('ptb-train-state');
  await expect(state).toHaveAttribute('data-state', 'running', { timeout: 60_000 });
  log('running');
  const chart = page.getByTestId('ptb-train-chart');
  const latest = page.getByTestId('ptb-latest-perplexity');
  const fell = await expectCurveFalls(chart, latest, 5, 60_000, 500);
  log('falling', fell.first, '->', fell.last);
  await expect(page.getByTestId('ptb-wps')).toHaveText(/\d/);
  await expect(page.getByTestId('ptb-projected')).toHaveText(/\d/);

  await page.getByTestId('ptb-pause').click();
  await expect(state).toHaveAttribute('data-state', 'paused');
  await page.waitForTimeout(1500); // progress of steps already queued may still land
  const pausedAt = await stepOf(page);
  await page.waitForTimeout(2000);
  expect(await stepOf(page)).toBe(pausedAt);
  await page.getByTestId('ptb-resume').click();
  await expect(state).toHaveAttribute('data-state', 'running');
  await expect.poll(() => stepOf(page), { timeout: 30_000 }).toBeGreaterThan(pausedAt);
  log('resumed');
  await page.getByTestId('ptb-stop').click();
  await expect(state).toHaveAttribute('data-state', 'stopped', { timeout: 30_000 });
  log('stopped');

  // 2. Two epochs of 30 steps, validation on 20 windows each, then the test perplexity on the first 50 words.
  await chooseTestConfig(page, { steps: '30', valid: '20', test: '50', every: '3', epochs: '2' });
  await page.getByTestId('ptb-start').click();
  await expect(state).toHaveAttribute('data-state', 'done', { timeout: 90_000 });
  log('done');
  await expect(page.getByTestId('ptb-epoch-chart')).toHaveAttribute('data-points', '2');
  await expect(page.getByTestId('ptb-lr-chart')).toHaveAttribute('data-points', '2');
  const validPpl = Number(await page.getByTestId('ptb-latest-valid').getAttribute('data-value'));
  expect(validPpl).toBeGreaterThan(1);
  expect(validPpl).toBeLessThan(10_000);
  const testPpl = page.getByTestId('ptb-test-perplexity');
  await expect(testPpl).toHaveAttribute('data-partial', 'true');
  expect(Number(await testPpl.getAttribute('data-value'))).toBeGreaterThan(1);
  await expect(page.getByTestId('ptb-test-partial')).toContainText('first 50 of 82,429');

  // 3. Sampling: unknown prompt words are read as <unk>, with a note.
  await page.getByTestId('ptb-prompt').fill('the zzyzx company');
  await page.getByTestId('ptb-sample-count').fill('20');
  await page.getByTestId('ptb-sample-button').click();
  const out = page.getByTestId('ptb-sample-output');
  await expect(out).toHaveAttribute('data-words', '20', { timeout: 30_000 });
  await expect(page.getByTestId('ptb-unk-note')).toContainText('zzyzx');
  await expect(out.locator('.fable-prompt-word')).toHaveText(['the', '<unk>', 'company']);
  log('sampled');

  // The test perplexity again, on request (the same limit).
  await page.getByTestId('ptb-compute-test').click();
  await expect(page.getByTestId('ptb-test')).toContainText('over 50 words', { timeout: 30_000 });
  await expect(testPpl).toHaveAttribute('data-partial', 'true');
  if (process.env.PTB_SCREENSHOT) await page.screenshot({ path: process.env.PTB_SCREENSHOT, fullPage: true });
});
