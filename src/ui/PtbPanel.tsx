// The Penn TreeBank tab: the word-level language model of the TensorFlow tutorial (Zaremba et al. 2014) on the
// user's copy of PTB: load the files, pick a config (test / small / medium / large, every hyperparameter editable),
// train with live perplexity charts, measure the test perplexity and sample text.
// Recipe and published numbers: ../shared/docs/reference-results.md section 3.
import { SaveStatus } from './runs/RunBanners.tsx';
import { useCallback, useMemo, useReducer, useRef } from 'react';
import { useSavedState } from './saved.ts';
import type { ToWorker } from '../engine/protocol.ts';
import { PTB_PUBLISHED, formFromPreset, isPresetUnchanged, savedPtbForm, testLimitOf, validateForm, type PtbForm } from './ptb/config.ts';
import { PtbCharts } from './ptb/PtbCharts.tsx';
import { PtbData } from './ptb/PtbData.tsx';
import { PtbSample } from './ptb/PtbSample.tsx';
import { PtbTest } from './ptb/PtbTest.tsx';
import { PtbTrain } from './ptb/PtbTrain.tsx';
import { ACTIVE_STATES, formatCount, formatPerplexity, initialPtbState, ptbReducer, type PtbArea, type PtbState } from './ptb/state.ts';
import { LiveStatus } from './LiveStatus.tsx';
import { ModelFile } from './ModelFile.tsx';
import { RUN_STATE_TEXT } from './RunControls.tsx';
import { useTaskMessages, type Engine } from './useEngine.ts';

export interface PtbPanelProps {
  engine: Engine;
}

/** The run in one sentence, for the screen-reader status. */
export function ptbRunSummary(s: PtbState): string {
  const { run, metrics, epochs, test } = s;
  if (!run.started) return run.state === 'idle' ? '' : RUN_STATE_TEXT[run.state];
  const c = run.started.config;
  const m = metrics[metrics.length - 1];
  const epoch = run.progress?.epoch ?? m?.epoch ?? run.started.firstEpoch;
  const parts = [RUN_STATE_TEXT[run.state], `epoch ${Math.min(epoch + 1, c.maxMaxEpoch)} of ${c.maxMaxEpoch}`];
  if (run.phase === 'valid') parts.push('validating');
  if (run.phase === 'test') parts.push('computing the test perplexity');
  if (m) parts.push(`step ${formatCount(m.step)}`, `training perplexity ${formatPerplexity(m.perplexity)}`);
  const e = epochs[epochs.length - 1];
  if (e) parts.push(`validation perplexity ${formatPerplexity(e.valid)} after epoch ${e.epoch}`);
  if (test.result) parts.push(`test perplexity ${formatPerplexity(test.result.perplexity)}`);
  return `Penn TreeBank: ${parts.join(', ')}.`;
}

export function PtbPanel({ engine }: PtbPanelProps) {
  const [state, dispatch] = useReducer(ptbReducer, initialPtbState);
  const [form, setForm] = useSavedState<PtbForm>('rnnlab.ptb.form', () => formFromPreset('demo'), savedPtbForm);
  const requestId = useRef(0);

  useTaskMessages(engine, 'ptb', (msg) => {
    dispatch({ type: 'worker', msg });
  });
  const send = useCallback((msg: ToWorker, transfer?: Transferable[]) => engine.send(msg, transfer), [engine]);

  const info = state.data.info;
  const { errors, valid } = useMemo(() => validateForm(form, info?.vocabSize ?? 10000), [form, info?.vocabSize]);
  const { run, test } = state;
  const active = ACTIVE_STATES.includes(run.state);
  const started = run.started;

  const errorIn = (area: PtbArea) =>
    state.error?.area === area ? (
      <div className="error inline" role="alert" data-testid="ptb-error" data-area={area}>
        {state.error.message}
        {area === 'data' && info && <div className="small">The data loaded before ({info.files.train} …) is still in use.</div>}
      </div>
    ) : null;

  // The published figures of the run's preset (or the form's before a run).
  const refPreset = started ? run.preset : form.preset;
  const pub = PTB_PUBLISHED[refPreset];
  const published = pub ? { name: refPreset, ...pub } : null;
  const edited = started ? started.config.name !== run.preset : !isPresetUnchanged(form);
  const testLimit = testLimitOf(form);
  const testPub = test.preset && PTB_PUBLISHED[test.preset] ? { name: test.preset, test: PTB_PUBLISHED[test.preset]!.test } : null;

  const sample = (prompt: string, count: number, temperature: number) => {
    const id = ++requestId.current;
    dispatch({ type: 'sample-requested', requestId: id });
    send({ type: 'ptb-sample', requestId: id, prompt, count, temperature });
  };
  const computeTest = () => {
    if (typeof testLimit === 'string') return;
    dispatch({ type: 'test-requested' });
    send({ type: 'ptb-evaluate-test', limit: testLimit });
  };

  return (
    <div className="ptb" data-testid="ptb-panel">
      <p className="intro">
        A word-level language model on the Penn TreeBank, as in the TensorFlow tutorial (Zaremba et al., 2014): an LSTM reads the text and learns to
        predict the next word, trained with plain SGD and truncated backpropagation through time. Lower perplexity is better; guessing uniformly among
        the 10,000 words gives 10,000. New here? Load the three files, keep the <em>Quick demo</em> config and press Start: the whole loop (train,
        validate, test, sample) runs in about two minutes.
      </p>
      <PtbData
        data={state.data}
        error={errorIn('data')}
        send={send}
        onLoadStart={() => dispatch({ type: 'load-requested' })}
        onReadError={(message) => dispatch({ type: 'load-failed', message })}
      />
      <PtbTrain
        form={form}
        setForm={setForm}
        errors={errors}
        valid={valid}
        run={run}
        trainTokens={info?.tokens.train ?? null}
        lastMetric={state.metrics[state.metrics.length - 1]}
        testRunning={test.running}
        error={errorIn('train')}
        send={send}
        onStart={(preset) => dispatch({ type: 'train-requested', preset })}
      />
      <LiveStatus text={ptbRunSummary(state)} immediateKey={`${state.run.state} ${state.run.phase}`} testId="ptb-live" />
      <SaveStatus engine={engine} task="ptb" />
      <PtbCharts
        metrics={state.metrics}
        epochs={state.epochs}
        config={started?.config ?? valid?.config ?? null}
        published={published}
        edited={edited}
        reportEvery={started?.reportEvery ?? null}
      />
      <PtbTest
        test={test}
        runTesting={active && run.phase === 'test'}
        canCompute={state.hasModel && !active && !test.running}
        limit={testLimit}
        published={testPub}
        error={errorIn('test')}
        onCompute={computeTest}
        onCancel={() => send({ type: 'stop', task: 'ptb' })}
      />
      <PtbSample hasModel={state.hasModel} training={active} sample={state.sample} error={errorIn('sample')} onSample={sample} />
      {info && (
        <div className="panel">
          <h2>Model file</h2>
          <ModelFile engine={engine} task="ptb" training={active} what="The language model in use (the one sampling and the test use)" />
        </div>
      )}
    </div>
  );
}
