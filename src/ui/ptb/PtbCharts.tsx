// Live charts of a PTB run: training perplexity every N steps (log scale), train / validation perplexity per
// epoch with the tutorial's published figures, and the learning rate per epoch against the planned schedule.
import { useId, useMemo } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { CHART_HEIGHT, ChartSummary, SeriesChart, chartChrome } from '../SeriesChart.tsx';
import { useChartColors } from '../theme.ts';
import { ptbLearningRate, type PtbConfig } from '../../engine/ptb.ts';
import { thin } from '../fable/state.ts';
import { formatPerplexity, type PtbEpochPoint, type PtbMetricPoint } from './state.ts';

export interface PtbChartsProps {
  metrics: PtbMetricPoint[];
  epochs: PtbEpochPoint[];
  /** The config of the run (or the one in the form before a run). */
  config: PtbConfig | null;
  /** Published figures of the preset, and whether the config is that preset unchanged. */
  published: { name: string; train: number; valid: number; test: number } | null;
  edited: boolean;
  reportEvery: number | null;
}

/** A log axis: domain and 1-2-5 ticks covering the values. */
function logAxis(values: number[]): { domain: [number, number]; ticks: number[] } {
  const v = values.filter((x) => Number.isFinite(x) && x > 0);
  if (v.length === 0) return { domain: [10, 10000], ticks: [10, 100, 1000, 10000] };
  const lo = Math.min(...v) / 1.15;
  const hi = Math.max(...v) * 1.15;
  // 1-2-5 ticks, denser when the range is narrow.
  let ticks: number[] = [];
  for (const mantissas of [[1, 2, 5], [1, 1.5, 2, 3, 5, 7], [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 7, 8, 9]]) {
    ticks = [];
    for (let e = Math.floor(Math.log10(lo)); e <= Math.ceil(Math.log10(hi)); e++) {
      for (const m of mantissas) {
        const t = +(m * 10 ** e).toPrecision(3);
        if (t >= lo && t <= hi) ticks.push(t);
      }
    }
    if (ticks.length >= 3) break;
  }
  return { domain: [lo, hi], ticks: ticks.length >= 2 ? ticks : [lo, hi].map((x) => +x.toPrecision(2)) };
}

const tickPerplexity = (v: number) => (v >= 1000 ? `${+(v / 1000).toPrecision(3)}k` : String(+v.toPrecision(3)));
const fmt = (v: unknown) => (typeof v === 'number' ? formatPerplexity(v) : String(v));

/** The two per-epoch charts in words. */
function epochSummary(epochs: PtbEpochPoint[], published: PtbChartsProps['published']): string {
  const per = epochs.map((e) => `epoch ${e.epoch}: train ${formatPerplexity(e.train)}, valid ${formatPerplexity(e.valid)}${e.partial ? ' (partial)' : ''}`);
  const ref = published ? ` Reference lines: published valid ${published.valid}, test ${published.test} (${published.name}).` : '';
  return `Perplexity per epoch: ${per.length ? `${per.join('; ')}.` : 'no epoch finished yet.'}${ref}`;
}

function lrSummary(epochs: PtbEpochPoint[], config: PtbConfig | null): string {
  const used = epochs.map((e) => `epoch ${e.epoch} ${+e.lr.toPrecision(4)}`).join(', ');
  const plan = config ? ` The schedule starts at ${config.learningRate}, kept for ${config.maxEpoch} epoch${config.maxEpoch === 1 ? '' : 's'}, then multiplied by ${+config.lrDecay.toPrecision(4)} each epoch.` : '';
  return `Learning rate per epoch: ${used ? `${used}.` : 'no epoch finished yet.'}${plan}`;
}

