import { test } from '@playwright/test';
test('probe', async ({ page }) => {
  const W = Number(process.env.W ?? 390);
  await page.setViewportSize({ width: W, height: 800 });
  await page.emulateMedia({ colorScheme: (process.env.SCHEME as 'light' | 'dark') ?? 'light' });
  await page.routeWebSocket(/.*/, () => {});
  await page.goto('/');
  await page.getByTestId('gpu-ready').waitFor();
  await page.getByRole('tab', { name: 'MNIST' }).waitFor();
  for (const tab of ['MNIST', 'Fable', 'Penn TreeBank', 'Diagnostics', 'About']) {
    const t = page.getByRole('tab', { name: tab });
    if ((await t.count()) === 0) continue;
    await t.click();
    await page.waitForTimeout(800);
    const r = await page.evaluate(() => {
      const W = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => { const b = e.getBoundingClientRect(); return b.right > W + 0.5 && b.width > 0 && e.checkVisibility(); })
        .slice(0, 8).map((e) => `${e.tagName}.${e.className} r=${Math.round(e.getBoundingClientRect().right)}`);
      return { sw: document.documentElement.scrollWidth, W, wide };
    });
    console.log(tab, JSON.stringify(r));
    if (process.env.SHOT) await page.screenshot({ path: `/tmp/a11y/${tab.replace(/ /g, '')}-${W}-${process.env.SCHEME ?? 'light'}.png`, fullPage: true });
  }
});
