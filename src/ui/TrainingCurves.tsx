// The live training curves every classifier-like run shows (MNIST, the fable): loss and accuracy per report, raw
// and smoothed, with the latest figures; a panel adds its own charts beside them.
import type { ReactNode } from 'react';
import { SeriesChart } from './SeriesChart.tsx';

export interface CurvePoint {
  step: number;
  loss: number;
  lossEma: number;
  accuracy: number;
  accuracyEma: number;
}

export interface TrainingCurvesProps {
  /** What the charts draw (already thinned where long); `all` for the latest figures and the point count. */
  data: readonly CurvePoint[];
  all: readonly CurvePoint[];
  /** Test ids: `${prefix}loss-chart`, `${prefix}latest-loss`, `${prefix}accuracy-chart`, `${prefix}latest-accuracy`. */
  testIdPrefix: string;
  x: { key: string; unit: string; showLabel?: boolean };
  /** A published accuracy drawn as a reference line. */
  reference?: { y: number; label: string };
  accuracyDigits?: number;
}

const pct = (v: number) => `${Math.round(v * 100)}%`;

export function TrainingCurves({ data, all, testIdPrefix: p, x, reference, accuracyDigits = 0 }: TrainingCurvesProps): ReactNode {
  const first = all[0];
  const last = all[all.length - 1];
  const accuracy = (v: number) => `${(v * 100).toFixed(accuracyDigits)}%`;
  return (
    <>
      <SeriesChart
        testId={`${p}loss-chart`}
        title="Training loss"
        latest={
          <>
            latest{' '}
            <span data-testid={`${p}latest-loss`} data-value={last?.loss ?? ''} data-first={first?.loss ?? ''}>
              {last ? last.loss.toFixed(4) : '–'}
            </span>
          </>
        }
        data={data as CurvePoint[]}
        points={all.length}
        x={x}
        y={{ domain: [0, 'auto'], format: (v) => v.toFixed(1) }}
        tooltip={(v) => v.toFixed(4)}
        lines={[{ key: 'loss', name: 'loss', style: 'raw' }, { key: 'lossEma', name: 'smoothed', style: 'smooth' }]}
      />
      <SeriesChart
        testId={`${p}accuracy-chart`}
        title="Training accuracy"
        latest={<span data-testid={`${p}latest-accuracy`}>latest {last ? accuracy(last.accuracy) : '–'}</span>}
        data={data as CurvePoint[]}
        points={all.length}
        x={x}
        y={{ domain: [0, 1], format: pct }}
        tooltip={(v) => `${(v * 100).toFixed(1)}%`}
        lines={[{ key: 'accuracy', name: 'accuracy', style: 'raw' }, { key: 'accuracyEma', name: 'smoothed', style: 'smooth' }]}
        reference={reference}
      />
    </>
  );
}
