// The "check gradients" diagnostic (src/engine/gradcheck.ts): every kernel family's recorded backward against
// central finite differences of its forward on this device; and the comparison must be able to fail.
import { describe, expect, it } from 'vitest';
import { GRADCHECK_FLOOR, GRADCHECK_TOLERANCE, compareGradients, runGradientCheck, runGradientCheckDetailed } from '../src/engine/gradcheck.ts';
import { testDevice } from './gpu.ts';

const FAMILIES = ['matmul (linear)', 'lstm step, 1-row kernels (fwd+bwd)', 'lstm step, 8-row tiles (fwd+bwd)', 'rnn step (fwd+bwd)', 'embedding', 'softmax cross-entropy', 'dropout'];

describe('gradient check', () => {
  it('every kernel family passes on this device', async () => {
    const device = await testDevice();
    const t0 = performance.now();
    const detailed = await runGradientCheckDetailed(device);
    const seconds = (performance.now() - t0) / 1000;
    if (process.env.GPU_TEST_VERBOSE) {
      console.log(`gradient check: ${seconds.toFixed(2)} s`);
      for (const f of detailed) {
        console.log(`${f.kernel}: worst ${f.worstRelError.toExponential(2)} (${f.checked} elements)`);
        for (const p of f.params) console.log(`  ${p.name}: worst ${p.worst.toExponential(2)} at [${p.worstIndex}]`, p.analytic.map((a, i) => `${a.toPrecision(5)}/${p.numeric[i]!.toPrecision(5)}`).join(' '));
      }
    }
    expect(detailed.map((f) => f.kernel)).toEqual(FAMILIES);
    for (const f of detailed) {
      const failures = f.params.filter((p) => !(p.worst <= GRADCHECK_TOLERANCE));
      const why = failures.map((p) => `${p.name}[${p.worstIndex}] error ${p.worst}: analytic ${p.analytic} vs numeric ${p.numeric}`).join('; ');
      expect(f.ok, `${f.kernel}: ${why}`).toBe(true);
      expect(f.worstRelError).toBeLessThanOrEqual(f.tolerance);
      expect(f.tolerance).toBe(GRADCHECK_TOLERANCE);
      expect(f.checked).toBe(f.params.reduce((n, p) => n + p.indices.length, 0));
      // every parameter checked, 6 elements each (or all of a smaller one)
      for (const p of f.params) expect(p.indices.length, `${f.kernel} ${p.name}`).toBe(Math.min(6, p.size));
    }
    expect(seconds).toBeLessThan(20);
  }, 60_000);

  it('the public API: KernelCheck records, samplesPerParam honoured', async () => {
    const device = await testDevice();
    const results = await runGradientCheck(device, { samplesPerParam: 2, seed: 7 });
    expect(results.map((r) => r.kernel)).toEqual(FAMILIES);
    for (const r of results) {
      expect(Object.keys(r).sort()).toEqual(['checked', 'kernel', 'ok', 'tolerance', 'worstRelError']);
      expect(r.ok, `${r.kernel}: ${r.worstRelError}`).toBe(true);
      expect(r.checked % 2).toBe(0);
      expect(r.checked).toBeGreaterThanOrEqual(2);
    }
  }, 60_000);

  it('a corrupted analytic gradient fails its family only', async () => {
    const device = await testDevice();
    const detailed = await runGradientCheckDetailed(device, {
      samplesPerParam: 2,
      tamper: (kernel, param, grad) => {
        if (kernel === 'lstm step, 8-row tiles (fwd+bwd)' && param === 'Wh') for (let i = 0; i < grad.length; i++) grad[i]! *= 1.3;
      },
    });
    for (const f of detailed) {
      const bad = f.kernel === 'lstm step, 8-row tiles (fwd+bwd)';
      expect(f.ok, f.kernel).toBe(!bad);
      if (bad) {
        expect(f.worstRelError).toBeGreaterThan(0.2); // 1 - 1/1.3 on the largest element
        expect(f.params.find((p) => p.name === 'Wh')!.worst).toBe(f.worstRelError);
      }
    }
  }, 60_000);

  it('compareGradients fails a wrong analytic gradient', () => {
    const numeric = [0.5, -0.25, 1e-4, 0.8];
    expect(compareGradients(numeric, numeric).worst).toBe(0);
    // f32 central-difference noise (~1e-4 absolute) passes, also on a tiny element (below the floor)
    const noisy = compareGradients([0.5001, -0.2499, 2e-4, 0.8], numeric);
    expect(noisy.worst).toBeLessThan(GRADCHECK_TOLERANCE);
    // a wrong sign, a missing factor, a dropped element: each fails, and the worst element is named
    expect(compareGradients([0.5, 0.25, 1e-4, 0.8], numeric)).toEqual({ worst: 2, index: 1 });
    expect(compareGradients([0.5, -0.25, 1e-4, 0.4], numeric).worst).toBeCloseTo(0.5, 12);
    expect(compareGradients([0.5, -0.25, 1e-4, 0], numeric).worst).toBe(1);
    expect(compareGradients([0.5, -0.25, 0.05, 0.8], numeric, GRADCHECK_FLOOR).worst).toBeGreaterThan(GRADCHECK_TOLERANCE);
    expect(compareGradients([0.5, NaN, 1e-4, 0.8], numeric).worst).toBe(Infinity);
  });
});
