// Headless training: `npm run train -- mnist --cell lstm --epochs 3` (Node + Dawn; SwiftShader without a GPU).
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assembleMnist, MNIST_FILE_NAMES, MNIST_ROLES, type MnistFiles } from '../src/data/idx.ts';
import { prepareFable } from '../src/data/fable.ts';
import { preparePtb, type PtbData } from '../src/data/ptb.ts';
import { encodeSafetensors } from '../src/data/safetensors.ts';
import { DataError } from '../src/data/errors.ts';
import { RunControl } from '../src/engine/control.ts';
import { ConfigError } from '../src/engine/errors.ts';
import { decodeFableCheckpoint, encodeFableCheckpoint, FABLE_PRESETS, FableSession, type FablePresetName } from '../src/engine/fable.ts';
import { defaultMnistConfig, MnistSession } from '../src/engine/mnist.ts';
import { decodePtbCheckpoint, encodePtbCheckpoint, PTB_CONFIGS, PtbSession, type PtbCheckpoint, type PtbConfigName } from '../src/engine/ptb.ts';
import { GpuError } from '../src/gpu/errors.ts';
import { acquireNodeGpu } from '../src/gpu/node.ts';
import { enableKernelTuning, enableKernelTuningOnGpu, kernelTuningEnabled, recordLstmTiming } from '../src/nn/kernelChoice.ts';
import { describeLstmTiming, type LstmTiming } from '../src/nn/tune.ts';
import { parseTrainArgs, readUserFile, TASKS, usage, UsageError, type Parsed, type Task } from './cli-args.ts';
import { mnistDataDir } from './vite-mnist-plugin.ts';

/** The GPU for a run, its adapter line printed (with how buffer accesses are checked: NodeGpuOptions.robust). */
async function openGpu(opts: Record<string, string>): Promise<{ device: GPUDevice; adapter: string }> {
  const robust = opts.robust === 'true';
  const gpu = await acquireNodeGpu({ robust });
  const { device, adapterInfo } = gpu;
  const adapter = `${adapterInfo.vendor} ${adapterInfo.architecture} ${adapterInfo.description}`.trim();
  if (opts.tune === 'force') enableKernelTuning(device); // time the variants on any adapter (to try the tuner on a CPU one)
  else if (opts.tune !== 'false') enableKernelTuningOnGpu(gpu);
  console.log(`adapter: ${adapter}${robust ? '; Dawn robustness on (--robust)' : '; Dawn robustness off (the adapter bounds-checks; --robust to clamp as browsers do)'}`);
  return { device, adapter };
}

/**
 * What a run in pieces (--checkpoint FILE) keeps in its checkpoint's notes besides the training state: its log
 * so far, the training seconds of the earlier pieces, how many pieces and on which adapters.
 */
class RunRecord {
  log: string[] = [];
  pieces = 1;
  private secondsBefore = 0;
  private readonly adapters = new Set<string>();
  private start = performance.now();

  /** The LSTM step-kernel variants this run's sessions timed (kept in the notes, so a later piece uses the same). */
  constructor(readonly file: string | undefined, adapter: string, readonly kernels: LstmTiming[] = []) {
    this.adapters.add(adapter);
  }

  /** Takes over an earlier piece's record and prints its log. */
  resume(notes: Record<string, string>, where: string): void {
    this.log = notes.log ? notes.log.split('\n') : [];
    this.secondsBefore = Number(notes.seconds ?? 0);
    this.pieces = Number(notes.pieces ?? 1) + 1;
    const earlier = (notes.adapters ?? '').split('; ').filter(Boolean);
    this.adapters.clear();
    for (const a of [...earlier, ...this.adapters]) this.adapters.add(a);
    console.log(`resumed from ${this.file} at ${where} (${this.secondsBefore.toFixed(1)} s of training so far, piece ${this.pieces}; earlier adapters: ${earlier.join('; ') || '?'}); the log so far:`);
    for (const line of this.log) console.log(line);
  }

  /** Training starts (or goes on) now. */
  begin(): void {
    this.start = performance.now();
  }

  seconds(): number {
    return this.secondsBefore + (performance.now() - this.start) / 1000;
  }

  say(line: string): void {
    this.log.push(line);
    console.log(line);
  }

