import { expect, test } from '@playwright/test';

test('the page finds a WebGPU adapter', async ({ page }) => {
  await page.goto('/');
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  await expect(page.getByTestId('adapter-name')).not.toHaveText('');
});

test('without WebGPU the page explains what is missing and how to enable it', async ({ page }) => {
  await page.addInitScript(() => {
    Object.defineProperty(Navigator.prototype, 'gpu', { get: () => undefined, configurable: true });
  });
  await page.goto('/');
  const error = page.getByTestId('gpu-error');
  await expect(error).toBeVisible();
  await expect(error).toContainText('WebGPU is not available');
  await expect(error).toContainText('--enable-unsafe-webgpu');
});

test('when requestAdapter() finds nothing the page says so', async ({ page }) => {
  await page.addInitScript(() => {
    GPU.prototype.requestAdapter = async () => null;
  });
  await page.goto('/');
  await expect(page.getByTestId('gpu-error')).toContainText('no GPU adapter was found');
});

test('About links the README, which the app serves', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('tab', { name: 'About' }).click();
  const link = page.getByRole('link', { name: 'README' });
  const href = await link.getAttribute('href');
  expect(href).toBe('/README.md');
  const res = await page.request.get(href!);
  expect(res.status()).toBe(200);
  expect(await res.text()).toMatch(/^# rnnlab\n/);
});
