import { chromium } from 'playwright';
import { CHROMIUM_WEBGPU_ARGS, findChromium } from '/work/main/scripts/chromium.mjs';
const browser = await chromium.launch({ executablePath: findChromium(), args: CHROMIUM_WEBGPU_ARGS });
const page = await browser.newPage();
await page.routeWebSocket(/.*/, () => {});
const t0 = Date.now();
const log = (...a) => console.log(((Date.now() - t0) / 1000).toFixed(1), ...a);
page.on('console', (m) => log('console', m.type(), m.text().slice(0, 300)));
page.on('pageerror', (e) => log('pageerror', e.message));
await page.goto('http://localhost:5300/');
await page.getByTestId('gpu-ready').waitFor();
await page.getByTestId('draw-canvas').scrollIntoViewIfNeeded(); const box = await page.getByTestId('draw-canvas').boundingBox();
log('box', JSON.stringify(box));
const at = (fx, fy) => [box.x + fx * box.width, box.y + fy * box.height];
const path = [at(0.25, 0.2), at(0.5, 0.2), at(0.75, 0.2), at(0.65, 0.45), at(0.55, 0.65), at(0.45, 0.85)];
await page.mouse.move(...path[0]);
await page.mouse.down();
for (const p of path.slice(1)) await page.mouse.move(...p, { steps: 6 });
await page.mouse.up();
for (let i = 0; i < 6; i++) {
  await page.waitForTimeout(3000);
  log(await page.getByTestId('predicted-digit').textContent(), await page.getByTestId('image-source').textContent(), await page.locator('[data-testid=mnist-inspect-error]').textContent().catch(() => 'no err'));
}
await page.screenshot({ path: '/tmp/draw.png', fullPage: true });
await browser.close();
