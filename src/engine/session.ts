// The one session type: what every model's session (MNIST, fable, PTB) is made of. It is opened inside GPU
// error scopes with its LSTM kernel variants tuned, owns its parameters, optimizer state, setup tensors and
// compiled programs (so its GPU memory is counted and freed in one place), keeps the weights of the last good
// point for a divergence, and runs every loop through runSteps. A task's session adds its data, its programs
// and its phases (train an epoch, evaluate, generate).
import { withErrorScopes } from '../gpu/device.ts';
import { Program, type CompiledProgram } from '../gpu/program.ts';
import { Optimizer, type OptimizerConfig } from '../nn/optim.ts';
import { ParamSet, type ParamSpec } from '../nn/params.ts';
import { tuneLstmShapes, type LstmTiming } from '../nn/tune.ts';
import { runSteps, type LoopResult, type StepLoop } from './loop.ts';

export abstract class Session {
  readonly params: ParamSet;
  protected readonly optimizer: Optimizer;
  /** Makes (and frees) the session's persistent tensors: data, offsets, metrics, optimizer state. */
  protected readonly setup: Program;
  private readonly programs: CompiledProgram[] = [];
  /** Dispatches of one training step. */
  dispatchesPerStep = 0;
  /** The LSTM step-kernel variants measured for this session's shapes (empty where tuning is off: CPU adapters). */
  kernelTimings: LstmTiming[] = [];
  private destroyed = false;

  protected constructor(readonly device: GPUDevice, label: string, specs: readonly ParamSpec[], seed: number, optimizer: OptimizerConfig) {
    // the parameters first: when they are too big for the device, nothing else has been allocated
    this.params = new ParamSet(device, specs, label);
    this.params.initialize(seed);
    this.setup = new Program(device, `${label} setup`);
    this.optimizer = new Optimizer(this.params, optimizer, this.setup);
  }

  /**
   * Builds a session: `make` allocates it, its LSTM shapes [B, H] are tuned (real GPUs), `build` records its
   * programs. A model too big for the device, or out of memory, throws a GpuError after everything made so far
   * was freed (whatever the caller had stays as it was).
   */
  protected static async open<S extends Session>(device: GPUDevice, what: string, make: () => S, lstmShapes: (s: S) => [number, number][], build: (s: S) => Promise<void>): Promise<S> {
    let s: S | undefined;
    return withErrorScopes(device, what, async () => {
      s = make();
      s.kernelTimings = await tuneLstmShapes(device, lstmShapes(s));
      await build(s);
      return s;
    }, () => s?.destroy());
  }

  /** Compiles a program the session owns (counted in gpuBytes, freed with the session). */
  protected async own(p: Program): Promise<CompiledProgram> {
    const compiled = await p.compile();
    this.programs.push(compiled);
    return compiled;
  }

  /** The one step loop, on this session's device. */
  protected loop(l: StepLoop): Promise<LoopResult> {
    return runSteps(this.device, l);
  }

  /** GPU memory the session holds: data and other setup tensors, parameters and moments, every program's buffers. */
  get gpuBytes(): number {
    return this.setup.ownedBytes + this.params.bytes + this.programs.reduce((n, p) => n + p.bytes, 0);
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Keeps a copy of the weights on the GPU (a queued buffer copy, nothing read back), taken at a good point (an
   *  epoch whose evaluation was finite); restoreSnapshot() brings it back after a divergence. */
  snapshot(): void {
    this.params.saveBackup();
  }

  /** The last snapshot's weights again, with fresh optimizer moments. False when there is none. */
  restoreSnapshot(): boolean {
    if (!this.params.restoreBackup()) return false;
    this.optimizer.reset();
    return true;
  }

  async exportWeights(): Promise<Record<string, Float32Array>> {
    return this.params.export();
  }

  importWeights(w: Record<string, Float32Array>): void {
    this.params.import(w);
  }

  /** Frees every GPU buffer of the session (setup tensors, parameters, moments, programs'). Unusable afterwards;
   *  a second call does nothing. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    this.setup.destroy();
    this.params.destroy();
    for (const p of this.programs) p.destroy();
  }
}