export function PtbCharts({ metrics, epochs, config, published, edited, reportEvery }: PtbChartsProps) {
  const C = useChartColors();
  const chrome = chartChrome(C);
  const epochSummaryId = useId();
  const lrSummaryId = useId();
  const SMOOTH = C.smooth;
  const VALID = C.accent;
  const REF = C.reference;
  const data = useMemo(() => thin(metrics), [metrics]);
  const first = metrics[0];
  const last = metrics[metrics.length - 1];
  const lastEpoch = epochs[epochs.length - 1];
  const refSuffix = published ? ` (${published.name}${edited ? ' preset' : ''})` : '';

  const trainAxis = useMemo(
    // Before the first report: from 10,000 (a uniform guess over the PTB vocabulary) down.
    () => logAxis([...(data.length ? data.flatMap((m) => [m.perplexity, m.recent]) : [10_000]), ...(published ? [published.train] : [])]),
    [data, published],
  );
  const epochAxis = useMemo(
    () => logAxis([...epochs.flatMap((e) => [e.train, e.valid]), ...(published ? [published.valid, published.test] : [])]),
    [epochs, published],
  );
  const maxEpochs = Math.max(config?.maxMaxEpoch ?? 1, epochs.length, 1);
  const epochData = useMemo(() => {
    const byEpoch = new Map(epochs.map((e) => [e.epoch, e]));
    return Array.from({ length: maxEpochs }, (_, i) => {
      const e = byEpoch.get(i + 1);
      return { epoch: i + 1, planned: config ? ptbLearningRate(config, i) : undefined, lr: e?.lr, train: e?.train, valid: e?.valid };
    });
  }, [epochs, config, maxEpochs]);
  const epochTicks = maxEpochs <= 15 ? Array.from({ length: maxEpochs }, (_, i) => i + 1) : undefined;
  const epochXAxis = (
    <XAxis
      dataKey="epoch"
      type="number"
      // One epoch: its point in the middle rather than against the axis.
      domain={maxEpochs === 1 ? [0, 2] : [1, maxEpochs]}
      ticks={epochTicks}
      allowDecimals={false}
      fontSize={11}
      tick={chrome.tick}
      axisLine={chrome.axisLine}
      tickLine={chrome.axisLine}
      // Room for the dots of the first and last epochs (a single point would otherwise sit half outside).
      padding={{ left: 12, right: 12 }}
      label={{ value: 'epoch', position: 'insideBottomRight', offset: -2, fontSize: 11, fill: C.axis }}
    />
  );

  return (
    <div className="panel charts ptb-charts">
      <SeriesChart
        testId="ptb-train-chart"
        title="Training perplexity"
        latest={
          <>
            latest{' '}
            <span data-testid="ptb-latest-perplexity" data-value={last?.perplexity ?? ''} data-first={first?.perplexity ?? ''} data-recent={last?.recent ?? ''}>
              {last ? formatPerplexity(last.perplexity) : '–'}
            </span>
          </>
        }
        data={data}
        points={metrics.length}
        x={{ key: 'step', unit: 'step' }}
        y={{ domain: trainAxis.domain, ticks: trainAxis.ticks, log: true, format: tickPerplexity }}
        tooltip={formatPerplexity}
        lines={[{ key: 'recent', name: 'since last report', style: 'raw' }, { key: 'perplexity', name: 'epoch so far', style: 'smooth' }]}
        reference={published ? { y: published.train, label: `published train ${published.train}${refSuffix}`, position: 'insideBottomLeft' } : undefined}
      />

      <figure className="chart" data-testid="ptb-epoch-chart" data-points={epochs.length} aria-describedby={epochSummaryId}>
        <h3>
          Perplexity per epoch{' '}
          <span className="muted small" data-testid="ptb-latest-valid" data-value={lastEpoch?.valid ?? ''}>
            {lastEpoch ? `valid ${formatPerplexity(lastEpoch.valid)}${lastEpoch.partial ? ' (partial)' : ''}` : 'after epoch 1'}
          </span>
        </h3>
        <ChartSummary id={epochSummaryId}>{epochSummary(epochs, published)}</ChartSummary>
        <div aria-hidden="true">
          <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 400, height: CHART_HEIGHT }}>
            <LineChart data={epochData} margin={{ top: 6, right: 12, bottom: 6, left: 0 }} accessibilityLayer={false}>
              <CartesianGrid stroke={C.grid} />
              {epochXAxis}
              <YAxis
                scale="log"
                domain={epochAxis.domain}
                ticks={epochAxis.ticks}
                allowDataOverflow
                width={44}
                fontSize={11}
                tick={chrome.tick}
                axisLine={chrome.axisLine}
                tickLine={chrome.axisLine}
                tickFormatter={tickPerplexity}
              />
              <Tooltip formatter={fmt} labelFormatter={(s) => `epoch ${s}`} isAnimationActive={false} {...chrome.tooltip} />
              <Legend wrapperStyle={chrome.legend} formatter={chrome.legendText} />
              {published && (
                <ReferenceLine
                  y={published.valid}
                  stroke={VALID}
                  strokeDasharray="5 4"
                  label={{ value: `published valid ${published.valid}`, position: 'insideTopLeft', fontSize: 11, fill: VALID }}
                />
              )}
              {published && (
                <ReferenceLine
                  y={published.test}
                  stroke={REF}
                  strokeDasharray="2 4"
                  label={{ value: `test ${published.test}${refSuffix}`, position: 'insideBottomRight', fontSize: 11, fill: REF }}
                />
              )}
              <Line type="linear" dataKey="train" name="train" stroke={SMOOTH} dot={{ r: 3, fill: SMOOTH }} isAnimationActive={false} strokeWidth={2} connectNulls />
              <Line type="linear" dataKey="valid" name="valid" stroke={VALID} dot={{ r: 3, fill: VALID }} isAnimationActive={false} strokeWidth={2} connectNulls />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </figure>

      <figure className="chart" data-testid="ptb-lr-chart" data-points={epochs.length} aria-describedby={lrSummaryId}>
        <h3>
          Learning rate per epoch{' '}
          <span className="muted small">{lastEpoch ? `latest ${+lastEpoch.lr.toPrecision(4)}` : config ? `starts at ${config.learningRate}` : ''}</span>
        </h3>
        <ChartSummary id={lrSummaryId}>{lrSummary(epochs, config)}</ChartSummary>
        <div aria-hidden="true">
          <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 400, height: CHART_HEIGHT }}>
            <LineChart data={epochData} margin={{ top: 6, right: 12, bottom: 6, left: 0 }} accessibilityLayer={false}>
              <CartesianGrid stroke={C.grid} />
              {epochXAxis}
              <YAxis
                domain={[0, 'auto']}
                padding={{ top: 8 }}
                width={44}
                fontSize={11}
                tick={chrome.tick}
                axisLine={chrome.axisLine}
                tickLine={chrome.axisLine}
                tickFormatter={(v: number) => String(+v.toPrecision(3))}
              />
              <Tooltip
                formatter={(v) => (typeof v === 'number' ? String(+v.toPrecision(4)) : String(v))}
                labelFormatter={(s) => `epoch ${s}`}
                isAnimationActive={false}
                {...chrome.tooltip}
              />
              <Legend wrapperStyle={chrome.legend} formatter={chrome.legendText} />
              <Line type="stepAfter" dataKey="planned" name="schedule" stroke={REF} strokeDasharray="5 4" dot={false} isAnimationActive={false} strokeWidth={1} />
              <Line type="linear" dataKey="lr" name="used" stroke={SMOOTH} dot={{ r: 3, fill: SMOOTH }} isAnimationActive={false} strokeWidth={2} />
            </LineChart>
          </ResponsiveContainer>
        </div>
      </figure>
      <p className="muted small ptb-charts-note">
        Training perplexity is exp(mean loss): “epoch so far” is the tutorial's running figure since the start of the epoch, “since last report” covers
        the last {reportEvery ? `${reportEvery.toLocaleString('en-US')} step${reportEvery === 1 ? '' : 's'}` : 'report interval'}. The published
        figures are the tutorial's after the full {published?.name ?? ''} recipe; partial epochs or evaluations are not comparable with them.
      </p>
    </div>
  );
}
