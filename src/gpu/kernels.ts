// The kernel table: every WGSL entry point rnnlab dispatches, with its bindings and uniforms.
// Binding 0 of group 0 is always the kernel's uniform block (`Params` in the shader); the table lists the
// uniform fields in declaration order (all 32-bit) and the storage bindings by name, slot and access.
// Ops dispatch kernels by name and pass bindings by name, so a call site reads like the shader.
import dataWgsl from '../../shaders/data.wgsl?raw';
import dropoutWgsl from '../../shaders/dropout.wgsl?raw';
import embeddingWgsl from '../../shaders/embedding.wgsl?raw';
import lstmWgsl from '../../shaders/lstm.wgsl?raw';
import matmulWgsl from '../../shaders/matmul.wgsl?raw';
import matmulV4Wgsl from '../../shaders/matmul_v4.wgsl?raw';
import optimWgsl from '../../shaders/optim.wgsl?raw';
import rnnWgsl from '../../shaders/rnn.wgsl?raw';
import sampleWgsl from '../../shaders/sample.wgsl?raw';
import softmaxWgsl from '../../shaders/softmax_xent.wgsl?raw';

export type Access = 'read' | 'rw';
export type UniformType = 'u32' | 'i32' | 'f32';

export interface KernelSpec {
  readonly source: string;
  readonly entry: string;
  /** Uniform fields in the order of the shader's Params struct: [name, type]. */
  readonly uniforms: readonly (readonly [string, UniformType])[];
  /** Storage bindings: [name, binding slot, access]. */
  readonly bindings: readonly (readonly [string, number, Access])[];
  /** Pipeline-overridable constants. */
  readonly constants?: Readonly<Record<string, number>>;
  /** Invocations per workgroup along x and y (must match the shader's workgroup size). */
  readonly workgroup: readonly [number, number?];
}

const MATMUL_UNIFORMS = [
  ['M', 'u32'], ['N', 'u32'], ['K', 'u32'],
  ['offA', 'u32'], ['offB', 'u32'], ['offC', 'u32'],
  ['accumulate', 'u32'], ['hasBias', 'u32'],
] as const;
const MATMUL_BINDINGS = [['A', 1, 'read'], ['B', 2, 'read'], ['bias', 3, 'read'], ['C', 4, 'rw']] as const;

const LSTM_UNIFORMS = [
  ['T', 'u32'], ['B', 'u32'], ['H', 'u32'], ['t', 'u32'], ['forgetBias', 'f32'],
  ['useState', 'u32'], ['writeState', 'u32'], ['hasDHs', 'u32'], ['hasDhT', 'u32'],
] as const;
const RNN_UNIFORMS = [
  ['T', 'u32'], ['B', 'u32'], ['H', 'u32'], ['t', 'u32'],
  ['useState', 'u32'], ['writeState', 'u32'], ['hasDHs', 'u32'], ['hasDhT', 'u32'],
] as const;
const XENT_UNIFORMS = [['N', 'u32'], ['V', 'u32'], ['offLogits', 'u32'], ['scale', 'f32'], ['writeGrad', 'u32'], ['accumulateMetrics', 'u32']] as const;
const EMB_UNIFORMS = [['N', 'u32'], ['V', 'u32'], ['D', 'u32'], ['offOut', 'u32']] as const;
const DROPOUT_UNIFORMS = [['n', 'u32'], ['layer', 'u32'], ['offX', 'u32'], ['keep', 'f32'], ['accumulate', 'u32']] as const;
const SAMPLE_UNIFORMS = [['N', 'u32'], ['V', 'u32'], ['offLogits', 'u32'], ['temperature', 'f32']] as const;
const DATA_UNIFORMS = [['B', 'u32'], ['T', 'u32'], ['rowLen', 'u32'], ['len', 'u32']] as const;

