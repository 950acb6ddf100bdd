// The update at the end of a training step: global-norm clipping and the optimizer, two dispatches over
// the flat buffers whatever the model. The host writes the hyper-parameters of each step (learning rate,
// Adam's bias correction) into `hyper` before the submit.
import type { Program } from '../gpu/program.ts';
import { upload } from '../gpu/runner.ts';
import type { Tensor } from '../gpu/tensor.ts';
import type { ParamSet } from './params.ts';

export type OptimizerKind = 'sgd' | 'adam' | 'rmsprop';

export interface OptimizerConfig {
  kind: OptimizerKind;
  lr: number;
  /** Clip gradients by global norm (tf.clip_by_global_norm); 0 or undefined: no clipping. */
  clipNorm?: number;
  beta1?: number;
  beta2?: number;
  /** Adam 1e-8, RMSProp 1e-10 (TF defaults) unless given. */
  epsilon?: number;
  /** RMSProp decay (0.9). */
  decay?: number;
}

const NPART = 256;
/** Workgroups of the update kernels (they stride over the buffer; see shaders/optim.wgsl). */
const MAX_UPDATE_GROUPS = 512;

export class Optimizer {
  readonly hyper: Tensor;
  /** [global gradient norm before clipping, ...] */
  readonly stats: Tensor;
  private t = 0;

  constructor(readonly params: ParamSet, readonly config: OptimizerConfig, program: Program) {
    this.hyper = program.persistent([8], 'optimizer.hyper');
    this.stats = program.persistent([4], 'optimizer.stats');
    this.reset();
  }

  /** Records clipping and the update into the step program. */
  record(program: Program): void {
    const n = this.params.grads.whole.size;
    const g = this.params.grads.whole;
    // Few workgroups for small models: each one costs a reduction (cheap on GPUs, not on a CPU adapter).
    if (n % 4 !== 0) throw new Error('flat buffers are multiples of 64 floats');
    const n4 = n / 4;
    // The global norm costs a pass over every gradient: only clipping needs it (stats[0] stays 0 without).
    const parts = this.config.clipNorm ? Math.min(NPART, Math.ceil(n4 / (256 * 4))) : 0;
    if (parts > 0) {
      const partial = program.transient([NPART], 'optimizer.partial');
      program.dispatch('grad_sumsq', { n4, parts }, { g, partial }, [parts]);
      program.dispatch('clip_scale', { n4, parts }, { partial, hyper: this.hyper, stats: this.stats }, [1]);
    }
    const common = { g, w: this.params.weights.whole, hyper: this.hyper, stats: this.stats };
    const grid = [Math.min(Math.ceil(n4 / (256 * 4)), MAX_UPDATE_GROUPS)] as const;
    const u = { n4, parts };
    if (this.config.kind === 'sgd') program.dispatch('sgd', u, common, grid);
    else if (this.config.kind === 'rmsprop') program.dispatch('rmsprop', u, { ...common, m: this.params.m!.whole }, grid);
    else program.dispatch('adam', u, { ...common, m: this.params.m!.whole, v: this.params.v!.whole }, grid);
  }

  /** Writes this step's hyper-parameters; call once before each step's submit. `lr` overrides the config. */
  prepareStep(lr = this.config.lr): void {
    this.t++;
    const c = this.config;
    const b1 = c.beta1 ?? 0.9, b2 = c.beta2 ?? 0.999;
    const eps = c.epsilon ?? (c.kind === 'rmsprop' ? 1e-10 : 1e-8);
    const lrT = c.kind === 'adam' ? (lr * Math.sqrt(1 - b2 ** this.t)) / (1 - b1 ** this.t) : lr;
    const decay = c.decay ?? 0.9;
    const complement1 = c.kind === 'rmsprop' ? 1 - decay : 1 - b1;
    upload(this.params.device, this.hyper, new Float32Array([lrT, c.clipNorm ?? 0, b1, b2, eps, decay, complement1, 1 - b2]));
  }

  /** Steps taken (Adam's bias correction counts them); settable to resume a saved run. */
  get step(): number {
    return this.t;
  }

  set step(t: number) {
    if (!Number.isInteger(t) || t < 0) throw new RangeError(`optimizer step must be a whole number >= 0, got ${t}`);
    this.t = t;
  }

  reset(): void {
    this.t = 0;
    const kind = this.config.kind;
    this.params.resetMoments(kind === 'adam' ? 2 : kind === 'rmsprop' ? 1 : 0, kind === 'rmsprop' ? 1 : 0);
  }
}
