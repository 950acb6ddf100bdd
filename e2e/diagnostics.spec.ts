// The Diagnostics tab: the worker's adapter, its limits and features, and the gradient check on this GPU.
import { expect, test } from '@playwright/test';

/** scripts/gpu-env.mjs points Vulkan at SwiftShader on machines without a GPU (CI): then the adapter is SwiftShader. */
const onSwiftShader = /swiftshader/i.test(process.env.VK_ICD_FILENAMES ?? '');

test.beforeEach(async ({ page }) => {
  // A silent mock for the dev server's HMR socket: a source file changing during the run must not reload the page.
  await page.routeWebSocket(/.*/, () => {});
  await page.goto('/');
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  const tab = page.getByRole('tab', { name: 'Diagnostics' });
  await tab.focus();
  await page.keyboard.press('Enter'); // the tabs work from the keyboard
  await expect(tab).toHaveAttribute('aria-selected', 'true');
  await expect(page.getByTestId('diagnostics')).toBeVisible();
});

test('the panel shows the adapter, its limits and features', async ({ page }) => {
  const arch = page.getByTestId('adapter-architecture');
  await expect(arch).not.toBeEmpty();
  if (onSwiftShader) await expect(arch).toHaveText('swiftshader');
  await expect(page.getByTestId('adapter-vendor')).not.toBeEmpty();

  const limits = page.getByTestId('adapter-limits');
  await expect(limits).toContainText('maxStorageBufferBindingSize');
  await expect(limits).toContainText('maxComputeInvocationsPerWorkgroup');
  expect(await limits.locator('tr').count()).toBeGreaterThan(10);
  await expect(page.getByText('Features', { exact: true })).toBeVisible();
});

test('Check gradients: every kernel passes on this GPU', async ({ page }) => {
  test.setTimeout(240_000);
  await page.getByTestId('check-gradients').click();
  const table = page.getByTestId('gradcheck-table');
  await expect(table).toBeVisible({ timeout: 200_000 });
  await expect(page.getByTestId('diagnostics-error')).toHaveCount(0);
  const rows = table.getByTestId('gradcheck-row');
  expect(await rows.count()).toBeGreaterThan(0);
  for (const row of await rows.all()) {
    await expect(row).toHaveAttribute('data-ok', 'true');
    await expect(row).toContainText('pass');
  }
  await expect(page.getByTestId('gradcheck-summary')).toContainText('passed');
  expect(Number(await page.getByTestId('gradcheck-seconds').textContent())).toBeGreaterThan(0);
});

test('a lost GPU device is replaced by a new one; lost again within a minute it is reported with a reload button, and reloading brings the app back', async ({ page }) => {
  await page.getByTestId('simulate-device-loss').click();
  await expect(page.getByTestId('device-recovered')).toContainText('rnnlab got a new one', { timeout: 60_000 });
  await expect(page.getByTestId('gpu-error')).toHaveCount(0);
  await page.getByTestId('simulate-device-loss').click();
  const error = page.getByTestId('gpu-error');
  await expect(error).toBeVisible();
  await expect(error).toContainText('GPU device was lost');
  await expect(error).toContainText('lost twice within a minute');
  const reload = error.getByRole('button', { name: 'Reload' });
  await expect(reload).toBeVisible();
  await reload.click();
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  await expect(page.getByTestId('gpu-error')).toHaveCount(0);
});
