// Two or more saved runs of one task side by side: their curves overlaid in the same charts (one colour per run,
// a legend by run name) and their configurations in one table, the settings that differ marked.
import { useEffect, useId, useState } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { Task } from '../../engine/protocol.ts';
import { ema } from '../../engine/control.ts';
import { getCurves, type RunCurves, type SavedRun } from '../../engine/runStore.ts';
import { formatBytes, formatDuration } from '../format.ts';
import { CHART_HEIGHT, ChartSummary, chartChrome } from '../SeriesChart.tsx';
import { useChartColors, useDarkMode } from '../theme.ts';
import { bestText, TASK_LABEL } from './runs.ts';

/** One colour per run, told apart in light and dark (at least 3:1 against the card in both). */
const LIGHT_RUN_COLOURS = ['#1f5fa8', '#b8461b', '#2d7a3a', '#7b3fa0', '#8a6d00', '#b0305a'];
const DARK_RUN_COLOURS = ['#7fb2f0', '#f0945f', '#7fcf8a', '#c99cf0', '#e0c25a', '#f08fb0'];

interface Point {
  x: number;
  y: number;
}

/** A metric of a task's curves: the training reports (smoothed, so runs can be told apart) or the epochs'. */
interface MetricDef {
  id: string;
  title: string;
  unit: string;
  points: (c: RunCurves) => Point[];
  format: (v: number) => string;
}

const smoothed = (c: RunCurves, key: string): Point[] => {
  let s: number | undefined;
  const out: Point[] = [];
  for (const m of c) {
    if (m.type !== 'train-metrics' || m.values[key] === undefined) continue;
    s = ema(s, m.values[key]!, 0.15);
    out.push({ x: m.step, y: s });
  }
  return out;
};
const perEpoch = (c: RunCurves, key: string): Point[] => c.flatMap((m) => (m.type === 'phase-result' && m.values[key] !== undefined ? [{ x: m.epoch, y: m.values[key]! }] : []));
const pct = (v: number) => `${(v * 100).toFixed(1)}%`;
const fixed = (d: number) => (v: number) => v.toFixed(d);

const METRICS: Record<Task, MetricDef[]> = {
  mnist: [
    { id: 'loss', title: 'Training loss (smoothed)', unit: 'step', points: (c) => smoothed(c, 'loss'), format: fixed(3) },
    { id: 'accuracy', title: 'Training accuracy (smoothed)', unit: 'step', points: (c) => smoothed(c, 'accuracy'), format: pct },
    { id: 'test', title: 'Test accuracy after each epoch', unit: 'epoch', points: (c) => perEpoch(c, 'accuracy'), format: pct },
  ],
  fable: [
    { id: 'loss', title: 'Training loss (smoothed)', unit: 'iteration', points: (c) => smoothed(c, 'loss'), format: fixed(3) },
    { id: 'accuracy', title: 'Training accuracy (smoothed)', unit: 'iteration', points: (c) => smoothed(c, 'accuracy'), format: pct },
  ],
  ptb: [
    { id: 'recent', title: 'Training perplexity (smoothed)', unit: 'step', points: (c) => smoothed(c, 'recent'), format: fixed(1) },
    { id: 'valid', title: 'Validation perplexity after each epoch', unit: 'epoch', points: (c) => perEpoch(c, 'valid'), format: fixed(1) },
  ],
};

function CompareChart({ def, runs, curves, colours }: { def: MetricDef; runs: SavedRun[]; curves: RunCurves[]; colours: string[] }) {
  const C = useChartColors();
  const chrome = chartChrome(C);
  const summaryId = useId();
  const series = runs.map((r, i) => ({ run: r, points: def.points(curves[i]!) }));
  const summary = series
    .map(({ run, points }) => (points.length ? `${run.name}: ${points.length} points, last ${def.format(points.at(-1)!.y)} at ${def.unit} ${points.at(-1)!.x}` : `${run.name}: no points`))
    .join('; ');
  return (
    <figure className="chart" data-testid={`compare-${def.id}`} data-series={series.filter((s) => s.points.length > 0).length} aria-describedby={summaryId}>
      <h3>{def.title}</h3>
      <ChartSummary id={summaryId}>{`${def.title}. ${summary}.`}</ChartSummary>
      {series.every((x) => x.points.length === 0) ? (
        <p className="small muted">None of these runs has finished an epoch yet.</p>
      ) : (
        <div aria-hidden="true">
          <ResponsiveContainer width="100%" height={CHART_HEIGHT} initialDimension={{ width: 400, height: CHART_HEIGHT }}>
            <LineChart margin={{ top: 6, right: 12, bottom: 6, left: 0 }} accessibilityLayer={false}>
              <CartesianGrid stroke={C.grid} />
              <XAxis dataKey="x" type="number" domain={['dataMin', 'dataMax']} allowDuplicatedCategory={false} fontSize={11} tick={chrome.tick} axisLine={chrome.axisLine} tickLine={chrome.axisLine} tickFormatter={(v: number) => v.toLocaleString('en-US')} />
              <YAxis dataKey="y" domain={['auto', 'auto']} width={50} fontSize={11} tick={chrome.tick} axisLine={chrome.axisLine} tickLine={chrome.axisLine} tickFormatter={def.format} />
              <Tooltip formatter={(v) => (typeof v === 'number' ? def.format(v) : String(v))} labelFormatter={(s) => `${def.unit} ${Number(s).toLocaleString('en-US')}`} isAnimationActive={false} {...chrome.tooltip} />
              <Legend wrapperStyle={chrome.legend} formatter={chrome.legendText} />
              {series.map(({ run, points }, i) => (
                <Line key={run.id} data={points} dataKey="y" name={run.name} type="linear" stroke={colours[i % colours.length]} strokeWidth={2} dot={points.length < 12} isAnimationActive={false} />
              ))}
            </LineChart>
          </ResponsiveContainer>
        </div>
      )}
    </figure>
  );
}