  notes(extra: Record<string, string> = {}): Record<string, string> {
    const kernels: Record<string, string> = this.kernels.length ? { kernels: JSON.stringify(this.kernels) } : {};
    return { log: this.log.join('\n'), seconds: String(this.seconds()), pieces: String(this.pieces), adapters: [...this.adapters].join('; '), ...kernels, ...extra };
  }

  /** Writes the checkpoint atomically (a stop while writing leaves the previous one). */
  write(bytes: Uint8Array): void {
    if (!this.file) return;
    writeFileSync(`${this.file}.tmp`, bytes);
    renameSync(`${this.file}.tmp`, this.file);
  }
}

/** The LSTM step-kernel variants a session timed on this adapter (real GPUs; --tune false keeps the default rule). */
function printKernels(timings: LstmTiming[]): void {
  for (const t of timings) console.log(`kernels: ${describeLstmTiming(t)}`);
}

/** A later piece of a run on a GPU takes the kernel variants the earlier pieces timed instead of timing again, so
 *  it goes on with the same arithmetic (a choice timed anew could differ and change the rounding). */
function reuseKernels(device: GPUDevice, notes: Record<string, string> | undefined): void {
  if (!notes?.kernels || !kernelTuningEnabled(device)) return;
  for (const t of JSON.parse(notes.kernels) as LstmTiming[]) recordLstmTiming(device, t);
}