const optimizer = (entry: string, moments: 0 | 1 | 2): KernelSpec => ({
  source: optimWgsl,
  entry,
  uniforms: [['n4', 'u32'], ['parts', 'u32']],
  bindings: [
    ['g', 1, 'read'], ['w', 3, 'rw'],
    ...([['m', 4, 'rw'], ['v', 5, 'rw']] as const).slice(0, moments),
    ['hyper', 6, 'read'], ['stats', 7, 'rw'],
  ],
  workgroup: [256],
});

const matmul = (transA: boolean, transB: boolean): KernelSpec => ({
  source: matmulWgsl,
  entry: 'main',
  uniforms: MATMUL_UNIFORMS,
  bindings: MATMUL_BINDINGS,
  constants: { TRANS_A: Number(transA), TRANS_B: Number(transB), WG_X: 8, WG_Y: 8 },
  workgroup: [8, 8],
});

const matmulV4 = (entry: 'nn' | 'tn' | 'nt'): KernelSpec => ({
  source: matmulV4Wgsl,
  entry,
  uniforms: MATMUL_UNIFORMS,
  // nn and tn write C as vec4s (binding 5), nt as floats (binding 4)
  bindings: entry === 'nt' ? MATMUL_BINDINGS : [['A', 1, 'read'], ['B', 2, 'read'], ['bias', 3, 'read'], ['C', 5, 'rw']],
  constants: { WG_X: 8, WG_Y: 8 },
  workgroup: [8, 8],
});

