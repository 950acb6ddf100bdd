// Runs that survive, in Chromium with its real IndexedDB: a run saved as it trains goes on after a reload with the
// same losses as a run that never stopped; its curves come back; two runs compare in one chart; a run's curves
// download as CSV; the model exported, every run deleted, the page reloaded and the file imported classifies as
// before; a lost GPU during training is replaced and the run goes on from its last save by itself (paused if it
// was), and a second loss within a minute stops with a message.
import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { mnistSmall, openTab as open } from './app.ts';
import { classify } from './drawing.ts';

test.describe.configure({ timeout: 600_000 });

async function setSaveEvery(page: Page, seconds: number): Promise<void> {
  await page.getByRole('tab', { name: 'Runs' }).click();
  await page.getByTestId('runs-save-every').fill(String(seconds));
  await page.getByTestId('runs-save-every').press('Enter');
  await expect(page.getByTestId('runs-notice')).toContainText(`every ${seconds} s`);
}

const stepOf = async (page: Page) => Number((await page.getByTestId('train-step').textContent())!.replace(/,/g, ''));

async function trainUntil(page: Page, step: number): Promise<void> {
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await expect.poll(() => stepOf(page), { timeout: 300_000 }).toBeGreaterThan(step);
}

async function stop(page: Page): Promise<void> {
  await page.getByTestId('mnist-stop').click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
  // the save at the stop, then its record's state
  await expect(page.getByTestId('mnist-save-status')).toHaveAttribute('data-step', String(await stepOf(page)), { timeout: 60_000 });
}

/** A run's curves from the Runs tab's CSV download: loss by step (the training reports). */
async function lossesOf(page: Page, row: number): Promise<Map<number, string>> {
  await page.getByRole('tab', { name: 'Runs' }).click();
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('run-row').nth(row).getByTestId('run-csv').click()]);
  const csv = readFileSync((await download.path())!, 'utf8').trim().split('\n');
  const head = csv[0]!.split(',');
  expect(head.slice(0, 3)).toEqual(['step', 'epoch', 'kind']);
  const loss = head.indexOf('loss');
  const out = new Map<number, string>();
  for (const line of csv.slice(1)) {
    const cells = line.split(',');
    if (cells[2] === 'train') out.set(Number(cells[0]), cells[loss]!);
  }
  return out;
}

