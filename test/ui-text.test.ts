// The words that stand in for pictures (chart summaries, heatmap labels) and the PTB quick demo's form: pure
// functions of the UI, tested without a browser.
import { describe, expect, it } from 'vitest';
import { heatmapLabel } from '../src/ui/mnist/Heatmap.tsx';
import { formFromPreset, isPresetUnchanged, validateForm } from '../src/ui/ptb/config.ts';
import { seriesSummary } from '../src/ui/SeriesChart.tsx';

describe('chart summaries', () => {
  const lines = [
    { key: 'loss', name: 'loss', style: 'raw' as const },
    { key: 'lossEma', name: 'smoothed', style: 'smooth' as const },
  ];
  const x = { key: 'step', unit: 'step' };
  const f = (v: number) => v.toFixed(2);

  it('names the span, the latest and the first values', () => {
    const data = [
      { step: 10, loss: 2.3, lossEma: 2.3 },
      { step: 20, loss: 1.5, lossEma: 2.18 },
      { step: 1200, loss: 0.5, lossEma: 0.61 },
    ];
    expect(seriesSummary('Training loss', data, x, lines, f)).toBe(
      'Training loss: 3 points, step 10 to 1,200. Latest (step 1,200): loss 0.50, smoothed 0.61. First: loss 2.30, smoothed 2.30.',
    );
  });

  it('says when there is nothing yet, and handles one point and missing values', () => {
    expect(seriesSummary('Training loss', [], x, lines, f)).toBe('Training loss: no points yet.');
    expect(seriesSummary('Training loss', [{ step: 5, loss: 1 }], x, lines, f)).toBe('Training loss: 1 point, step 5. Latest (step 5): loss 1.00.');
  });
});

describe('heatmap labels', () => {
  it('describe the shape and the last time step: range, mean and the strongest unit', () => {
    const rows = 3;
    const cols = 4;
    const values = new Float32Array([0, 0, 0, 0, 0.5, 0.5, 0.5, 0.5, 0.25, -0.75, 0.5, 0]);
    expect(heatmapLabel('hidden state h', values, rows, cols)).toBe(
      'hidden state h: 3 time steps by 4 hidden units. At the last step (2): values from -0.75 to 0.50, mean 0.00; strongest unit 1 (-0.75).',
    );
  });
});

describe('the PTB quick demo', () => {
  it('is a valid config with its own limits, marked as the demo', () => {
    const form = formFromPreset('demo');
    expect(isPresetUnchanged(form)).toBe(true);
    const { errors, valid } = validateForm(form);
    expect(errors).toEqual({});
    expect(valid!.config).toMatchObject({ name: 'demo', numLayers: 1, hiddenSize: 32, maxMaxEpoch: 1 });
    expect(valid!.options).toMatchObject({ stepLimit: 100, validLimit: 10, testLimit: 100, reportEvery: 5 });
  });

  it("leaving the demo clears its limits; the tutorial's configs keep the options typed", () => {
    const small = formFromPreset('small', formFromPreset('demo'));
    expect(small.options.stepLimit).toBe('');
    expect(validateForm(small).valid!.options.stepLimit).toBeNull();
    const typed = { ...small, options: { ...small.options, stepLimit: '50' } };
    expect(formFromPreset('medium', typed).options.stepLimit).toBe('50');
    expect(formFromPreset('demo', typed).options.stepLimit).toBe('100');
  });
});