export const KERNELS = {
  matmul_nn: matmul(false, false),
  matmul_tn: matmul(true, false),
  matmul_nt: matmul(false, true),
  matmul_nn_v4: matmulV4('nn'),
  matmul_tn_v4: matmulV4('tn'),
  matmul_nt_v4: matmulV4('nt'),
  bias_grad: {
    source: matmulWgsl,
    entry: 'bias_grad',
    uniforms: MATMUL_UNIFORMS,
    bindings: [['dY', 1, 'read'], ['db', 4, 'rw']],
    workgroup: [64],
  },

  // LSTM: fused time steps (shaders/lstm.wgsl)
  lstm_forward_step: {
    source: lstmWgsl,
    entry: 'forward_step',
    uniforms: LSTM_UNIFORMS,
    bindings: [['XW', 1, 'read'], ['Wh', 2, 'read'], ['Hs', 3, 'rw'], ['Cs', 4, 'rw'], ['G', 5, 'rw'], ['state', 6, 'rw']],
    workgroup: [64],
  },
  lstm_forward_step_v4: {
    source: lstmWgsl,
    entry: 'forward_step_v4',
    uniforms: LSTM_UNIFORMS,
    bindings: [['XW', 1, 'read'], ['Wh', 2, 'read'], ['Hs', 13, 'rw'], ['Cs', 4, 'rw'], ['G', 5, 'rw'], ['state', 6, 'rw']],
    workgroup: [64],
  },
  lstm_forward_step_row: {
    source: lstmWgsl,
    entry: 'forward_step_row',
    uniforms: LSTM_UNIFORMS,
    bindings: [['XW', 1, 'read'], ['Wh', 2, 'read'], ['Hs', 3, 'rw'], ['Cs', 4, 'rw'], ['G', 5, 'rw'], ['state', 6, 'rw']],
    workgroup: [64],
  },
  lstm_transpose_wh: {
    source: lstmWgsl,
    entry: 'transpose_wh',
    uniforms: LSTM_UNIFORMS,
    bindings: [['Wh', 2, 'read'], ['WhT', 12, 'rw']],
    workgroup: [64],
  },
  lstm_init: {
    source: lstmWgsl,
    entry: 'init',
    uniforms: LSTM_UNIFORMS,
    bindings: [['Hs', 3, 'rw'], ['Cs', 4, 'rw'], ['state', 6, 'rw']],
    workgroup: [64],
  },
  lstm_carry: {
    source: lstmWgsl,
    entry: 'carry',
    uniforms: LSTM_UNIFORMS,
    bindings: [['Hs', 3, 'rw'], ['Cs', 4, 'rw'], ['state', 6, 'rw']],
    workgroup: [64],
  },
  lstm_backward_step: {
    source: lstmWgsl,
    entry: 'backward_step',
    uniforms: LSTM_UNIFORMS,
    bindings: [['WhT', 12, 'rw'], ['Cs', 4, 'rw'], ['G', 5, 'rw'], ['dHs', 7, 'read'], ['dhT', 8, 'read'], ['dG', 9, 'rw'], ['dC', 10, 'rw']],
    workgroup: [64],
  },
  lstm_backward_step_row: {
    source: lstmWgsl,
    entry: 'backward_step_row',
    uniforms: LSTM_UNIFORMS,
    bindings: [['Wh', 2, 'read'], ['Cs', 4, 'rw'], ['G', 5, 'rw'], ['dHs', 7, 'read'], ['dhT', 8, 'read'], ['dG', 9, 'rw'], ['dC', 10, 'rw']],
    workgroup: [64],
  },

  // Basic RNN (shaders/rnn.wgsl)
  rnn_forward_step: {
    source: rnnWgsl,
    entry: 'forward_step',
    uniforms: RNN_UNIFORMS,
    bindings: [['XW', 1, 'read'], ['Wh', 2, 'read'], ['Hs', 3, 'rw'], ['state', 6, 'rw']],
    workgroup: [64],
  },
  rnn_forward_step_v4: {
    source: rnnWgsl,
    entry: 'forward_step_v4',
    uniforms: RNN_UNIFORMS,
    bindings: [['XW', 11, 'read'], ['Wh', 12, 'read'], ['Hs', 13, 'rw'], ['state', 6, 'rw']],
    workgroup: [64],
  },
  rnn_init: {
    source: rnnWgsl,
    entry: 'init',
    uniforms: RNN_UNIFORMS,
    bindings: [['Hs', 3, 'rw'], ['state', 6, 'rw']],
    workgroup: [64],
  },
  rnn_carry: {
    source: rnnWgsl,
    entry: 'carry',
    uniforms: RNN_UNIFORMS,
    bindings: [['Hs', 3, 'rw'], ['state', 6, 'rw']],
    workgroup: [64],
  },
  rnn_backward_step: {
    source: rnnWgsl,
    entry: 'backward_step',
    uniforms: RNN_UNIFORMS,
    bindings: [['Wh', 2, 'read'], ['Hs', 3, 'rw'], ['dHs', 7, 'read'], ['dhT', 8, 'read'], ['dA', 9, 'rw']],
    workgroup: [64],
  },

  // Softmax cross-entropy (shaders/softmax_xent.wgsl)
  softmax_xent: {
    source: softmaxWgsl,
    entry: 'forward',
    uniforms: XENT_UNIFORMS,
    bindings: [['logits', 1, 'read'], ['labels', 2, 'read'], ['loss', 3, 'rw'], ['dLogits', 4, 'rw'], ['correct', 5, 'rw']],
    workgroup: [64],
  },
  softmax_xent_rows: {
    source: softmaxWgsl,
    entry: 'forward_rows',
    uniforms: XENT_UNIFORMS,
    bindings: [['logits', 1, 'read'], ['labels', 2, 'read'], ['loss', 3, 'rw'], ['dLogits', 4, 'rw'], ['correct', 5, 'rw']],
    workgroup: [64],
  },
  metrics_accumulate: {
    source: softmaxWgsl,
    entry: 'metrics_accumulate',
    uniforms: XENT_UNIFORMS,
    bindings: [['loss', 3, 'rw'], ['correct', 5, 'rw'], ['metrics', 6, 'rw']],
    workgroup: [64],
  },

  // Embedding (shaders/embedding.wgsl)
  embedding_gather: {
    source: embeddingWgsl,
    entry: 'gather',
    uniforms: EMB_UNIFORMS,
    bindings: [['table', 1, 'read'], ['ids', 2, 'read'], ['out', 3, 'rw']],
    workgroup: [64],
  },
  embedding_clear: {
    source: embeddingWgsl,
    entry: 'clear',
    uniforms: EMB_UNIFORMS,
    bindings: [['dTable', 5, 'rw']],
    workgroup: [64],
  },
  embedding_link: {
    source: embeddingWgsl,
    entry: 'link',
    uniforms: EMB_UNIFORMS,
    bindings: [['ids', 2, 'read'], ['links', 6, 'rw']],
    workgroup: [64],
  },
  embedding_scatter: {
    source: embeddingWgsl,
    entry: 'scatter',
    uniforms: EMB_UNIFORMS,
    bindings: [['ids', 2, 'read'], ['dOut', 4, 'read'], ['dTable', 5, 'rw'], ['links', 6, 'rw']],
    workgroup: [64],
  },

  // Dropout (shaders/dropout.wgsl)
  dropout_forward: {
    source: dropoutWgsl,
    entry: 'forward',
    uniforms: DROPOUT_UNIFORMS,
    bindings: [['x', 1, 'read'], ['y', 2, 'rw'], ['stepSeed', 3, 'read']],
    workgroup: [64],
  },
  dropout_backward: {
    source: dropoutWgsl,
    entry: 'backward',
    uniforms: DROPOUT_UNIFORMS,
    bindings: [['dy', 1, 'read'], ['dx', 2, 'rw'], ['stepSeed', 3, 'read']],
    workgroup: [64],
  },

  // Clipping and optimizers over flat buffers (shaders/optim.wgsl)
  grad_sumsq: {
    source: optimWgsl,
    entry: 'sumsq',
    uniforms: [['n4', 'u32'], ['parts', 'u32']],
    bindings: [['g', 1, 'read'], ['partial', 2, 'rw']],
    workgroup: [256],
  },
  clip_scale: {
    source: optimWgsl,
    entry: 'clip_scale',
    uniforms: [['n4', 'u32'], ['parts', 'u32']],
    bindings: [['partial', 2, 'rw'], ['hyper', 6, 'read'], ['stats', 7, 'rw']],
    workgroup: [256],
  },
  sgd: optimizer('sgd', 0),
  adam: optimizer('adam', 2),
  rmsprop: optimizer('rmsprop', 1),

  // Generation (shaders/sample.wgsl)
  sample_argmax: {
    source: sampleWgsl,
    entry: 'argmax',
    uniforms: SAMPLE_UNIFORMS,
    bindings: [['logits', 1, 'read'], ['out', 3, 'rw']],
    workgroup: [256],
  },
  sample_temperature: {
    source: sampleWgsl,
    entry: 'sample',
    uniforms: SAMPLE_UNIFORMS,
    bindings: [['logits', 1, 'read'], ['u', 2, 'read'], ['out', 3, 'rw']],
    workgroup: [256],
  },
  sample_push: {
    source: sampleWgsl,
    entry: 'push',
    uniforms: [['T', 'u32'], ['asFloat', 'u32']],
    bindings: [['next', 4, 'read'], ['window', 5, 'rw']],
    workgroup: [1],
  },

  // Datasets on the GPU (shaders/data.wgsl)
  image_batch: {
    source: dataWgsl,
    entry: 'image_batch',
    uniforms: DATA_UNIFORMS,
    bindings: [['pixels', 1, 'read'], ['labels', 2, 'read'], ['perm', 3, 'read'], ['step', 4, 'read'], ['X', 5, 'rw'], ['labelsOut', 6, 'rw']],
    workgroup: [64],
  },
  token_window: {
    source: dataWgsl,
    entry: 'token_window',
    uniforms: DATA_UNIFORMS,
    bindings: [['step', 4, 'read'], ['data', 7, 'read'], ['ids', 8, 'rw'], ['targets', 9, 'rw']],
    workgroup: [64],
  },

  // LSTM cell, elementwise half alone (shaders/lstm.wgsl): the fused step's test composes it with two matmuls.
  lstm_pointwise: {
    source: lstmWgsl,
    entry: 'pointwise',
    uniforms: LSTM_UNIFORMS,
    bindings: [['A', 11, 'read'], ['Hs', 3, 'rw'], ['Cs', 4, 'rw'], ['G', 5, 'rw']],
    workgroup: [64],
  },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;