test('MNIST: train -> reload -> resume: the curve continues and the losses equal the run that never stopped; two runs compare; CSV', async ({ page }) => {
  await open(page, 'Runs');
  await expect(page.getByTestId('runs-empty')).toBeVisible();
  // the run that never stops (saved after its first step, then not again until it is stopped)
  await setSaveEvery(page, 3600);
  await mnistSmall(page);
  await page.getByTestId('mnist-start').click();
  await trainUntil(page, 160);
  await stop(page);
  const straight = await lossesOf(page, 0);

  // the same run, saved every 2 s, the page reloaded half way
  await setSaveEvery(page, 2);
  await page.getByRole('tab', { name: 'MNIST' }).click();
  await page.getByTestId('mnist-start').click();
  await trainUntil(page, 40);
  const saveStatus = page.getByTestId('mnist-save-status');
  await expect.poll(async () => Number(await saveStatus.getAttribute('data-step')), { timeout: 60_000 }).toBeGreaterThan(20);
  const runId = await saveStatus.getAttribute('data-run-id');
  // the resumed run saves no more until stopped (its windows stay those of the straight run)
  await page.evaluate(() => localStorage.setItem('rnnlab.runs.saveEvery', '3600'));
  await page.reload();
  await expect(page.getByTestId('gpu-ready')).toBeVisible();

  // the page offers the interrupted run; Resume opens its tab and it goes on from its save
  const offer = page.getByTestId('interrupted-run');
  await expect(offer).toHaveCount(1);
  await expect(offer).toHaveAttribute('data-run-id', runId!);
  const savedStep = Number(/saved at step ([\d,]+)/.exec((await offer.textContent())!)![1]!.replace(/,/g, ''));
  expect(savedStep).toBeGreaterThan(20);
  await page.getByTestId('interrupted-resume').click();
  await expect(page.getByRole('tab', { name: 'MNIST' })).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'running', { timeout: 180_000 });
  // the curve continues: the points before the reload are drawn again at once
  expect(Number(await page.getByTestId('loss-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(Math.floor(savedStep / 10));
  await trainUntil(page, 160);
  await stop(page);
  const resumed = await lossesOf(page, 0);

  // every report after the save covers the same steps as the straight run's: the same losses, bit for bit
  const after = [...straight.keys()].filter((s) => s % 10 === 0 && s > savedStep + 10 && s <= 160);
  expect(after.length).toBeGreaterThan(5);
  for (const s of after) expect(resumed.get(s), `loss at step ${s}`).toBe(straight.get(s));
  // and before the reload the two runs were the same too
  const before = [...straight.keys()].filter((s) => s % 10 === 0 && s > 10 && s <= savedStep && resumed.has(s));
  expect(before.length).toBeGreaterThan(0);

  // two runs in the Runs tab: rename one, compare them (two curves, a legend by name, the settings side by side)
  await page.getByRole('tab', { name: 'Runs' }).click();
  const rows = page.getByTestId('run-row');
  await expect(rows).toHaveCount(2);
  await rows.nth(0).getByTestId('run-rename').click();
  await page.getByTestId('run-name-input').fill('resumed after a reload');
  await page.getByTestId('run-name-input').press('Enter');
  await expect(rows.nth(0).getByTestId('run-name')).toHaveText('resumed after a reload');
  await expect(rows.nth(0).getByTestId('run-status')).toHaveText('stopped');
  await expect(rows.nth(0).getByTestId('run-best')).toContainText('training accuracy');
  await rows.nth(0).getByTestId('run-select').check();
  await rows.nth(1).getByTestId('run-select').check();
  await page.getByTestId('runs-compare').click();
  const chart = page.getByTestId('compare-loss');
  await expect(chart).toHaveAttribute('data-series', '2');
  await expect(chart.locator('.recharts-legend-item')).toHaveCount(2);
  await expect(chart.locator('.recharts-legend-item').filter({ hasText: 'resumed after a reload' })).toHaveCount(1);
  await expect(page.getByTestId('compare-configs')).toContainText('config.model.hidden');

  // the trained model exported, then every run deleted and the page reloaded (nothing of it left), then imported:
  // the drawing gets the same predictions
  await page.getByRole('tab', { name: 'MNIST' }).click();
  const trained = await classify(page);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('mnist-model-export').click()]);
  const file = test.info().outputPath('mnist.safetensors');
  await download.saveAs(file);
  await page.getByRole('tab', { name: 'Runs' }).click();
  await rows.nth(1).getByTestId('run-delete').click();
  await rows.nth(1).getByTestId('run-delete-confirm').click();
  await expect(rows).toHaveCount(1);
  await rows.nth(0).getByTestId('run-delete').click();
  await rows.nth(0).getByTestId('run-delete-confirm').click();
  await expect(page.getByTestId('runs-empty')).toBeVisible();
  await page.reload();
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  await page.getByRole('tab', { name: 'Runs' }).click();
  await expect(page.getByTestId('runs-empty')).toBeVisible(); // deleted for good
  await expect(page.getByTestId('interrupted-runs')).toHaveCount(0);
  await page.getByRole('tab', { name: 'MNIST' }).click();
  const untrained = await classify(page);
  await page.getByTestId('mnist-model-import').setInputFiles(file);
  await expect(page.getByTestId('mnist-model-file-status')).toContainText('In use: mnist.safetensors, an LSTM with 8 hidden units.');
  const imported = await classify(page, untrained);
  expect(Math.max(...imported.map((v, i) => Math.abs(v - trained[i]!)))).toBeLessThan(1e-5);
});


