// One live line chart of a training metric: the raw series and its smoothed (or running) companion, an optional
// published reference line, and a heading with the latest value. Used by every task's loss / accuracy /
// perplexity chart; the per-epoch charts with their own axes stay with their panels.
import type { ReactNode } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';

export const CHART_COLORS = { raw: '#9db7d6', smooth: '#1f5fa8', accent: '#b8461b', reference: '#6b7785' } as const;
export const CHART_HEIGHT = 210;

export interface SeriesLine {
  key: string;
  name: string;
  /** 'raw': thin and light; 'smooth': thick and dark. */
  style: 'raw' | 'smooth';
}

export interface SeriesChartProps {
  testId: string;
  title: ReactNode;
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

export function SeriesChart({ testId, title, latest, data, points, x, y, tooltip, lines, reference, className }: SeriesChartProps) {
  const C = CHART_COLORS;
  return (
    <div className={`chart ${className ?? ''}`.trim()} data-testid={testId} data-points={points}>
      <h3>
        {title} {latest !== undefined && <span className="muted small">{latest}</span>}
      </h3>
      <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 400, height: CHART_HEIGHT }}>
        <LineChart data={data as object[]} margin={{ top: 6, right: 12, bottom: 6, left: 0 }}>
          <CartesianGrid stroke="#eef0f3" />
          <XAxis
            dataKey={x.key}
            type="number"
            domain={['dataMin', 'dataMax']}
            allowDecimals={false}
            tickFormatter={(v: number) => v.toLocaleString('en-US')}
            fontSize={11}
            label={x.showLabel === false ? undefined : { value: x.unit, position: 'insideBottomRight', offset: -2, fontSize: 11, fill: C.reference }}
          />
          <YAxis
            scale={y.log ? 'log' : 'auto'}
            domain={y.domain}
            ticks={y.ticks}
            allowDataOverflow={Boolean(y.log)}
            width={46}
            fontSize={11}
            tickFormatter={y.format}
          />
          <Tooltip
            formatter={(v) => (typeof v === 'number' ? tooltip(v) : String(v))}
            labelFormatter={(s) => `${x.unit} ${Number(s).toLocaleString('en-US')}`}
            isAnimationActive={false}
          />
          <Legend wrapperStyle={{ fontSize: 12 }} />
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
  );
}