async function trainMnist(opts: Record<string, string>) {
  const cell = (opts.cell ?? 'lstm') as 'lstm' | 'rnn';
  if (cell !== 'lstm' && cell !== 'rnn') throw new Error('--cell must be lstm or rnn');
  const cfg = defaultMnistConfig(cell);
  if (opts.epochs) cfg.epochs = Number(opts.epochs);
  if (opts.batch) cfg.batch = Number(opts.batch);
  if (opts.hidden) cfg.model.hidden = Number(opts.hidden);
  if (opts.lr) cfg.optimizer.lr = Number(opts.lr);
  if (opts.seed) cfg.seed = Number(opts.seed);
  const maxSteps = opts.steps ? Number(opts.steps) : Infinity;
  const dir = mnistDataDir();
  const files = Object.fromEntries(MNIST_ROLES.map((r) => [r, new Uint8Array(readFileSync(join(dir, MNIST_FILE_NAMES[r])))])) as MnistFiles;
  const data = assembleMnist(files);
  const { device } = await openGpu(opts);
  const t0 = performance.now();
  const session = await MnistSession.create(device, data, cfg);
  printKernels(session.kernelTimings);
  console.log(`mnist ${cell}-${cfg.model.hidden}: batch ${cfg.batch}, ${cfg.epochs} epochs of ${session.stepsPerEpoch} steps, ${session.dispatchesPerStep} dispatches/step, 1 submit/step; setup ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const control = new RunControl();
  const start = performance.now();
  for (let e = 0; e < cfg.epochs; e++) {
    const te = performance.now();
    await session.trainEpoch(
      control,
      (m) => {
        if (m.step % (cfg.metricsEvery * 10) === 0 || m.step % session.stepsPerEpoch === 0) {
          console.log(`  step ${m.step}: loss ${m.loss.toFixed(4)} acc ${(m.accuracy * 100).toFixed(1)}%`);
        }
      },
      (s) => {
        if (session.globalStep >= maxSteps) control.stop();
        void s;
      },
    );
    const trainTime = (performance.now() - te) / 1000;
    const ev = await session.evaluate();
    console.log(`epoch ${e + 1}: test accuracy ${(ev.accuracy * 100).toFixed(2)}% (loss ${ev.loss.toFixed(4)}) on ${data.test.count} images; epoch time ${trainTime.toFixed(1)} s, total ${((performance.now() - start) / 1000).toFixed(1)} s`);
    if (control.isStopped) break;
  }
}

async function trainFable(opts: Record<string, string>) {
  const presetName = (opts.preset ?? 'fast') as FablePresetName;
  const base = FABLE_PRESETS[presetName];
  if (!base) throw new Error('--preset must be original or fast');
  const preset = { ...base, iterations: opts.iterations ? Number(opts.iterations) : base.iterations };
  if (opts['metrics-every']) preset.metricsEvery = Number(opts['metrics-every']);
  const seed = Number(opts.seed ?? 1);
  // A long run in pieces: the state is written every `every` iterations and a rerun goes on from it.
  const checkpointFile = opts.checkpoint;
  const every = Number(opts['checkpoint-every'] ?? Math.ceil(1000 / preset.metricsEvery) * preset.metricsEvery);
  if (checkpointFile && (!Number.isInteger(every) || every < 1 || every % preset.metricsEvery !== 0)) {
    throw new UsageError(`--checkpoint-every must be a multiple of the metrics interval (${preset.metricsEvery}; --metrics-every changes it) (got ${every})`);
  }
  const data = prepareFable(readFileSync(join(process.cwd(), 'public/data/fable/belling-the-cat.txt'), 'utf8'), 'belling-the-cat.txt');
  const earlier = checkpointFile && existsSync(checkpointFile) ? decodeFableCheckpoint(readUserFile(checkpointFile, 'safetensors'), checkpointFile) : undefined;
  if (earlier && earlier.seed !== seed) throw new DataError(checkpointFile!, `is a run with seed ${earlier.seed}; pass --seed ${earlier.seed} to go on with it`);
  const { device, adapter } = await openGpu(opts);
  reuseKernels(device, earlier?.notes);
  const session = await FableSession.create(device, data, preset, seed);
  printKernels(session.kernelTimings);
  console.log(`fable ${presetName}: ${data.tokens.length} tokens, ${data.vocab.words.length} symbols, 2-layer LSTM-512, batch ${preset.batch}, ${preset.iterations} iterations, ${session.dispatchesPerStep} dispatches/step`);
  const run = new RunRecord(checkpointFile, adapter, session.kernelTimings);
  let reached: number | null = null;
  if (earlier) {
    session.restore(earlier, checkpointFile);
    reached = earlier.notes.reached ? Number(earlier.notes.reached) : null;
    run.resume(earlier.notes, `iteration ${earlier.iteration}`);
  }
  run.begin();
  const control = new RunControl();
  while (session.iteration < preset.iterations) {
    const left = preset.iterations - session.iteration;
    const n = checkpointFile ? Math.min(every - (session.iteration % every), left) : left;
    await session.train(n, control, (m) => {
      const secs = run.seconds();
      if (reached === null && m.accuracy >= 0.952) reached = secs;
      run.say(`Iter= ${m.iteration}, Average Loss= ${m.loss.toFixed(6)}, Average Accuracy= ${(m.accuracy * 100).toFixed(2)}%  (${secs.toFixed(1)} s)`);
    });
    if (checkpointFile) run.write(encodeFableCheckpoint(await session.checkpoint(run.notes(reached === null ? {} : { reached: String(reached) }))));
  }
  const total = run.seconds();
  console.log(`trained ${preset.iterations} iterations in ${total.toFixed(1)} s${run.pieces > 1 ? ` (in ${run.pieces} pieces, checkpoint writes included)` : ''}; first average accuracy >= 95.2% at ${reached === null ? 'never' : `${(reached as number).toFixed(1)} s`}`);
  const prompt = ['long', 'ago', ','].map((w) => data.vocab.index.get(w)!);
  const next = await session.generate(prompt, 32);
  console.log(`long ago , ${next.map((i) => data.vocab.words[i]).join(' ')}`);
  if (opts.save) {
    const weights = await session.exportWeights();
    const description = `${presetName} preset, ${preset.iterations} iterations, seed ${opts.seed ?? 1} (npm run train -- fable --preset ${presetName} --iterations ${preset.iterations} --save FILE)`;
    writeFileSync(opts.save, encodeSafetensors(weights, { preset: presetName, iterations: String(preset.iterations), vocab: data.vocab.words.join(' '), description }, {}, opts.f16 === 'true' || opts.save.includes('public/') ? 'F16' : 'F32'));
    console.log(`weights written to ${opts.save}`);
  }
}

/** The TensorFlow tutorial's ptb_word_lm.py, its log lines included. */
async function trainPtb(opts: Record<string, string>) {
  const fail = (msg: string): never => {
    console.error(`error: ${msg}`);
    process.exit(1);
  };
  const name = (opts.config ?? 'small') as PtbConfigName;
  const base = PTB_CONFIGS[name];
  if (!base) fail(`--config must be one of ${Object.keys(PTB_CONFIGS).join(', ')} (got ${opts.config})`);
  const num = (key: string, min: number): number | undefined => {
    if (opts[key] === undefined) return undefined;
    const v = Number(opts[key]);
    if (!Number.isInteger(v) || v < min) fail(`--${key} must be a whole number >= ${min} (got ${opts[key]})`);
    return v;
  };
  const epochs = num('epochs', 1);
  const stepsPerEpoch = num('steps-per-epoch', 1);
  const evalSteps = num('eval-steps', 1);
  const sampleWords = num('sample', 0) ?? 0;
  const seed = num('seed', 0) ?? 1;
  const dir = resolve(opts.data ?? join(process.cwd(), '..', 'shared', 'data', 'ptb'));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) fail(`data directory ${dir} not found (--data DIR: the folder with ptb.train.txt, ptb.valid.txt, ptb.test.txt)`);
  const missing = ['train', 'valid', 'test'].map((s) => `ptb.${s}.txt`).filter((f) => !existsSync(join(dir, f)));
  if (missing.length) fail(`${missing.join(', ')} missing in ${dir} (it needs ptb.train.txt, ptb.valid.txt and ptb.test.txt)`);
  let data: PtbData;
  try {
    const read = (s: string) => readUserFile(join(dir, `ptb.${s}.txt`), 'ptbText');
    data = preparePtb({ train: read('train'), valid: read('valid'), test: read('test') });
  } catch (e) {
    return fail((e as Error).message);
  }
  const config = { ...base!, vocabSize: data.vocab.words.length };
  if (epochs) config.maxMaxEpoch = epochs;
  // A long run in pieces (--checkpoint FILE): the state is written every `every` steps and after each epoch's
  // validation; the same command run again goes on from it, its log so far printed first.
  const checkpointFile = opts.checkpoint;
  let earlier: PtbCheckpoint | undefined;
  try {
    if (checkpointFile && existsSync(checkpointFile)) earlier = decodePtbCheckpoint(readUserFile(checkpointFile, 'safetensors'), checkpointFile);
  } catch (e) {
    return fail((e as Error).message);
  }
  const { device, adapter } = await openGpu(opts);
  reuseKernels(device, earlier?.notes);
  const t0 = performance.now();
  let session: PtbSession;
  try {
    session = await PtbSession.create(device, data, config, seed);
  } catch (e) {
    return fail((e as Error).message);
  }
  printKernels(session.kernelTimings);
  const steps = Math.min(stepsPerEpoch ?? Infinity, session.stepsPerEpoch);
  console.log(
    `ptb ${name}: ${config.numLayers} x LSTM-${config.hiddenSize}, vocabulary ${config.vocabSize}, batch ${config.batchSize} x ${config.numSteps} steps, ` +
      `keep ${config.keepProb}; ${data.train.length} train words, ${session.stepsPerEpoch} steps/epoch${steps < session.stepsPerEpoch ? ` (running ${steps})` : ''}, ` +
      `${session.params.count} parameters, ${session.dispatchesPerStep} dispatches/step, 1 submit/step; setup ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );
  // the tutorial: print when step % (epoch_size // 10) == 10 (over the steps actually run)
  session.metricsEvery = Math.max(1, Math.floor(steps / 10));
  session.metricsPhase = 10 % session.metricsEvery;
  const control = new RunControl();
  const evalNote = (split: 'valid' | 'test', r: { steps: number; seconds: number }) =>
    `  (${split}: ${r.steps}${r.steps < session.evalSteps(split) ? ` of ${session.evalSteps(split)}` : ''} windows in ${r.seconds.toFixed(1)} s)`;
  const every = num('checkpoint-every', 1) ?? 200;
  const run = new RunRecord(checkpointFile, adapter, session.kernelTimings);
  const say = (line: string) => run.say(line);
  let progress = { step: 0, lossSum: 0, rows: 0, seconds: 0 };
  if (earlier) {
    try {
      progress = session.restore(earlier, checkpointFile);
    } catch (e) {
      return fail((e as Error).message);
    }
    run.resume(earlier.notes, `epoch ${earlier.epoch + 1}, step ${progress.step}`);
  }
  run.begin();
  const save = async () => {
    if (checkpointFile) run.write(encodePtbCheckpoint(await session.checkpoint(progress, run.notes())));
  };
  for (let i = session.epoch; i < config.maxMaxEpoch; i++) {
    if (progress.step === 0) say(`Epoch: ${i + 1} Learning rate: ${session.learningRate(i).toFixed(3)}`);
    let r: Awaited<ReturnType<PtbSession['trainEpoch']>>;
    do {
      const until = checkpointFile ? Math.min(progress.step + every, steps) : steps;
      r = await session.trainEpoch(
        control,
        (m) => {
          if ((m.step - 1) % session.metricsEvery === session.metricsPhase) {
            say(`${m.fraction.toFixed(3)} perplexity: ${m.perplexity.toFixed(3)} speed: ${m.wps.toFixed(0)} wps`);
          }
        },
        undefined,
        steps,
        { from: progress, until },
      );
      progress = r.progress;
      if (progress.step < steps) await save();
    } while (progress.step < steps);
    say(`Epoch: ${i + 1} Train Perplexity: ${r.perplexity.toFixed(3)}`);
    say(`  (${r.steps} steps in ${r.seconds.toFixed(1)} s, ${r.wps.toFixed(0)} wps; a full epoch of ${session.stepsPerEpoch} steps at this speed: ${((session.stepsPerEpoch * config.numSteps * config.batchSize) / r.wps / 60).toFixed(1)} min)`);
    const v = await session.evaluateDetailed('valid', evalSteps);
    say(`Epoch: ${i + 1} Valid Perplexity: ${v.perplexity.toFixed(3)}`);
    say(evalNote('valid', v));
    progress = { step: 0, lossSum: 0, rows: 0, seconds: 0 };
    await save();
  }
  const t = await session.evaluateDetailed('test', evalSteps);
  console.log(`Test Perplexity: ${t.perplexity.toFixed(3)}`);
  console.log(evalNote('test', t));
  console.log(`total ${run.seconds().toFixed(1)} s${run.pieces > 1 ? ` (in ${run.pieces} pieces)` : ''}`);
  if (sampleWords > 0) {
    const prompt = [data.vocab.index.get('the') ?? 0];
    const ids = await session.sample(prompt, sampleWords, 1, seed);
    console.log(`sample: the ${ids.map((i) => data.vocab.words[i]).join(' ')}`);
  }
  if (opts.save) {
    const weights = await session.exportWeights();
    writeFileSync(opts.save, encodeSafetensors(weights, { config: name, epochs: String(config.maxMaxEpoch), vocab: data.vocab.words.join(' ') }));
    console.log(`weights written to ${opts.save}`);
  }
}