test('a lost GPU during training: a new device, the run goes on from its last save by itself (paused if it was); lost again within a minute: stopped with a message', async ({ page }) => {
  await open(page, 'MNIST');
  await mnistSmall(page);
  await page.getByTestId('mnist-start').click();
  await trainUntil(page, 30);
  await expect(page.getByTestId('mnist-save-status')).toHaveAttribute('data-step', /\d+/);
  await page.getByTestId('mnist-pause').click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'paused');
  await page.getByRole('tab', { name: 'Diagnostics' }).click();
  await page.getByTestId('simulate-device-loss').click();
  const notice = page.getByTestId('device-recovered');
  await expect(notice).toContainText('rnnlab got a new one', { timeout: 60_000 });
  await expect(notice).toContainText(/goes on from its save at step \d+ \(\d+ steps? redone\)/);
  const fromStep = Number(/at step (\d+)/.exec((await notice.textContent())!)![1]);
  await page.getByRole('tab', { name: 'MNIST' }).click();
  // it was paused: it is again, on the new device, until Resume
  await expect(page.getByTestId('mnist-resume')).toBeEnabled({ timeout: 180_000 });
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'paused');
  await page.getByTestId('mnist-resume').click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'running');
  await expect.poll(() => stepOf(page), { timeout: 300_000 }).toBeGreaterThan(fromStep + 5);
  await expect(page.getByTestId('gpu-error')).toHaveCount(0);

  // again, within a minute: no loop, a message
  await page.getByRole('tab', { name: 'Diagnostics' }).click();
  await page.getByTestId('simulate-device-loss').click();
  await expect(page.getByTestId('gpu-error')).toContainText('lost twice within a minute', { timeout: 30_000 });
  await page.getByRole('tab', { name: 'MNIST' }).click();
  await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'failed');
});

test('a full quota: the save is refused with a message, training goes on, and the older save stays', async ({ page }) => {
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  await page.routeWebSocket(/.*/, () => {});
  // the quota is set before the app first opens its database (Chromium applies an override from then on)
  await page.route('/__blank', (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>blank</title>' }));
  await page.goto('/__blank');
  const origin = new URL(page.url()).origin;
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin, quotaSize: 2 * 1024 * 1024 });
  try {
    await page.goto('/');
    await expect(page.getByTestId('gpu-ready')).toBeVisible();
    // a small run fits: saved, then stopped
    await mnistSmall(page);
    await page.getByTestId('mnist-start').click();
    await trainUntil(page, 10);
    await stop(page);
    const kept = await stepOf(page);
    // a bigger model does not fit (LSTM-256: 3.5 MB of weights and moments): its first save is refused, and it
    // trains on
    await page.getByTestId('mnist-hidden').fill('256');
    await page.getByTestId('mnist-start').click();
    const status = page.getByTestId('mnist-save-status');
    await expect(status).toHaveAttribute('data-kind', 'error', { timeout: 300_000 });
    await expect(status).toContainText("The browser's storage for this site is full");
    await expect(status).toContainText('the earlier saves are kept');
    await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'running');
    await page.getByTestId('mnist-stop').click();
    await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'stopped', { timeout: 120_000 });
    // the small run's save is whole: listed at the step it stopped, and it goes on from there
    await page.getByRole('tab', { name: 'Runs' }).click();
    const rows = page.getByTestId('run-row');
    await expect(rows).toHaveCount(1);
    await expect(rows.first()).toHaveAttribute('data-step', String(kept));
    await rows.first().getByTestId('run-resume').click();
    await expect(page.getByTestId('train-state')).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
    await expect.poll(() => stepOf(page), { timeout: 120_000 }).toBeGreaterThan(kept);
  } finally {
    await cdp.send('Storage.overrideQuotaForOrigin', { origin });
  }
});
