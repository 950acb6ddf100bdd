// Live charts: training loss and accuracy per report (raw and smoothed), test accuracy per epoch.
import { useId } from 'react';
import { CartesianGrid, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { CHART_HEIGHT, ChartSummary, chartChrome } from '../SeriesChart.tsx';
import { TrainingCurves } from '../TrainingCurves.tsx';
import { useChartColors } from '../theme.ts';
import { PUBLISHED, type Cell } from './config.ts';
import type { EpochPoint, MetricPoint } from './state.ts';

export interface TrainChartsProps {
  metrics: MetricPoint[];
  epochs: EpochPoint[];
  cell: Cell;
}

const STEP = { key: 'step', unit: 'step', showLabel: false };
/** Before the first epoch: one empty point, so the axes and the published reference line show already. */
const NO_EPOCHS: Partial<EpochPoint>[] = [{ epoch: 0 }];


/** The test-accuracy chart in words: each epoch's figure and the published reference. */
function testSummary(epochs: EpochPoint[], reference: string): string {
  const per = epochs.map((e) => `epoch ${e.epoch} ${(e.testAccuracy * 100).toFixed(2)}%`).join(', ');
  return `Test accuracy per epoch: ${epochs.length ? `${per}.` : 'no epoch finished yet.'} Reference line: ${reference}.`;
}

export function TrainCharts({ metrics, epochs, cell }: TrainChartsProps) {
  const C = useChartColors();
  const chrome = chartChrome(C);
  const summaryId = useId();
  const published = PUBLISHED[cell];
  const lastEpoch = epochs[epochs.length - 1];
  // Test accuracy axis: from 90% (or lower, in steps of 10%, when an epoch scored below) to 100%.
  const minAcc = Math.min(0.9, ...epochs.map((e) => e.testAccuracy));
  const testStep = minAcc >= 0.9 ? 0.02 : minAcc >= 0.5 ? 0.1 : 0.2;
  const testLo = minAcc >= 0.9 ? 0.9 : Math.max(0, Math.floor(minAcc / testStep + 1e-9) * testStep);
  const testTicks = Array.from({ length: Math.round((1 - testLo) / testStep) + 1 }, (_, i) => Math.round((testLo + i * testStep) * 100) / 100);
  return (
    <div className="panel charts">
      <TrainingCurves data={metrics} all={metrics} testIdPrefix="" x={STEP} />

      <figure className="chart" data-testid="test-accuracy-chart" data-points={epochs.length} aria-describedby={summaryId}>
        <h3>
          Test accuracy per epoch{' '}
          <span className="muted small" data-testid="latest-test-accuracy">
            {lastEpoch ? `latest ${(lastEpoch.testAccuracy * 100).toFixed(2)}%` : 'after epoch 1'}
          </span>
        </h3>
        <ChartSummary id={summaryId}>{testSummary(epochs, published.label)}</ChartSummary>
        <div aria-hidden="true">
          <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 400, height: CHART_HEIGHT }}>
            <LineChart data={epochs.length ? epochs : NO_EPOCHS} margin={{ top: 6, right: 12, bottom: 2, left: 0 }} accessibilityLayer={false}>
              <CartesianGrid stroke={C.grid} />
              <XAxis dataKey="epoch" type="number" domain={[0, (max: number) => Math.max(max, 1)]} allowDecimals={false} fontSize={11} tick={chrome.tick} axisLine={chrome.axisLine} tickLine={chrome.axisLine} />
              <YAxis
                type="number"
                domain={[testLo, 1]}
                allowDataOverflow
                ticks={testTicks}
                width={48}
                fontSize={11}
                tick={chrome.tick}
                axisLine={chrome.axisLine}
                tickLine={chrome.axisLine}
                tickFormatter={(v: number) => `${(v * 100).toFixed(0)}%`}
              />
              <Tooltip formatter={(v) => (typeof v === 'number' ? `${(v * 100).toFixed(2)}%` : String(v))} labelFormatter={(s) => `epoch ${s}`} isAnimationActive={false} {...chrome.tooltip} />
              <ReferenceLine y={published.accuracy} stroke={C.reference} strokeDasharray="5 4" label={{ value: published.label, position: 'insideBottomRight', fontSize: 11, fill: C.reference }} />
              <Line type="linear" dataKey="testAccuracy" name="test accuracy" stroke={C.accent} dot={{ r: 3, fill: C.accent }} isAnimationActive={false} strokeWidth={2} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </figure>
    </div>
  );
}