function printUsage(print: (line: string) => void, task?: Task): void {
  for (const t of task ? [task] : TASKS) print(`usage: ${usage(t)}`);
  print('(any task: --robust keeps Dawn\'s bounds clamps on every buffer access, as in the browser; off by default here: 1.4x faster on SwiftShader.');
  print(' On a real GPU each session times the LSTM step-kernel variants for its shapes and keeps the faster; --tune false keeps the default rule, --tune force times them on any adapter)');
}

/** Every failure is one `error:` line (no stack): 2 for a mistake in the command line, 1 for anything else. */
function exitWith(e: unknown, task?: Task): never {
  const message = e instanceof Error ? e.message : String(e);
  const known = e instanceof UsageError || e instanceof GpuError || e instanceof DataError || e instanceof ConfigError;
  console.error(`error: ${known ? message : `${message} (an unexpected failure; RNNLAB_DEBUG=1 prints where)`}`);
  if (!known && process.env.RNNLAB_DEBUG) console.error((e as Error)?.stack);
  if (e instanceof UsageError) {
    printUsage((l) => console.error(l), task);
    process.exit(2);
  }
  process.exit(1);
}

process.on('unhandledRejection', (e) => exitWith(e));
process.on('uncaughtException', (e) => exitWith(e));
let parsed: Parsed;
try {
  parsed = parseTrainArgs(process.argv.slice(2));
} catch (e) {
  exitWith(e, TASKS.find((t) => t === process.argv[2]));
}
if ('help' in parsed) {
  printUsage((l) => console.log(l), parsed.task);
  process.exit(0);
}
const run = { mnist: trainMnist, fable: trainFable, ptb: trainPtb }[parsed.task];
try {
  await run(parsed.opts);
} catch (e) {
  exitWith(e, parsed.task);
}
process.exit(0);
