// Live charts of the fable run: training loss and accuracy per report (raw and smoothed), with the
// tutorial's published accuracy as a reference line.
import { useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { thin, type FableMetricPoint } from './state.ts';

export interface FableChartsProps {
  metrics: FableMetricPoint[];
  /** Iterations averaged into one report, for the headings. */
  reportEvery: number;
}

/** The tutorial's "Average Accuracy" after 50,000 iterations (2 layers of 512): reference-results.md §2. */
export const PUBLISHED_ACCURACY = 0.952;

const RAW = '#9db7d6';
const SMOOTH = '#1f5fa8';
const REF = '#6b7785';
const CHART_HEIGHT = 210;

const pct = (v: number) => `${(v * 100).toFixed(0)}%`;

export function FableCharts({ metrics, reportEvery }: FableChartsProps) {
  const data = useMemo(() => thin(metrics), [metrics]);
  const first = metrics[0];
  const last = metrics[metrics.length - 1];
  const xAxis = (
    <XAxis
      dataKey="step"
      type="number"
      domain={['dataMin', 'dataMax']}
      allowDecimals={false}
      tickFormatter={(v: number) => v.toLocaleString('en-US')}
      fontSize={11}
      label={{ value: 'iteration', position: 'insideBottomRight', offset: -2, fontSize: 11, fill: REF }}
    />
  );
  return (
    <div className="panel charts fable-charts">
      <div className="chart" data-testid="fable-loss-chart" data-points={metrics.length}>
        <h3>
          Training loss{' '}
          <span className="muted small">
            latest{' '}
            <span data-testid="fable-latest-loss" data-value={last?.loss ?? ''} data-first={first?.loss ?? ''}>
              {last ? last.loss.toFixed(4) : '–'}
            </span>
          </span>
        </h3>
        <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 400, height: CHART_HEIGHT }}>
          <LineChart data={data} margin={{ top: 6, right: 12, bottom: 6, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            {xAxis}
            <YAxis domain={[0, 'auto']} width={44} fontSize={11} tickFormatter={(v: number) => v.toFixed(1)} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? v.toFixed(4) : String(v))} labelFormatter={(s) => `iteration ${s}`} isAnimationActive={false} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Line type="linear" dataKey="loss" name="loss" stroke={RAW} dot={metrics.length < 3} isAnimationActive={false} strokeWidth={1} />
            <Line type="linear" dataKey="lossEma" name="smoothed" stroke={SMOOTH} dot={false} isAnimationActive={false} strokeWidth={2} />
          </LineChart>
        </ResponsiveContainer>
      </div>

      <div className="chart" data-testid="fable-accuracy-chart" data-points={metrics.length}>
        <h3>
          Training accuracy{' '}
          <span className="muted small" data-testid="fable-latest-accuracy">
            latest {last ? `${(last.accuracy * 100).toFixed(1)}%` : '–'}
          </span>
        </h3>
        <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 400, height: CHART_HEIGHT }}>
          <LineChart data={data} margin={{ top: 6, right: 12, bottom: 6, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            {xAxis}
            <YAxis domain={[0, 1]} width={44} fontSize={11} tickFormatter={pct} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? `${(v * 100).toFixed(1)}%` : String(v))} labelFormatter={(s) => `iteration ${s}`} isAnimationActive={false} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <ReferenceLine
              y={PUBLISHED_ACCURACY}
              stroke={REF}
              strokeDasharray="5 4"
              label={{ value: 'published 95.2% (original, 50,000 it.)', position: 'insideBottomRight', fontSize: 11, fill: REF }}
            />
            <Line type="linear" dataKey="accuracy" name="accuracy" stroke={RAW} dot={metrics.length < 3} isAnimationActive={false} strokeWidth={1} />
            <Line type="linear" dataKey="accuracyEma" name="smoothed" stroke={SMOOTH} dot={false} isAnimationActive={false} strokeWidth={2} />
          </LineChart>
        </ResponsiveContainer>
      </div>
      <p className="muted small fable-charts-note">
        Each point averages the {reportEvery.toLocaleString('en-US')} iterations before it. The published figure is the tutorial's
        mean training accuracy over its last 1,000 iterations.
      </p>
    </div>
  );
}
