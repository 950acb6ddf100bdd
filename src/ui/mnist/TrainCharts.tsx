// Live charts: training loss and accuracy per report (raw and smoothed), test accuracy per epoch.
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { PUBLISHED, type Cell } from './config.ts';
import type { EpochPoint, MetricPoint } from './state.ts';

export interface TrainChartsProps {
  metrics: MetricPoint[];
  epochs: EpochPoint[];
  cell: Cell;
}

const RAW = '#9db7d6';
const SMOOTH = '#1f5fa8';
const TEST = '#b8461b';
const REF = '#6b7785';
const CHART_HEIGHT = 210;
/** Before the first epoch: one empty point, so the axes and the published reference line show already. */
const NO_EPOCHS: Partial<EpochPoint>[] = [{ epoch: 0 }];

const pct = (v: number) => `${Math.round(v * 100)}%`;
const fmt = (v: unknown, digits: number) => (typeof v === 'number' ? v.toFixed(digits) : String(v));

export function TrainCharts({ metrics, epochs, cell }: TrainChartsProps) {
  const first = metrics[0];
  const last = metrics[metrics.length - 1];
  const published = PUBLISHED[cell];
  const lastEpoch = epochs[epochs.length - 1];
  // Test accuracy axis: from 90% (or lower, in steps of 10%, when an epoch scored below) to 100%.
  const minAcc = Math.min(0.9, ...epochs.map((e) => e.testAccuracy));
  const testStep = minAcc >= 0.9 ? 0.02 : minAcc >= 0.5 ? 0.1 : 0.2;
  const testLo = minAcc >= 0.9 ? 0.9 : Math.max(0, Math.floor(minAcc / testStep + 1e-9) * testStep);
  const testTicks = Array.from({ length: Math.round((1 - testLo) / testStep) + 1 }, (_, i) => Math.round((testLo + i * testStep) * 100) / 100);
  return (
    <div className="panel charts">
      <div className="chart" data-testid="loss-chart" data-points={metrics.length}>
        <h3>
          Training loss{' '}
          <span className="muted small">
            latest{' '}
            <span data-testid="latest-loss" data-value={last?.loss ?? ''} data-first={first?.loss ?? ''}>
              {last ? last.loss.toFixed(4) : '–'}
            </span>
          </span>
        </h3>
        <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 400, height: CHART_HEIGHT }}>
          <LineChart data={metrics} margin={{ top: 6, right: 12, bottom: 2, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => v.toLocaleString('en-US')} fontSize={11} />
            <YAxis domain={[0, 'auto']} width={48} fontSize={11} tickFormatter={(v: number) => v.toFixed(1)} />
            <Tooltip formatter={(v) => fmt(v, 4)} labelFormatter={(s) => `step ${s}`} isAnimationActive={false} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Line type="linear" dataKey="loss" name="loss" stroke={RAW} dot={false} isAnimationActive={false} strokeWidth={1} />
            <Line type="linear" dataKey="lossEma" name="smoothed" stroke={SMOOTH} dot={false} isAnimationActive={false} strokeWidth={2} />
          </LineChart>
        </ResponsiveContainer>
      </div>

      <div className="chart" data-testid="accuracy-chart" data-points={metrics.length}>
        <h3>
          Training accuracy <span className="muted small">latest {last ? pct(last.accuracy) : '–'}</span>
        </h3>
        <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 400, height: CHART_HEIGHT }}>
          <LineChart data={metrics} margin={{ top: 6, right: 12, bottom: 2, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            <XAxis dataKey="step" type="number" domain={['dataMin', 'dataMax']} tickFormatter={(v: number) => v.toLocaleString('en-US')} fontSize={11} />
            <YAxis domain={[0, 1]} width={48} fontSize={11} tickFormatter={pct} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? pct(v) : String(v))} labelFormatter={(s) => `step ${s}`} isAnimationActive={false} />
            <Legend wrapperStyle={{ fontSize: 12 }} />
            <Line type="linear" dataKey="accuracy" name="accuracy" stroke={RAW} dot={false} isAnimationActive={false} strokeWidth={1} />
            <Line type="linear" dataKey="accuracyEma" name="smoothed" stroke={SMOOTH} dot={false} isAnimationActive={false} strokeWidth={2} />
          </LineChart>
        </ResponsiveContainer>
      </div>

      <div className="chart" data-testid="test-accuracy-chart" data-points={epochs.length}>
        <h3>
          Test accuracy per epoch{' '}
          <span className="muted small" data-testid="latest-test-accuracy">
            {lastEpoch ? `latest ${(lastEpoch.testAccuracy * 100).toFixed(2)}%` : 'after epoch 1'}
          </span>
        </h3>
        <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 400, height: CHART_HEIGHT }}>
          <LineChart data={epochs.length ? epochs : NO_EPOCHS} margin={{ top: 6, right: 12, bottom: 2, left: 0 }}>
            <CartesianGrid stroke="#eef0f3" />
            <XAxis dataKey="epoch" type="number" domain={[0, (max: number) => Math.max(max, 1)]} allowDecimals={false} fontSize={11} />
            <YAxis type="number" domain={[testLo, 1]} allowDataOverflow ticks={testTicks} width={48} fontSize={11} tickFormatter={(v: number) => `${(v * 100).toFixed(0)}%`} />
            <Tooltip formatter={(v) => (typeof v === 'number' ? `${(v * 100).toFixed(2)}%` : String(v))} labelFormatter={(s) => `epoch ${s}`} isAnimationActive={false} />
            <ReferenceLine y={published.accuracy} stroke={REF} strokeDasharray="5 4" label={{ value: published.label, position: 'insideBottomRight', fontSize: 11, fill: REF }} />
            <Line type="linear" dataKey="testAccuracy" name="test accuracy" stroke={TEST} dot={{ r: 3 }} isAnimationActive={false} strokeWidth={2} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </div>
  );
}
