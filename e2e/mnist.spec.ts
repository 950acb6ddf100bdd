// The MNIST tab end to end, in Chromium on WebGPU (SwiftShader without a GPU: slow, so a small model).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { drawSeven, probabilities } from './drawing.ts';
import { expect, test, type Page } from '@playwright/test';
import { expectCurveFalls } from './curves.ts';
import { mnistDataDir } from '../scripts/vite-mnist-plugin.ts';

/** The Vite dev server reloads the page when a source file changes (worker modules cannot be hot-swapped), which
 *  would throw away a training run half way through a test. Its HMR socket is answered by a silent mock instead. */
async function muteDevServerReloads(page: Page): Promise<void> {
  await page.routeWebSocket(/.*/, () => {});
}

async function openMnist(page: Page): Promise<void> {
  await muteDevServerReloads(page);
  await page.goto('/');
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  await expect(page.getByRole('tab', { name: 'MNIST' })).toHaveAttribute('aria-selected', 'true');
}

async function loadBuiltin(page: Page): Promise<void> {
  await page.getByTestId('mnist-load-builtin').click();
  await expect(page.getByTestId('mnist-data-status')).toContainText('60,000 training / 10,000 test images', { timeout: 120_000 });
}



async function expectClassified(page: Page): Promise<void> {
  await expect(page.getByTestId('predicted-digit')).toHaveText(/^[0-9]$/);
  await expect.poll(async () => {
    const p = await probabilities(page);
    return p.every((v) => Number.isFinite(v) && v >= 0 && v <= 1) && Math.abs(p.reduce((a, b) => a + b, 0) - 1) < 1e-3;
  }).toBe(true);
  const p = await probabilities(page);
  expect(Number(await page.getByTestId('predicted-digit').textContent())).toBe(p.indexOf(Math.max(...p)));
}

const stepOf = async (page: Page) => Number((await page.getByTestId('train-step').textContent())!.replace(/,/g, ''));

test('load MNIST, train a small LSTM with pause/resume/stop, then classify a drawing', async ({ page }) => {
  await openMnist(page);
  await loadBuiltin(page);

  // Page-side validation: nonsense is explained next to the field and Start stays disabled.
  const start = page.getByTestId('mnist-start');
  await page.getByTestId('mnist-hidden').fill('abc');
  await expect(page.getByTestId('mnist-hidden-error')).toContainText('must be a number');
  await expect(start).toBeDisabled();
  await page.getByTestId('mnist-hidden').fill('4096');
  await expect(page.getByTestId('mnist-hidden-error')).toContainText('at most 2,048');
  await page.getByTestId('mnist-batch').fill('12.5');
  await expect(page.getByTestId('mnist-batch-error')).toContainText('whole number');
  await page.getByTestId('mnist-lr').fill('0');
  await expect(page.getByTestId('mnist-lr-error')).toContainText('above 0');

  // A small config: SwiftShader runs the default LSTM (128 hidden, batch 128) at ~5 s a step.
  await page.getByTestId('mnist-hidden').fill('32');
  await page.getByTestId('mnist-batch').fill('32');
  await page.getByTestId('mnist-lr').fill('0.01');
  await page.getByTestId('mnist-epochs').fill('20');
  await expect(start).toBeEnabled();
  await start.click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await expect(page.getByTestId('dispatches-per-step')).toHaveText(/^[1-9][0-9]*$/);
  await expect(page.getByTestId('gpu-memory')).toHaveText(/^\d+(\.\d)? MiB$/); // the data, the model, its programs

  // Loss points arrive and the loss goes down.
  const lossChart = page.getByTestId('loss-chart');
  const latest = page.getByTestId('latest-loss');
  await expectCurveFalls(lossChart, latest, 5, 180_000, 1000);
  await expect(page.getByTestId('epoch-progress')).toBeVisible();
  await expect(page.getByTestId('steps-per-second')).toHaveText(/\d/);
  if (process.env.MNIST_SCREENSHOT) await page.screenshot({ path: process.env.MNIST_SCREENSHOT, fullPage: true });

  // Pause: the state says so and the step count stops.
  await page.getByTestId('mnist-pause').click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'paused');
  await page.waitForTimeout(1500); // readbacks of steps already queued may still land
  const pausedAt = await stepOf(page);
  await page.waitForTimeout(2500);
  expect(await stepOf(page)).toBe(pausedAt);

  // Resume: steps advance again.
  await page.getByTestId('mnist-resume').click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'running');
  await expect.poll(() => stepOf(page), { timeout: 60_000 }).toBeGreaterThan(pausedAt);

  await page.getByTestId('mnist-stop').click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
  await expect(start).toBeEnabled();

  // Draw a digit: ten probabilities summing to 1 and a predicted digit, from the model just trained.
  await drawSeven(page);
  await expectClassified(page);
  await expect(page.getByTestId('untrained-note')).toHaveCount(0);
  await expect(page.getByTestId('heatmap-hidden')).toBeVisible();
  await expect(page.getByTestId('heatmap-forget-gate')).toBeVisible();
});

