// Headless training: `npm run train -- mnist --cell lstm --epochs 3` (Node + Dawn; SwiftShader without a GPU).
import { existsSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { assembleMnist, MNIST_FILE_NAMES, MNIST_ROLES, type MnistFiles } from '../src/data/idx.ts';
import { prepareFable } from '../src/data/fable.ts';
import { DataError } from '../src/data/errors.ts';
import { ConfigError } from '../src/engine/errors.ts';
import { decodeFableCheckpoint, encodeFableCheckpoint, FABLE_PRESETS, type FableCheckpoint, type FablePresetName } from '../src/engine/fable.ts';
import { FableTask, readFableModel } from '../src/engine/fableTask.ts';
import type { RunPieces } from '../src/engine/host.ts';
import { decodeMnistCheckpoint, defaultMnistConfig, encodeMnistCheckpoint, type MnistCheckpoint } from '../src/engine/mnist.ts';
import { MnistTask, readMnistModel } from '../src/engine/mnistTask.ts';
import type { FromWorker, PtbRunPlan, RunState } from '../src/engine/protocol.ts';
import { decodePtbCheckpoint, encodePtbCheckpoint, PTB_CONFIGS, ptbLearningRate, type PtbCheckpoint, type PtbConfigName } from '../src/engine/ptb.ts';
import { PtbTask } from '../src/engine/ptbTask.ts';
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

/** A run's end that is not a success: its message, exit 1. */
class RunFailed extends Error {}

type Msg<T extends FromWorker['type']> = Extract<FromWorker, { type: T }>;

/**
 * The console side of the host: prints what a run's messages say, as the page shows them, and keeps how the
 * run ended (a failed or diverged run exits 1 with its message).
 */
class ConsoleSink {
  state: RunState = 'idle';
  private message: string | null = null;
  private error: string | null = null;
  constructor(private readonly print: (m: FromWorker) => void) {}

  post = (m: FromWorker): void => {
    if (m.type === 'train-state') {
      this.state = m.state;
      this.message = m.message ?? null;
    } else if (m.type === 'error') this.error = m.message;
    this.print(m);
  };

  /** After the run: throws when it failed or diverged. */
  check(): void {
    if (this.state === 'failed' || this.state === 'diverged') throw new RunFailed(this.message ?? this.error ?? `the run ended ${this.state}`);
  }

  /** After a request: throws the error it reported. */
  checkRequest(): void {
    if (this.error) throw new RunFailed(this.error);
  }
}

/** Writes a model file (PyTorch's layout) where --save says. */
function saveModel(path: string, file: { bytes: Uint8Array }): void {
  writeFileSync(path, file.bytes);
  console.log(`model written to ${path} (PyTorch's layout: scripts/torch/interop.py loads it; --init FILE starts a run from it)`);
}

async function trainMnist(opts: Record<string, string>) {
  // a model file (--init) gives the cell and hidden size; --cell and --hidden, when given, must agree with it
  const init = opts.init
    ? readMnistModel(readUserFile(opts.init, 'safetensors'), opts.init, {
      ...(opts.cell ? { cell: opts.cell as 'lstm' | 'rnn' } : {}),
      ...(opts.hidden ? { hidden: Number(opts.hidden) } : {}),
    })
    : undefined;
  const cell = (opts.cell ?? init?.config.cell ?? 'lstm') as 'lstm' | 'rnn';
  const cfg = defaultMnistConfig(cell);
  if (init) cfg.model = init.config;
  if (opts.epochs) cfg.epochs = Number(opts.epochs);
  if (opts.batch) cfg.batch = Number(opts.batch);
  if (opts.hidden) cfg.model.hidden = Number(opts.hidden);
  if (opts.lr) cfg.optimizer.lr = Number(opts.lr);
  if (opts.seed) cfg.seed = Number(opts.seed);
  const maxSteps = opts.steps ? Number(opts.steps) : Infinity;
  const dir = mnistDataDir();
  const files = Object.fromEntries(MNIST_ROLES.map((r) => [r, new Uint8Array(readFileSync(join(dir, MNIST_FILE_NAMES[r])))])) as MnistFiles;
  const data = assembleMnist(files);
  // A long run in pieces (--checkpoint FILE): the state is written every `every` steps and after each epoch's
  // evaluation; the same command run again goes on from it, its log so far printed first.
  const checkpointFile = opts.checkpoint;
  const earlier = checkpointFile && existsSync(checkpointFile) ? decodeMnistCheckpoint(readUserFile(checkpointFile, 'safetensors'), checkpointFile) : undefined;
  const { device, adapter } = await openGpu(opts);
  reuseKernels(device, earlier?.notes);
  const t0 = performance.now();
  let epochStart = t0;
  let stepsPerEpoch = 0;
  let run!: RunRecord;
  const sink = new ConsoleSink((m) => {
    if (m.type === 'train-started') {
      printKernels(m.kernels);
      stepsPerEpoch = m.stepsPerEpoch;
      console.log(`mnist ${cell}-${cfg.model.hidden}: batch ${cfg.batch}, ${cfg.epochs} epochs of ${m.stepsPerEpoch} steps, ${m.dispatchesPerStep} dispatches/step, 1 submit/step; setup ${((performance.now() - t0) / 1000).toFixed(1)} s${init ? `; starting from ${opts.init}` : ''}`);
      run = new RunRecord(checkpointFile, adapter, m.kernels);
      if (earlier) run.resume(earlier.notes, `epoch ${earlier.epoch + 1}, step ${earlier.epochStep}`);
      run.begin();
      epochStart = performance.now();
    } else if (m.type === 'train-metrics' && (m.step % (cfg.metricsEvery * 10) === 0 || m.step % stepsPerEpoch === 0)) {
      run.say(`  step ${m.step}: loss ${m.values.loss!.toFixed(4)} acc ${(m.values.accuracy! * 100).toFixed(1)}%`);
    } else if (m.type === 'phase-result') {
      const where = m.phase === 'epoch' ? `epoch ${m.epoch}` : `stopped after step ${Math.min(maxSteps, stepsPerEpoch * cfg.epochs)}`;
      run.say(`${where}: test accuracy ${(m.values.accuracy! * 100).toFixed(2)}% (loss ${m.values.loss!.toFixed(4)}) on ${data.test.count} images; epoch time ${((performance.now() - epochStart) / 1000).toFixed(1)} s, total ${run.seconds().toFixed(1)} s`);
      epochStart = performance.now();
    }
  });
  const task = new MnistTask(() => device, sink.post);
  task.useData(data, 'files');
  const pieces: RunPieces<MnistCheckpoint> | undefined = checkpointFile
    ? { every: Number(opts['checkpoint-every'] ?? 200), resume: earlier, notes: () => run.notes(), save: (c) => run.write(encodeMnistCheckpoint(c)) }
    : undefined;
  await task.train(cfg, maxSteps, init?.weights, pieces, checkpointFile);
  sink.check();
  if (sink.state === 'stopped') {
    await task.evaluate(); // the partial epoch's test accuracy
    sink.checkRequest();
  }
  if (opts.save) saveModel(opts.save, await task.exportModel());
}

async function trainFable(opts: Record<string, string>) {
  const presetName = (opts.preset ?? 'fast') as FablePresetName;
  const base = FABLE_PRESETS[presetName];
  const iterations = opts.iterations ? Number(opts.iterations) : base.iterations;
  const metricsEvery = opts['metrics-every'] ? Number(opts['metrics-every']) : base.metricsEvery;
  const seed = Number(opts.seed ?? 1);
  // A long run in pieces: the state is written every `every` iterations and a rerun goes on from it.
  const checkpointFile = opts.checkpoint;
  const every = Number(opts['checkpoint-every'] ?? Math.ceil(1000 / metricsEvery) * metricsEvery);
  if (checkpointFile && (!Number.isInteger(every) || every < 1 || every % metricsEvery !== 0)) {
    throw new UsageError(`--checkpoint-every must be a multiple of the metrics interval (${metricsEvery}; --metrics-every changes it) (got ${every})`);
  }
  const data = prepareFable(readFileSync(join(process.cwd(), 'public/data/fable/belling-the-cat.txt'), 'utf8'), 'belling-the-cat.txt');
  const earlier = checkpointFile && existsSync(checkpointFile) ? decodeFableCheckpoint(readUserFile(checkpointFile, 'safetensors'), checkpointFile) : undefined;
  if (earlier && earlier.seed !== seed) throw new DataError(checkpointFile!, `is a run with seed ${earlier.seed}; pass --seed ${earlier.seed} to go on with it`);
  const init = opts.init ? readFableModel(readUserFile(opts.init, 'safetensors'), opts.init, data.vocab.words, presetName) : undefined;
  const model = init?.model ?? base.model;
  const { device, adapter } = await openGpu(opts);
  reuseKernels(device, earlier?.notes);
  let run!: RunRecord;
  let reached: number | null = earlier?.notes.reached ? Number(earlier.notes.reached) : null;
  let generated: string[] = [];
  const sink = new ConsoleSink((m) => {
    if (m.type === 'train-started') {
      printKernels(m.kernels);
      console.log(`fable ${presetName}: ${data.tokens.length} tokens, ${data.vocab.words.length} symbols, ${model.layers}-layer LSTM-${model.hidden}, batch ${m.batch}, ${iterations} iterations, ${m.dispatchesPerStep} dispatches/step${init && !earlier ? `; starting from ${opts.init}` : ''}`);
      run = new RunRecord(checkpointFile, adapter, m.kernels);
      if (earlier) run.resume(earlier.notes, `iteration ${earlier.iteration}`);
      run.begin();
    } else if (m.type === 'train-metrics') {
      const secs = run.seconds();
      if (reached === null && m.values.accuracy! >= 0.952) reached = secs;
      run.say(`Iter= ${m.step}, Average Loss= ${m.values.loss!.toFixed(6)}, Average Accuracy= ${(m.values.accuracy! * 100).toFixed(2)}%  (${secs.toFixed(1)} s)`);
    } else if (m.type === 'fable-generated') generated = m.words;
  });
  const task = new FableTask(() => device, sink.post);
  task.useData(data, 'belling-the-cat.txt');
  const pieces: RunPieces<FableCheckpoint> | undefined = checkpointFile
    ? { every, resume: earlier, notes: () => run.notes(reached === null ? {} : { reached: String(reached) }), save: (c) => run.write(encodeFableCheckpoint(c)) }
    : undefined;
  await task.train(presetName, iterations, { seed, metricsEvery, pieces, name: checkpointFile, init });
  sink.check();
  const total = run.seconds();
  console.log(`trained ${iterations} iterations in ${total.toFixed(1)} s${run.pieces > 1 ? ` (in ${run.pieces} pieces, checkpoint writes included)` : ''}; first average accuracy >= 95.2% at ${reached === null ? 'never' : `${(reached as number).toFixed(1)} s`}`);
  await task.generate(0, 'long ago ,', 32, 0);
  sink.checkRequest();
  console.log(`long ago , ${generated.join(' ')}`);
  if (opts.save) {
    const description = `${presetName} preset, ${iterations} iterations, seed ${opts.seed ?? 1} (npm run train -- fable --preset ${presetName} --iterations ${iterations} --save FILE)`;
    saveModel(opts.save, await task.exportModel({ iterations: String(iterations), description }, opts.f16 === 'true' || opts.save.includes('public/') ? 'F16' : 'F32'));
  }
}

/** The TensorFlow tutorial's ptb_word_lm.py, its log lines included. */
async function trainPtb(opts: Record<string, string>) {
  const name = (opts.config ?? 'small') as PtbConfigName;
  const config = { ...PTB_CONFIGS[name] };
  const num = (key: string): number | undefined => (opts[key] === undefined ? undefined : Number(opts[key]));
  const epochs = num('epochs');
  if (epochs) config.maxMaxEpoch = epochs;
  const evalSteps = num('eval-steps') ?? null;
  const sampleWords = num('sample') ?? 0;
  const seed = num('seed') ?? 1;
  const dir = resolve(opts.data ?? join(process.cwd(), '..', 'shared', 'data', 'ptb'));
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new DataError(dir, 'data directory not found (--data DIR: the folder with ptb.train.txt, ptb.valid.txt, ptb.test.txt)');
  const missing = ['train', 'valid', 'test'].map((s) => `ptb.${s}.txt`).filter((f) => !existsSync(join(dir, f)));
  if (missing.length) throw new DataError(dir, `${missing.join(', ')} missing (it needs ptb.train.txt, ptb.valid.txt and ptb.test.txt)`);
  // A long run in pieces (--checkpoint FILE): the state is written every `every` steps and after each epoch's
  // validation; the same command run again goes on from it, its log so far printed first.
  const checkpointFile = opts.checkpoint;
  const earlier = checkpointFile && existsSync(checkpointFile) ? decodePtbCheckpoint(readUserFile(checkpointFile, 'safetensors'), checkpointFile) : undefined;
  const { device, adapter } = await openGpu(opts);
  reuseKernels(device, earlier?.notes);
  const t0 = performance.now();
  let run!: RunRecord;
  let plan!: PtbRunPlan;
  let trainTokens = 0;
  let sampled: Msg<'ptb-sampled'> | null = null;
  const say = (line: string) => run.say(line);
  const windows = (split: 'valid' | 'test', steps: number, total: number, seconds: number) =>
    `  (${split}: ${steps}${steps < total ? ` of ${total}` : ''} windows in ${seconds.toFixed(1)} s)`;
  const sink = new ConsoleSink((m) => {
    switch (m.type) {
      case 'ptb-loaded':
        trainTokens = m.data.tokens.train;
        return;
      case 'train-started': {
        plan = m.ptb!;
        const c = plan.config;
        printKernels(m.kernels);
        console.log(
          `ptb ${name}: ${c.numLayers} x LSTM-${c.hiddenSize}, vocabulary ${c.vocabSize}, batch ${c.batchSize} x ${c.numSteps} steps, ` +
            `keep ${c.keepProb}; ${trainTokens} train words, ${plan.fullStepsPerEpoch} steps/epoch${plan.stepsPerEpoch < plan.fullStepsPerEpoch ? ` (running ${plan.stepsPerEpoch})` : ''}, ` +
            `${m.parameters} parameters, ${m.dispatchesPerStep} dispatches/step, 1 submit/step; setup ${((performance.now() - t0) / 1000).toFixed(1)} s`,
        );
        run = new RunRecord(checkpointFile, adapter, m.kernels);
        if (earlier) run.resume(earlier.notes, `epoch ${earlier.epoch + 1}, step ${earlier.progress.step}`);
        run.begin();
        return;
      }
      case 'phase':
        if (m.phase === 'train' && m.from === 0) say(`Epoch: ${m.epoch + 1} Learning rate: ${ptbLearningRate(plan.config, m.epoch).toFixed(3)}`);
        return;
      case 'train-metrics':
        // the tutorial's points only (not the read of an epoch's last steps)
        if ((m.epochStep - 1) % plan.reportEvery === 10 % plan.reportEvery) say(`${m.values.fraction!.toFixed(3)} perplexity: ${m.values.perplexity!.toFixed(3)} speed: ${m.values.wps!.toFixed(0)} wps`);
        return;
      case 'phase-result': {
        const v = m.values;
        if (m.phase === 'test') {
          console.log(`Test Perplexity: ${v.perplexity!.toFixed(3)}`);
          console.log(windows('test', m.steps!, m.total!, m.seconds));
          return;
        }
        const c = plan.config;
        say(`Epoch: ${m.epoch} Train Perplexity: ${v.train!.toFixed(3)}`);
        say(`  (${v.trainSteps} steps in ${v.trainSeconds!.toFixed(1)} s, ${v.wps!.toFixed(0)} wps; a full epoch of ${plan.fullStepsPerEpoch} steps at this speed: ${((plan.fullStepsPerEpoch * c.numSteps * c.batchSize) / v.wps! / 60).toFixed(1)} min)`);
        say(`Epoch: ${m.epoch} Valid Perplexity: ${v.valid!.toFixed(3)}`);
        say(windows('valid', v.validSteps!, plan.fullValidSteps, v.validSeconds!));
        return;
      }
      case 'ptb-sampled':
        sampled = m;
        return;
      default:
        return;
    }
  });
  const task = new PtbTask(() => device, sink.post);
  await task.loadFiles(['train', 'valid', 'test'].map((s) => {
    const bytes = readUserFile(join(dir, `ptb.${s}.txt`), 'ptbText');
    return { name: `ptb.${s}.txt`, bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer };
  }));
  const pieces: RunPieces<PtbCheckpoint> | undefined = checkpointFile
    ? { every: num('checkpoint-every') ?? 200, resume: earlier, notes: () => run.notes(), save: (c) => run.write(encodePtbCheckpoint(c)) }
    : undefined;
  const options = { stepLimit: num('steps-per-epoch') ?? null, validLimit: evalSteps, testLimit: evalSteps, reportEvery: null, seed };
  const init = opts.init ? task.readModel(readUserFile(opts.init, 'safetensors'), opts.init, config) : undefined;
  if (init && !earlier) console.log(`starting from ${opts.init}`);
  await task.train(config, options, { tutorialReports: true, pieces, name: checkpointFile, init });
  sink.check();
  console.log(`total ${run.seconds().toFixed(1)} s${run.pieces > 1 ? ` (in ${run.pieces} pieces)` : ''}`);
  if (sampleWords > 0) {
    await task.sample(seed, 'the', sampleWords, 1);
    sink.checkRequest();
    console.log(`sample: ${sampled!.prompt.join(' ')} ${sampled!.words.join(' ')}`);
  }
  if (opts.save) saveModel(opts.save, await task.exportModel());
}

function printUsage(print: (line: string) => void, task?: Task): void {
  for (const t of task ? [task] : TASKS) print(`usage: ${usage(t)}`);
  print('(any task: --robust keeps Dawn\'s bounds clamps on every buffer access, as in the browser; off by default here: 1.4x faster on SwiftShader.');
  print(' On a real GPU each session times the LSTM step-kernel variants for its shapes and keeps the faster; --tune false keeps the default rule, --tune force times them on any adapter)');
}

/** Every failure is one `error:` line (no stack): 2 for a mistake in the command line, 1 for anything else. */
function exitWith(e: unknown, task?: Task): never {
  const message = e instanceof Error ? e.message : String(e);
  const known = e instanceof UsageError || e instanceof GpuError || e instanceof DataError || e instanceof ConfigError || e instanceof RunFailed;
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
