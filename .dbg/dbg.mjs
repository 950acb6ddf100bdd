import { chromium } from 'playwright';
import { CHROMIUM_WEBGPU_ARGS, findChromium } from '/work/main/scripts/chromium.mjs';
const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_WEBGPU_ARGS });
const page = await browser.newPage();
const t0 = Date.now();
const log = (...a) => console.log(((Date.now() - t0) / 1000).toFixed(1), ...a);
page.on('console', (m) => log('console', m.type(), m.text().slice(0, 300)));
page.on('framenavigated', (f) => f === page.mainFrame() && log('navigated', f.url()));
page.on('worker', (w) => { log('worker', w.url()); w.on('console', (m) => log('wconsole', m.text().slice(0, 300))); });
page.on('pageerror', (e) => log('pageerror', e.message));
await page.goto('http://localhost:5300/');
await page.getByTestId('gpu-ready').waitFor();
log('ready');
await page.getByTestId('mnist-load-builtin').click();
await page.getByText('60,000 training').waitFor({ timeout: 120000 });
log('loaded');
await page.getByTestId('mnist-hidden').fill('32');
await page.getByTestId('mnist-batch').fill('32');
await page.getByTestId('mnist-lr').fill('0.01');
await page.getByTestId('mnist-start').click();
for (let i = 0; i < 12; i++) {
  await page.waitForTimeout(5000);
  log(await page.getByTestId('train-state').textContent(), await page.getByTestId('mnist-data-status').textContent(),
    await page.getByTestId('loss-chart').getAttribute('data-points'), await page.locator('[data-testid=train-step]').textContent().catch(() => '-'), await page.locator('[data-testid=steps-per-second]').textContent().catch(() => '-'));
}
await browser.close();
