// The security headers (scripts/security-headers.ts) on the real dev server: present on the page and its worker,
// the page cross-origin isolated, and the app working under them with no Content-Security-Policy violation
// (every tab opened, the fable loaded with its shipped weights and a continuation generated on WebGPU).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Page } from '@playwright/test';

/** Collects CSP violations (the DOM event, in the page and as console errors) from before the first script. */
async function watchViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  await page.exposeFunction('reportCspViolation', (v: string) => seen.push(v));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { reportCspViolation(v: string): void }).reportCspViolation(`${e.violatedDirective} blocked ${e.blockedURI} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && /Content Security Policy|Refused to/i.test(m.text())) seen.push(m.text());
  });
  return seen;
}

test('headers on the page and its worker; cross-origin isolated; no CSP violation while the app works', async ({ page }) => {
  const violations = await watchViolations(page);
  const workerHeaders: Record<string, string>[] = [];
  page.on('response', (r) => {
    if (/worker/i.test(r.url()) && r.request().resourceType() !== 'document') workerHeaders.push(r.headers());
  });
  const res = await page.goto('/');
  const h = res!.headers();
  expect(h['content-security-policy']).toMatch(/^default-src 'self'; script-src 'self' 'nonce-[A-Za-z0-9+/=]+'; style-src 'self' 'nonce-/);
  expect(h['content-security-policy']).toContain("object-src 'none'");
  expect(h['content-security-policy']).not.toContain('unsafe-inline');
  expect(h['content-security-policy']).not.toContain('wasm-unsafe-eval');
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['cross-origin-opener-policy']).toBe('same-origin');
  expect(h['cross-origin-embedder-policy']).toBe('require-corp');

  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  for (const tab of ['MNIST', 'Penn TreeBank', 'Diagnostics']) {
    await page.getByRole('tab', { name: tab }).click();
    await expect(page.getByRole('tab', { name: tab })).toHaveAttribute('aria-selected', 'true');
  }
  await page.getByRole('tab', { name: 'Fable' }).click();
  await expect(page.getByTestId('fable-weights')).toHaveAttribute('data-kind', 'shipped', { timeout: 120_000 });
  await page.getByTestId('fable-input').fill('long ago ,');
  await page.getByTestId('fable-input').press('Enter');
  await expect(page.getByTestId('fable-output').locator('.fable-word')).toHaveCount(32, { timeout: 60_000 });
  // the training worker's script came with the headers too (it is fetched once the app starts it)
  await expect.poll(() => workerHeaders.length).toBeGreaterThan(0);
  for (const wh of workerHeaders) expect(wh['cross-origin-embedder-policy']).toBe('require-corp');
  expect(violations).toEqual([]);
});

test('the bench page alone may run jax-js wasm (compiled wasm, blob: worker threads); a blocked inline script is reported', async ({ page }) => {
  const violations = await watchViolations(page);
  const res = await page.goto('/bench/index.html');
  const csp = res!.headers()['content-security-policy'];
  expect(csp).toMatch(/; script-src 'self' 'nonce-[^']+' 'wasm-unsafe-eval'; /);
  expect(csp).toContain("; worker-src 'self' blob:; ");
  await page.waitForFunction(() => 'rnnlabBench' in window);
  expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
  const r = await page.evaluate(() => window.rnnlabBench.measure({ impl: 'jax', backend: 'wasm', workload: 'mnist-lstm', tiny: true, steps: 2, reps: 1, budgetMs: 120_000 }));
  expect(r.error).toBeUndefined();
  expect(r.note).not.toContain('single-threaded');
  expect(violations).toEqual([]);
  // the watcher itself works: an inline script without the nonce is refused and seen
  await page.evaluate(() => {
    const s = document.createElement('script');
    s.textContent = 'window.inlineRan = true';
    document.body.append(s);
  });
  await expect.poll(() => violations.length).toBeGreaterThan(0);
  expect(await page.evaluate(() => 'inlineRan' in window)).toBe(false);
});

test.describe('the built app (vite build + vite preview): what a static host with public/_headers serves', () => {
  const port = Number(process.env.E2E_PORT ?? 5199) + 1000;
  const outDir = join(tmpdir(), `rnnlab-e2e-dist-${port}`);
  let preview: ChildProcess | undefined;

  test.beforeAll(async () => {
    const vite = join('node_modules', 'vite', 'bin', 'vite.js');
    const build = spawnSync(process.execPath, [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { encoding: 'utf8' });
    expect(build.status, build.stderr).toBe(0);
    preview = spawn(process.execPath, [vite, 'preview', '--outDir', outDir, '--port', String(port), '--strictPort'], { stdio: 'ignore' });
    const deadline = Date.now() + 60_000;
    for (;;) {
      const up = await fetch(`http://localhost:${port}/`).then((r) => r.ok, () => false);
      if (up) break;
      if (Date.now() > deadline) throw new Error(`vite preview did not answer on port ${port} within 60 s`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });

  test.afterAll(() => {
    preview?.kill();
    rmSync(outDir, { recursive: true, force: true });
  });

  test('the production page: no nonce needed, no violation, cross-origin isolated, the fable generates', async ({ page }) => {
    expect(readFileSync(join(outDir, '_headers'), 'utf8')).toContain('Cross-Origin-Embedder-Policy: require-corp');
    const violations = await watchViolations(page);
    const res = await page.goto(`http://localhost:${port}/`);
    const csp = res!.headers()['content-security-policy'];
    expect(csp).toMatch(/^default-src 'self'; script-src 'self'; style-src 'self';/);
    expect(res!.headers()['cross-origin-embedder-policy']).toBe('require-corp');
    await expect(page.getByTestId('gpu-ready')).toBeVisible();
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true);
    await page.getByRole('tab', { name: 'Fable' }).click();
    await expect(page.getByTestId('fable-weights')).toHaveAttribute('data-kind', 'shipped', { timeout: 120_000 });
    await page.getByTestId('fable-input').fill('long ago ,');
    await page.getByTestId('fable-input').press('Enter');
    await expect(page.getByTestId('fable-output').locator('.fable-word')).toHaveCount(32, { timeout: 60_000 });
    for (const tab of ['MNIST', 'Penn TreeBank', 'Diagnostics']) await page.getByRole('tab', { name: tab }).click();
    expect(violations).toEqual([]);
  });
});
