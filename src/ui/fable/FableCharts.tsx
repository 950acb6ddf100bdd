// Live charts of the fable run: training loss and accuracy per report (raw and smoothed), with the
// tutorial's published accuracy as a reference line.
import { useMemo } from 'react';
import { SeriesChart } from '../SeriesChart.tsx';
import { thin, type FableMetricPoint } from './state.ts';

export interface FableChartsProps {
  metrics: FableMetricPoint[];
  /** Iterations averaged into one report, for the headings. */
  reportEvery: number;
}

/** The tutorial's "Average Accuracy" after 50,000 iterations (2 layers of 512): reference-results.md §2. */
export const PUBLISHED_ACCURACY = 0.952;

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

export function FableCharts({ metrics, reportEvery }: FableChartsProps) {
  const data = useMemo(() => thin(metrics), [metrics]);
  const first = metrics[0];
  const last = metrics[metrics.length - 1];
  const x = { key: 'step', unit: 'iteration' };
  return (
    <div className="panel charts fable-charts">
      <SeriesChart
        testId="fable-loss-chart"
        title="Training loss"
        latest={
          <>
            latest{' '}
            <span data-testid="fable-latest-loss" data-value={last?.loss ?? ''} data-first={first?.loss ?? ''}>
              {last ? last.loss.toFixed(4) : '–'}
            </span>
          </>
        }
        data={data}
        points={metrics.length}
        x={x}
        y={{ domain: [0, 'auto'], format: (v) => v.toFixed(1) }}
        tooltip={(v) => v.toFixed(4)}
        lines={[{ key: 'loss', name: 'loss', style: 'raw' }, { key: 'lossEma', name: 'smoothed', style: 'smooth' }]}
      />
      <SeriesChart
        testId="fable-accuracy-chart"
        title="Training accuracy"
        latest={<span data-testid="fable-latest-accuracy">latest {last ? `${(last.accuracy * 100).toFixed(1)}%` : '–'}</span>}
        data={data}
        points={metrics.length}
        x={x}
        y={{ domain: [0, 1], format: pct }}
        tooltip={(v) => `${(v * 100).toFixed(1)}%`}
        lines={[{ key: 'accuracy', name: 'accuracy', style: 'raw' }, { key: 'accuracyEma', name: 'smoothed', style: 'smooth' }]}
        reference={{ y: PUBLISHED_ACCURACY, label: 'published 95.2% (original, 50,000 it.)' }}
      />
      <p className="muted small fable-charts-note">
        Each point averages the {reportEvery.toLocaleString('en-US')} iterations before it. The published figure is the tutorial's
        mean training accuracy over its last 1,000 iterations.
      </p>
    </div>
  );
}