/** A run's settings as rows: "config.model.hidden" -> "128". */
function flatten(v: unknown, prefix = ''): [string, string][] {
  if (v === null || typeof v !== 'object') return [[prefix, v === null ? 'default' : String(v)]];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) => (k === 'task' && !prefix ? [] : flatten(x, prefix ? `${prefix}.${k}` : k)));
}

export function CompareRuns({ runs, onClose }: { runs: SavedRun[]; onClose: () => void }) {
  const [curves, setCurves] = useState<RunCurves[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const dark = useDarkMode();
  const colours = dark ? DARK_RUN_COLOURS : LIGHT_RUN_COLOURS;
  const headingId = useId();
  useEffect(() => {
    let live = true;
    Promise.all(runs.map((r) => getCurves(r.id))).then(
      (c) => live && setCurves(c),
      (e: unknown) => live && setError((e as Error).message),
    );
    return () => {
      live = false;
    };
  }, [runs]);

  const task = runs[0]!.task;
  const settings = runs.map((r) => new Map(flatten(r.start)));
  const keys = [...new Set(settings.flatMap((m) => [...m.keys()]))];
  const facts: [string, (r: SavedRun) => string][] = [
    ['steps', (r) => `${r.step.toLocaleString('en-US')} of ${r.totalSteps.toLocaleString('en-US')}`],
    ['best', bestText],
    ['training time', (r) => formatDuration(r.elapsed)],
    ['state', (r) => r.status],
    ['data', (r) => (r.data.source === 'builtin' ? 'built in' : r.data.names.join(', '))],
    ['adapter', (r) => r.adapter],
    ['size', (r) => formatBytes(r.bytes)],
  ];
  return (
    <section className="panel compare" aria-labelledby={headingId} data-testid="compare">
      <div className="row spread">
        <h2 id={headingId}>
          Comparing {runs.length} {TASK_LABEL[task]} runs
        </h2>
        <button type="button" onClick={onClose} data-testid="compare-close">
          Close the comparison
        </button>
      </div>
      {error && (
        <p className="error inline" role="alert">
          {error}
        </p>
      )}
      {curves && (
        <div className="charts">
          {METRICS[task].map((def) => (
            <CompareChart key={def.id} def={def} runs={runs} curves={curves} colours={colours} />
          ))}
        </div>
      )}
      <div className="table-scroll">
        <table className="grid compare-table" data-testid="compare-configs">
          <caption>Settings side by side (the ones that differ are marked)</caption>
          <thead>
            <tr>
              <th scope="col">Setting</th>
              {runs.map((r, i) => (
                <th scope="col" key={r.id}>
                  <span className="swatch" style={{ background: colours[i % colours.length] }} aria-hidden="true" /> {r.name}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {keys.map((k) => {
              const values = settings.map((m) => m.get(k) ?? '–');
              const differs = new Set(values).size > 1;
              return (
                <tr key={k} className={differs ? 'differs' : undefined} data-differs={differs}>
                  <th scope="row">
                    {k.replaceAll('.', '.\u200b') /* may break after each dot on a phone */}
                    {differs && <span className="visually-hidden"> (differs)</span>}
                  </th>
                  {values.map((v, i) => (
                    <td key={runs[i]!.id}>{v}</td>
                  ))}
                </tr>
              );
            })}
            {facts.map(([label, f]) => (
              <tr key={label}>
                <th scope="row">{label}</th>
                {runs.map((r) => (
                  <td key={r.id}>{f(r)}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