test('a corrupt MNIST file and a model too big for the GPU are reported, and the app stays usable', async ({ page }) => {
  await openMnist(page);

  // Before training, the guesses come from an untrained network and the page says so.
  await drawSeven(page);
  await expectClassified(page);
  await expect(page.getByTestId('untrained-note')).toContainText('The model is untrained');

  await loadBuiltin(page);
  const dir = mnistDataDir();
  const file = (name: string, bytes?: Buffer) => ({ name, mimeType: 'application/octet-stream', buffer: bytes ?? readFileSync(join(dir, name)) });
  const truncated = readFileSync(join(dir, 'train-images-idx3-ubyte')).subarray(0, 100_000);
  await page.getByTestId('mnist-file-input').setInputFiles([
    file('train-images-idx3-ubyte', truncated),
    file('train-labels-idx1-ubyte'),
    file('t10k-images-idx3-ubyte'),
    file('t10k-labels-idx1-ubyte'),
  ]);
  const error = page.getByTestId('mnist-data-error');
  await expect(error).toBeVisible();
  await expect(error).toHaveAttribute('role', 'alert');
  await expect(error).toContainText('train-images-idx3-ubyte');
  await expect(page.getByTestId('mnist-data-status')).toContainText('60,000 training / 10,000 test images');

  // A model too big for this GPU (hidden 2,048 x batch 4,096: the input projection alone is 3.6 GiB) is refused
  // with what to change, before anything runs; the data and the drawing model stay as they were.
  await page.getByTestId('mnist-hidden').fill('2048');
  await page.getByTestId('mnist-batch').fill('4096');
  await page.getByTestId('mnist-start').click();
  const trainError = page.getByTestId('mnist-train-error');
  await expect(trainError).toContainText('too big for this GPU', { timeout: 120_000 });
  await expect(trainError).toContainText(/allows at most [\d,]+ MiB in one buffer/);
  await expect(trainError).toContainText('smaller hidden size or batch size');
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'failed');
  await expect(page.getByTestId('mnist-start')).toBeEnabled();

  // The app keeps working: test images from the loaded data, and drawing still classifies.
  await page.getByTestId('test-image-index').fill('0');
  await page.getByTestId('test-image-show').click();
  await expect(page.getByTestId('true-label')).toHaveText('7'); // the first MNIST test image is a 7
  await expectClassified(page);
  await page.getByTestId('draw-clear').click();
  await expect(page.getByTestId('predicted-digit')).toHaveText('–');
  await drawSeven(page);
  await expectClassified(page);
  // The drawing area clears from the keyboard too.
  await page.getByTestId('draw-canvas').focus();
  await page.keyboard.press('Delete');
  await expect(page.getByTestId('predicted-digit')).toHaveText('–');
});
