// Saved runs of the fable and of Penn TreeBank, in Chromium with its real IndexedDB: a stopped run goes on from
// the Runs tab where it stopped (its curve first, then new points); a PTB run is refused, with a message and
// nothing changed, when other files are loaded than those it was trained on, and goes on once they are back.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test, type Page } from '@playwright/test';

test.describe.configure({ timeout: 600_000 });

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const ptbDir = resolve(repoRoot, '..', 'shared', 'data', 'ptb');
const ptbFiles = ['ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt'].map((f) => resolve(ptbDir, f));

async function open(page: Page, tab: string): Promise<void> {
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  await page.routeWebSocket(/.*/, () => {});
  await page.goto('/');
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  await page.getByRole('tab', { name: 'Runs' }).click();
  await page.getByTestId('runs-save-every').fill('2');
  await page.getByTestId('runs-save-every').press('Enter');
  await page.getByRole('tab', { name: tab }).click();
}

const savedStep = async (page: Page, task: string) => Number((await page.getByTestId(`${task}-save-status`).getAttribute('data-step')) ?? -1);

async function continueFromRuns(page: Page, task: string, tab: string): Promise<void> {
  await page.getByRole('tab', { name: 'Runs' }).click();
  const row = page.locator(`[data-testid="run-row"][data-task="${task}"]`);
  await expect(row).toHaveCount(1);
  await expect(row.getByTestId('run-status')).toHaveText('stopped');
  await row.getByTestId('run-resume').click();
  await expect(page.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true');
}

test('fable: a stopped run goes on from the Runs tab where it stopped, its curve first', async ({ page }) => {
  await open(page, 'Fable');
  await expect(page.getByTestId('fable-weights')).toHaveAttribute('data-kind', 'shipped', { timeout: 120_000 });
  // the original recipe (batch 1): about 0.1 s an iteration here, the fast preset's batch of 64 about 1.7 s
  await page.getByTestId('fable-preset').selectOption('original');
  await page.getByTestId('fable-iterations').fill('5000');
  await page.getByTestId('fable-start').click();
  const state = page.getByTestId('fable-train-state');
  await expect(state).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await expect.poll(() => savedStep(page, 'fable'), { timeout: 300_000 }).toBeGreaterThan(30);
  await page.getByTestId('fable-stop').click();
  await expect(state).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
  await expect(page.getByTestId('fable-weights')).toHaveAttribute('data-kind', 'trained');
  const stoppedAt = await savedStep(page, 'fable');
  const points = Number(await page.getByTestId('fable-loss-chart').getAttribute('data-points'));
  expect(points).toBeGreaterThan(0);

  await continueFromRuns(page, 'fable', 'Fable');
  await expect(state).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  expect(Number(await page.getByTestId('fable-loss-chart').getAttribute('data-points'))).toBeGreaterThanOrEqual(points);
  await expect.poll(() => savedStep(page, 'fable'), { timeout: 300_000 }).toBeGreaterThan(stoppedAt + 5);
  await page.getByTestId('fable-stop').click();
  await expect(state).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
  // one run, not two: the same row, further on
  await page.getByRole('tab', { name: 'Runs' }).click();
  const row = page.getByTestId('run-row');
  await expect(row).toHaveCount(1);
  expect(Number(await row.getAttribute('data-step'))).toBeGreaterThan(stoppedAt + 5);
});

test('PTB: other files loaded -> refused with a message, nothing changed; the right files back -> the run goes on', async ({ page }) => {
  await open(page, 'Penn TreeBank');
  await page.getByTestId('ptb-file-input').setInputFiles(ptbFiles);
  await expect(page.getByTestId('ptb-vocab-size')).toHaveText('10,000', { timeout: 60_000 });
  await page.locator('.ptb-advanced summary').click();
  await page.getByTestId('ptb-step-limit').fill('400');
  await page.getByTestId('ptb-start').click();
  const state = page.getByTestId('ptb-train-state');
  await expect(state).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await expect.poll(() => savedStep(page, 'ptb'), { timeout: 300_000 }).toBeGreaterThan(5);
  await page.getByTestId('ptb-stop').click();
  await expect(state).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
  const stoppedAt = await savedStep(page, 'ptb');
  const tokens = await page.getByTestId('ptb-tokens-train').textContent();

  // other data: the same three names, the training text cut short
  const train = readFileSync(ptbFiles[0]!, 'utf8');
  await page.getByTestId('ptb-file-input').setInputFiles([
    { name: 'ptb.train.txt', mimeType: 'text/plain', buffer: Buffer.from(train.slice(0, Math.floor(train.length * 0.9))) },
    { name: 'ptb.valid.txt', mimeType: 'text/plain', buffer: readFileSync(ptbFiles[1]!) },
    { name: 'ptb.test.txt', mimeType: 'text/plain', buffer: readFileSync(ptbFiles[2]!) },
  ]);
  await expect(page.getByTestId('ptb-tokens-train')).not.toHaveText(tokens!, { timeout: 60_000 });
  await continueFromRuns(page, 'ptb', 'Penn TreeBank');
  await expect(page.getByTestId('ptb-error')).toContainText('was trained on other data than what is loaded now', { timeout: 60_000 });
  await expect(page.getByTestId('ptb-error')).toContainText('nothing was changed');
  await page.getByRole('tab', { name: 'Runs' }).click();
  await expect(page.getByTestId('run-row')).toHaveAttribute('data-step', String(stoppedAt));

  // the files it was trained on, again: it goes on
  await page.getByRole('tab', { name: 'Penn TreeBank' }).click();
  await page.getByTestId('ptb-file-input').setInputFiles(ptbFiles);
  await expect(page.getByTestId('ptb-tokens-train')).toHaveText(tokens!, { timeout: 60_000 });
  await continueFromRuns(page, 'ptb', 'Penn TreeBank');
  await expect(state).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await expect.poll(() => savedStep(page, 'ptb'), { timeout: 300_000 }).toBeGreaterThan(stoppedAt);
  await page.getByTestId('ptb-stop').click();
  await expect(state).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
});
