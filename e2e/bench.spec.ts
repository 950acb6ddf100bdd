// The bench page (`npm run bench` drives it): each implementation trains, on the same adapter, and the WebGPU
// counters see what the README claims. Tiny shapes for the peers (a check of the bench, not a measurement);
// rnnlab runs its real MNIST session for a few steps.
import { expect, test, type Page } from '@playwright/test';
import type { MeasureRequest, MeasureResult } from '../bench/page.ts';

async function measure(page: Page, req: MeasureRequest): Promise<MeasureResult> {
  await page.goto('/bench/index.html');
  await page.waitForFunction(() => 'rnnlabBench' in window);
  return page.evaluate((r) => window.rnnlabBench.measure(r), req);
}

test('rnnlab: one submit per training step, the recorded dispatches, no waiting readback', async ({ page }) => {
  const r = await measure(page, { impl: 'rnnlab', backend: 'webgpu', workload: 'mnist-lstm', steps: 10, reps: 1, budgetMs: 240_000 });
  expect(r.error).toBeUndefined();
  expect(r.msPerStep).toHaveLength(1);
  expect(r.submitsPerStep).toBe(1);
  expect(r.dispatchesPerStep).toBe(r.extra.dispatchesRecorded);
  expect(r.dispatchesPerStep).toBeLessThanOrEqual(64 * 1.5);
  // The metrics are copied every 10 steps and mapped asynchronously: one map per 10 steps here.
  expect(r.readbacksPerStep).toBeCloseTo(0.1, 5);
  expect(r.lastLoss).toBeLessThan(r.firstLoss);
});

for (const [impl, backend] of [['jax', 'webgpu'], ['jax', 'wasm'], ['tfjs', 'webgpu'], ['tfjs', 'cpu']] as const) {
  for (const workload of ['mnist-lstm', 'ptb-small'] as const) {
    test(`${impl} ${backend}: the tiny ${workload} step trains`, async ({ page }) => {
      // TF.js's webgpu backend is slow here (hundreds of tiny kernels per step on SwiftShader): fewer steps.
      const steps = impl === 'tfjs' && backend === 'webgpu' ? 4 : 10;
      const r = await measure(page, { impl, backend, workload, tiny: true, steps, reps: 2, budgetMs: 120_000 });
      expect(r.error).toBeUndefined();
      expect(r.msPerStep).toHaveLength(2);
      expect(Number.isFinite(r.firstLoss)).toBe(true);
      expect(r.lastLoss).toBeLessThan(r.firstLoss);
      if (backend === 'webgpu') expect(r.dispatchesPerStep).toBeGreaterThan(0);
      else expect(r.dispatchesPerStep).toBe(0);
    });
  }
}

test('a failing implementation is reported with its error, not hidden', async ({ page }) => {
  const r = await measure(page, { impl: 'tfjs', backend: 'wasm', workload: 'mnist-lstm', tiny: true, steps: 1, reps: 1, budgetMs: 10_000 });
  expect(r.error).toContain('TF.js runs here on webgpu, webgl or cpu');
  expect(r.msPerStep).toHaveLength(0);
});
