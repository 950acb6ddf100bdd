// The one run mechanism as a person meets it, in Chromium on WebGPU: however Start is clicked, one run (a lost
// device during training: e2e/runs.spec.ts, the run goes on from its save); a continuation during training comes back while the
// run goes on; every tab keeps its settings across a reload; Evaluate after Stop gives a test accuracy.
import { expect, test, type Page } from '@playwright/test';
import { mnistSmall, openTab as open } from './app.ts';

const stepOf = async (page: Page, id: string) => Number((await page.getByTestId(id).textContent())!.replace(/,/g, ''));

test('MNIST: Start clicked three times gives one run; Stop ends it for good; Evaluate after Stop gives a test accuracy', async ({ page }) => {
  await open(page, 'MNIST');
  await mnistSmall(page, '20');
  // three clicks in one task: the page cannot disable the button in between, so the worker sees three starts
  await page.getByTestId('mnist-start').evaluate((b: HTMLButtonElement) => {
    b.click();
    b.click();
    b.click();
  });
  const state = page.getByTestId('train-state');
  await expect(state).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await expect.poll(() => stepOf(page, 'train-step'), { timeout: 120_000 }).toBeGreaterThan(5);
  const refused = page.getByTestId('mnist-train-error');
  if ((await refused.count()) > 0) await expect(refused).toContainText('already in progress');

  await page.getByTestId('mnist-stop').click();
  await expect(state).toHaveAttribute('data-state', 'stopped', { timeout: 60_000 });
  const stoppedAt = await stepOf(page, 'train-step');
  await page.waitForTimeout(3000); // no run waiting behind the first starts by itself
  await expect(state).toHaveAttribute('data-state', 'stopped');
  expect(await stepOf(page, 'train-step')).toBe(stoppedAt);

  await page.getByTestId('mnist-evaluate').click();
  const evaluation = page.getByTestId('mnist-evaluation');
  await expect(evaluation).toContainText(/Test accuracy now: \d+\.\d\d% .* on 10,000 test images/, { timeout: 120_000 });
  const acc = Number(/now: ([\d.]+)%/.exec((await evaluation.textContent())!)![1]);
  expect(acc).toBeGreaterThan(10); // better than chance after a few steps
});

test('fable: Continue during fast-preset training returns 32 words while the run goes on', async ({ page }) => {
  await open(page, 'Fable');
  await expect(page.getByTestId('fable-weights')).toHaveAttribute('data-kind', 'shipped', { timeout: 120_000 });
  await expect(page.getByTestId('fable-replaces')).toContainText('replaces the weights in use (the shipped weights)');
  await page.getByTestId('fable-preset').selectOption('fast');
  await page.getByTestId('fable-iterations').fill('300');
  await page.getByTestId('fable-start').click();
  const state = page.getByTestId('fable-train-state');
  await expect(state).toHaveAttribute('data-state', 'running', { timeout: 120_000 });
  await expect(page.getByTestId('fable-weights')).toContainText('a run is training a new model');
  await page.getByTestId('fable-input').fill('long ago ,');
  await page.getByTestId('fable-continue').click();
  await expect(page.getByTestId('fable-output').locator('.fable-word')).toHaveCount(32, { timeout: 60_000 });
  await expect(state).toHaveAttribute('data-state', 'running'); // answered between two steps, the run goes on
  await page.getByTestId('fable-stop').click();
  await expect(state).toHaveAttribute('data-state', /^(stopped|done)$/, { timeout: 60_000 });
  // the model line tells the truth, and the shipped weights come back with one click
  const weights = page.getByTestId('fable-weights');
  await expect(weights).toHaveAttribute('data-kind', 'trained');
  await expect(weights).toContainText(/Trained here — fast preset, \d+ iterations/);
  await page.getByTestId('fable-restore-shipped').click();
  await expect(weights).toHaveAttribute('data-kind', 'shipped', { timeout: 60_000 });
  await expect(page.getByTestId('fable-restore-shipped')).toHaveCount(0);
});

test('every tab keeps its settings across a reload', async ({ page }) => {
  await open(page, 'MNIST');
  await page.getByTestId('mnist-hidden').fill('48');
  await page.getByRole('tab', { name: 'Fable' }).click();
  await page.getByTestId('fable-preset').selectOption('original');
  await page.getByTestId('fable-iterations').fill('1234');
  await page.getByTestId('fable-max-vocab').fill('77');
  const temperature = page.getByTestId('fable-temperature');
  await temperature.focus();
  for (let i = 0; i < 10; i++) await temperature.press('ArrowRight');
  await expect(page.getByTestId('fable-temperature-value')).toHaveText('0.50');
  await page.getByRole('tab', { name: 'Penn TreeBank' }).click();
  await page.getByTestId('ptb-hidden-size').fill('37');
  await page.getByTestId('ptb-prompt').fill('the market fell');
  await page.reload();
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  await expect(page.getByTestId('mnist-hidden')).toHaveValue('48');
  await page.getByRole('tab', { name: 'Fable' }).click();
  await expect(page.getByTestId('fable-preset')).toHaveValue('original');
  await expect(page.getByTestId('fable-iterations')).toHaveValue('1234');
  await expect(page.getByTestId('fable-max-vocab')).toHaveValue('77');
  await expect(page.getByTestId('fable-temperature-value')).toHaveText('0.50');
  await page.getByRole('tab', { name: 'Penn TreeBank' }).click();
  await expect(page.getByTestId('ptb-hidden-size')).toHaveValue('37');
  await expect(page.getByTestId('ptb-prompt')).toHaveValue('the market fell');
});
