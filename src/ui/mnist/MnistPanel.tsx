// The MNIST tab: data, training form and progress, live charts, drawing a digit and the network's insides.
import { SaveStatus } from '../runs/RunBanners.tsx';
import { useCallback, useEffect, useReducer, useRef } from 'react';
import type { FromWorker, ToWorker } from '../../engine/protocol.ts';
import { LiveStatus } from '../LiveStatus.tsx';
import { ModelFile } from '../ModelFile.tsx';
import { RUN_STATE_TEXT } from '../RunControls.tsx';
import { useTaskMessages, type Engine } from '../useEngine.ts';
import { DataLoader } from './DataLoader.tsx';
import { Playground } from './Playground.tsx';
import { ACTIVE_STATES, initialMnistState, mnistReducer, type MnistState } from './state.ts';
import { TrainCharts } from './TrainCharts.tsx';
import { TrainForm } from './TrainForm.tsx';

/** Worker messages are applied in batches at most this often, so a fast GPU does not re-render per step. */
const FLUSH_MS = 100;

/** The run in one sentence, for the screen-reader status: state, position and the latest figures. */
export function mnistRunSummary(s: MnistState): string {
  const { run, metrics, epochs } = s;
  if (!run.started) return run.state === 'idle' ? '' : RUN_STATE_TEXT[run.state];
  const parts = [RUN_STATE_TEXT[run.state]];
  const p = run.progress;
  if (p) parts.push(`epoch ${Math.min(p.epoch + 1, run.started.epochs)} of ${run.started.epochs}`);
  const m = metrics[metrics.length - 1];
  if (m) parts.push(`step ${m.step.toLocaleString('en-US')}`, `loss ${m.loss.toFixed(3)}`, `training accuracy ${Math.round(m.accuracy * 100)}%`);
  const e = epochs[epochs.length - 1];
  if (e) parts.push(`test accuracy ${(e.testAccuracy * 100).toFixed(2)}% after epoch ${e.epoch}`);
  return `MNIST: ${parts.join(', ')}.`;
}

export function MnistPanel({ engine }: { engine: Engine }) {
  const [state, dispatch] = useReducer(mnistReducer, initialMnistState);
  const queue = useRef<FromWorker[]>([]);
  const timer = useRef<ReturnType<typeof setTimeout> | null>(null);

  const flush = useCallback(() => {
    timer.current = null;
    const msgs = queue.current;
    queue.current = [];
    if (msgs.length) dispatch({ type: 'worker', msgs });
  }, []);
  useEffect(
    () => () => {
      if (timer.current) clearTimeout(timer.current);
    },
    [],
  );

  useTaskMessages(engine, 'mnist', (msg) => {
    queue.current.push(msg);
    timer.current ??= setTimeout(flush, FLUSH_MS);
  });

  const send = useCallback((msg: ToWorker, transfer?: Transferable[]) => engine.send(msg, transfer), [engine]);

  return (
    <div className="mnist">
      <p className="intro">
        Each 28×28 digit is read <em>row by row</em>: the recurrent network sees one row of 28 pixels per time step and
        classifies the digit after the 28th row.
      </p>
      <DataLoader data={state.data} send={send} onLoadStart={() => dispatch({ type: 'load-start' })} />
      <TrainForm
        run={state.run}
        dataLoaded={state.data.loaded !== null}
        lastStep={state.metrics[state.metrics.length - 1]?.step ?? 0}
        send={send}
        onStart={(cell) => dispatch({ type: 'train-requested', cell })}
        evaluation={state.evaluation}
        onEvaluate={() => dispatch({ type: 'evaluate-requested' })}
      />
      <LiveStatus text={mnistRunSummary(state)} immediateKey={state.run.state} testId="mnist-live" />
      <SaveStatus engine={engine} task="mnist" />
      <TrainCharts metrics={state.metrics} epochs={state.epochs} cell={state.run.cell} />
      <Playground engine={engine} dataLoaded={state.data.loaded !== null} />
      <div className="panel">
        <h2>Model file</h2>
        <ModelFile engine={engine} task="mnist" training={ACTIVE_STATES.includes(state.run.state)} what="The classifier in use (the one the playground shows)" />
      </div>
    </div>
  );
}
