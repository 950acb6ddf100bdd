import AxeBuilder from '@axe-core/playwright';
import { test } from '@playwright/test';
test('probe2', async ({ page }) => {
  await page.goto('/');
  await page.getByRole('tab', { name: 'MNIST' }).waitFor();
  await page.emulateMedia({ colorScheme: 'dark' });
  await page.evaluate(() => { const i = document.createElement('img'); i.src = 'x.png'; document.querySelector('.panel')!.append(i); const p = document.createElement('p'); p.textContent = 'low contrast'; p.style.color = '#333'; document.querySelector('.panel')!.append(p); });
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  console.log(r.violations.map((v) => `${v.id} ${v.impact} ${v.nodes.length}`).join('\n'));
  console.log('incomplete', r.incomplete.map((v) => `${v.id} ${v.impact} ${v.nodes.length}`).join('\n'));
});
