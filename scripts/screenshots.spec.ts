// Screenshots of every tab at a phone (390 px) and a desktop (1,400 px) width, in the light and the dark theme,
// each tab with something on it (a short training run, a classified test image, a generated text, two runs
// compared), into
// docs/screenshots/. Not part of `npm test`; run it with
//   E2E_PORT=5202 node scripts/gpu-env.mjs npx playwright test --config scripts/screenshots.config.ts
// (needs ../shared/data/ptb for the Penn TreeBank tab). It takes a few minutes on a software adapter.
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const outDir = resolve(repoRoot, 'docs', 'screenshots');
const ptbFiles = ['ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt'].map((f) => resolve(repoRoot, '..', 'shared', 'data', 'ptb', f));

async function shoot(page: Page, name: string): Promise<void> {
  for (const width of [390, 1400]) {
    for (const colorScheme of ['light', 'dark'] as const) {
      await page.setViewportSize({ width, height: 900 });
      await page.emulateMedia({ colorScheme });
      await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
      await page.waitForTimeout(800); // charts re-measure their width
      await page.screenshot({ path: resolve(outDir, `${name}-${width}-${colorScheme}.png`), fullPage: true });
    }
  }
  await page.setViewportSize({ width: 1400, height: 900 });
}

test('screenshots of every tab', async ({ page }) => {
  await page.routeWebSocket(/.*/, () => {}); // no reload by the dev server half way
  await page.setViewportSize({ width: 1400, height: 900 });
  await page.goto('/');
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  const tab = (name: string) => page.getByRole('tab', { name }).click();

  // MNIST: a short run of a small LSTM, then the first test image classified, with the network's insides.
  await tab('MNIST');
  await page.getByTestId('mnist-load-builtin').click();
  await expect(page.getByTestId('mnist-data-status')).toContainText('60,000 training', { timeout: 120_000 });
  await page.getByTestId('mnist-hidden').fill('32');
  await page.getByTestId('mnist-batch').fill('32');
  await page.getByTestId('mnist-lr').fill('0.01');
  await page.getByTestId('mnist-epochs').fill('1');
  await page.getByTestId('mnist-start').click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points')), { timeout: 180_000 }).toBeGreaterThan(12);
  await page.getByTestId('mnist-pause').click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'paused');
  await page.getByTestId('test-image-index').fill('0');
  await page.getByTestId('test-image-show').click();
  await expect(page.getByTestId('heatmap-hidden')).toBeVisible({ timeout: 30_000 });
  await shoot(page, 'mnist');
  await page.getByTestId('mnist-stop').click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
  // a second, basic-RNN run of the same size, to compare with in the Runs tab
  await page.getByTestId('mnist-cell').selectOption('rnn');
  await page.getByTestId('mnist-epochs').fill('1');
  await page.getByTestId('mnist-start').click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await expect.poll(async () => Number(await page.getByTestId('loss-chart').getAttribute('data-points')), { timeout: 180_000 }).toBeGreaterThan(12);
  await page.getByTestId('mnist-stop').click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });

  // Fable: the shipped weights continue three words.
  await tab('Fable');
  await expect(page.getByTestId('fable-weights')).toHaveAttribute('data-kind', 'shipped', { timeout: 60_000 });
  await page.getByTestId('fable-input').fill('long ago ,');
  await page.getByTestId('fable-input').press('Enter');
  await expect(page.getByTestId('fable-output').locator('.fable-word')).toHaveCount(32, { timeout: 60_000 });
  await shoot(page, 'fable');

  // Penn TreeBank: the quick demo (training cut to 40 steps here), then a sample.
  await tab('Penn TreeBank');
  await page.getByTestId('ptb-file-input').setInputFiles(ptbFiles);
  await expect(page.getByTestId('ptb-vocab-size')).toHaveText('10,000', { timeout: 60_000 });
  await page.locator('.ptb-advanced summary').click();
  await page.getByTestId('ptb-step-limit').fill('40');
  await page.locator('.ptb-advanced summary').click();
  await page.getByTestId('ptb-start').click();
  await expect(page.getByTestId('ptb-train-state')).toHaveAttribute('data-state', 'done', { timeout: 240_000 });
  await page.getByTestId('ptb-sample-button').click();
  await expect(page.getByTestId('ptb-sample-output')).toHaveAttribute('data-words', '50', { timeout: 60_000 });
  await shoot(page, 'ptb');

  // Runs: the three runs saved as they trained, the two MNIST runs compared
  await tab('Runs');
  const mnistRuns = page.locator('[data-testid="run-row"][data-task="mnist"]');
  await expect(mnistRuns).toHaveCount(2);
  for (const row of await mnistRuns.all()) await row.getByTestId('run-select').check();
  await page.getByTestId('runs-compare').click();
  await expect(page.getByTestId('compare-loss')).toHaveAttribute('data-series', '2');
  await shoot(page, 'runs');

  await tab('Diagnostics');
  await expect(page.getByTestId('adapter-limits')).toBeVisible();
  await shoot(page, 'diagnostics');

  await tab('About');
  await expect(page.getByTestId('about')).toBeVisible();
  await shoot(page, 'about');
});
