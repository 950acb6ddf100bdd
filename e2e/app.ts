// The app as the specs open it: the page loaded with its WebGPU adapter ready and a tab chosen, and MNIST's built-in
// data loaded with a small model set in the form.
import { expect, type Page } from '@playwright/test';

export async function openTab(page: Page, tab: string): Promise<void> {
  page.on('pageerror', (e) => console.log('pageerror', e.message));
  await page.routeWebSocket(/.*/, () => {}); // the dev server's reloads would end a run half way
  await page.goto('/');
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  await page.getByRole('tab', { name: tab }).click();
}

/** MNIST's built-in data loaded, and a small LSTM (8 hidden units, batch 64) for `epochs` epochs in the form. */
export async function mnistSmall(page: Page, epochs = '20'): Promise<void> {
  await page.getByRole('tab', { name: 'MNIST' }).click();
  await page.getByTestId('mnist-load-builtin').click();
  await expect(page.getByTestId('mnist-data-status')).toContainText('60,000 training', { timeout: 120_000 });
  await page.getByTestId('mnist-hidden').fill('8');
  await page.getByTestId('mnist-batch').fill('64');
  await page.getByTestId('mnist-epochs').fill(epochs);
}
