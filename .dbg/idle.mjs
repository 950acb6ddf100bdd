import { chromium } from 'playwright';
import { CHROMIUM_WEBGPU_ARGS, findChromium } from '/work/main/scripts/chromium.mjs';
const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_WEBGPU_ARGS });
const page = await browser.newPage();
await page.routeWebSocket(/.*/, () => {});
const t0 = Date.now();
const log = (...a) => console.log(((Date.now() - t0) / 1000).toFixed(1), ...a);
await page.goto('http://localhost:5300/');
await page.getByTestId('gpu-ready').waitFor();
log('ready');
for (let i = 0; i < 5; i++) {
  const a = Date.now();
  await page.evaluate(() => 1);
  log('evaluate', Date.now() - a);
  const b = Date.now();
  await page.getByTestId('predicted-digit').textContent();
  log('textContent', Date.now() - b);
  await page.waitForTimeout(1000);
}
await browser.close();
