// One live line chart of a training metric: the raw series and its smoothed (or running) companion, an optional
// published reference line, and a heading with the latest value. Used by every task's loss / accuracy /
// perplexity chart; the per-epoch charts with their own axes stay with their panels.
// The chart itself is hidden from screen readers and is no focus stop; a visually hidden summary (what it shows,
// how many points, the first and latest values) stands in for it.
import { useId, type ReactNode } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { useChartColors, type ChartColors } from './theme.ts';

export const CHART_HEIGHT = 210;

/** Axis ticks, labels, tooltip and legend in the theme's colours (recharts takes them as props). */
export function chartChrome(C: ChartColors) {
  return {
    tick: { fill: C.axis },
    axisLine: { stroke: C.axis },
    tooltip: {
      contentStyle: { background: C.tooltipBg, borderColor: C.tooltipBorder, color: C.text },
      labelStyle: { color: C.text },
    },
    legend: { fontSize: 12, color: C.text },
    /** Legend labels in the text colour (recharts paints them in the line's colour, too faint for text). */
    legendText: (value: string) => <span style={{ color: C.text }}>{value}</span>,
  };
}

/** A chart's text equivalent, read by screen readers in place of the SVG. */
export function ChartSummary({ id, children }: { id: string; children: ReactNode }) {
  return (
    <p id={id} className="visually-hidden" data-testid="chart-summary">
      {children}
    </p>
  );
}

export interface SeriesLine {
  key: string;
  name: string;
  /** 'raw': thin and light; 'smooth': thick and dark. */
  style: 'raw' | 'smooth';
}

export interface SeriesChartProps {
  testId: string;
  title: string;
  /** Shown after the title (e.g. the latest value, with its own test id). */
  latest?: ReactNode;
  data: readonly object[];
  /** How many reports the chart holds (data-points, what the e2e tests count). */
  points: number;
  /** The x key of `data` and its unit in tooltips and the axis label ('step', 'iteration'). */
  x: { key: string; unit: string; showLabel?: boolean };
  y: {
    domain: [number | 'auto' | 'dataMin', number | 'auto' | 'dataMax'];
    ticks?: number[];
    log?: boolean;
    format: (v: number) => string;
  };
  tooltip: (v: number) => string;
  lines: SeriesLine[];
  reference?: { y: number; label: string; position?: 'insideBottomRight' | 'insideBottomLeft' | 'insideTopLeft' };
  className?: string;
}

/** "Training loss: 12 points, step 10 to 120. Latest (step 120): loss 0.52, smoothed 0.61. First: loss 2.30." */
export function seriesSummary(title: string, data: readonly object[], x: SeriesChartProps['x'], lines: SeriesLine[], format: (v: number) => string): string {
  const rows = data as readonly Record<string, unknown>[];
  if (rows.length === 0) return `${title}: no points yet.`;
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  const xOf = (r: Record<string, unknown>) => Number(r[x.key]).toLocaleString('en-US');
  const values = (r: Record<string, unknown>) =>
    lines
      .filter((l) => typeof r[l.key] === 'number')
      .map((l) => `${l.name} ${format(r[l.key] as number)}`)
      .join(', ');
  const span = rows.length === 1 ? `${x.unit} ${xOf(last)}` : `${x.unit} ${xOf(first)} to ${xOf(last)}`;
  const head = `${title}: ${rows.length} point${rows.length === 1 ? '' : 's'}, ${span}. Latest (${x.unit} ${xOf(last)}): ${values(last)}.`;
  return rows.length === 1 ? head : `${head} First: ${values(first)}.`;
}

export function SeriesChart({ testId, title, latest, data, points, x, y, tooltip, lines, reference, className }: SeriesChartProps) {
  const C = useChartColors();
  const chrome = chartChrome(C);
  const summaryId = useId();
  return (
    <figure className={`chart ${className ?? ''}`.trim()} data-testid={testId} data-points={points} aria-describedby={summaryId}>
      <h3>
        {title} {latest !== undefined && <span className="muted small">{latest}</span>}
      </h3>
      <ChartSummary id={summaryId}>
        {seriesSummary(title, data, x, lines, tooltip)}
        {reference ? ` Reference line: ${reference.label}.` : ''}
      </ChartSummary>
      <div aria-hidden="true">
        <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 400, height: CHART_HEIGHT }}>
          <LineChart data={data as object[]} margin={{ top: 6, right: 12, bottom: 6, left: 0 }} accessibilityLayer={false}>
            <CartesianGrid stroke={C.grid} />
            <XAxis
              dataKey={x.key}
              type="number"
              domain={['dataMin', 'dataMax']}
              allowDecimals={false}
              tickFormatter={(v: number) => v.toLocaleString('en-US')}
              fontSize={11}
              tick={chrome.tick}
              axisLine={chrome.axisLine}
              tickLine={chrome.axisLine}
              label={x.showLabel === false ? undefined : { value: x.unit, position: 'insideBottomRight', offset: -2, fontSize: 11, fill: C.axis }}
            />
            <YAxis
              scale={y.log ? 'log' : 'auto'}
              domain={y.domain}
              ticks={y.ticks}
              allowDataOverflow={Boolean(y.log)}
              width={46}
              fontSize={11}
              tick={chrome.tick}
              axisLine={chrome.axisLine}
              tickLine={chrome.axisLine}
              tickFormatter={y.format}
            />
            <Tooltip
              formatter={(v) => (typeof v === 'number' ? tooltip(v) : String(v))}
              labelFormatter={(s) => `${x.unit} ${Number(s).toLocaleString('en-US')}`}
              isAnimationActive={false}
              {...chrome.tooltip}
            />
            <Legend wrapperStyle={chrome.legend} formatter={chrome.legendText} />
            {reference && (
              <ReferenceLine
                y={reference.y}
                stroke={C.reference}
                strokeDasharray="5 4"
                label={{ value: reference.label, position: reference.position ?? 'insideBottomRight', fontSize: 11, fill: C.reference }}
              />
            )}
            {lines.map((l) => (
              <Line
                key={l.key}
                type="linear"
                dataKey={l.key}
                name={l.name}
                stroke={l.style === 'raw' ? C.raw : C.smooth}
                dot={l.style === 'raw' && points < 3}
                isAnimationActive={false}
                strokeWidth={l.style === 'raw' ? 1 : 2}
              />
            ))}
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  );
}
