// Live charts of the fable run: training loss and accuracy per report (raw and smoothed), with the
// tutorial's published accuracy as a reference line.
import { useMemo } from 'react';
import { TrainingCurves } from '../TrainingCurves.tsx';
import { thin, type FableMetricPoint } from './state.ts';

export interface FableChartsProps {
  metrics: FableMetricPoint[];
  /** Iterations averaged into one report, for the headings. */
  reportEvery: number;
}

/** The tutorial's "Average Accuracy" after 50,000 iterations (2 layers of 512): reference-results.md §2. */
export const PUBLISHED_ACCURACY = 0.952;

export function FableCharts({ metrics, reportEvery }: FableChartsProps) {
  const data = useMemo(() => thin(metrics), [metrics]);
  const x = { key: 'step', unit: 'iteration' };
  return (
    <div className="panel charts fable-charts">
      <TrainingCurves
        data={data}
        all={metrics}
        testIdPrefix="fable-"
        x={x}
        accuracyDigits={1}
        reference={{ y: PUBLISHED_ACCURACY, label: 'published 95.2% (original, 50,000 it.)' }}
      />
      <p className="muted small fable-charts-note">
        Each point averages the {reportEvery.toLocaleString('en-US')} iterations before it. The published figure is the tutorial's
        mean training accuracy over its last 1,000 iterations.
      </p>
    </div>
  );
}
