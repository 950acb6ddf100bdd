// The kernel table: every WGSL entry point rnnlab dispatches, with its bindings and uniforms.
// Binding 0 of group 0 is always the kernel's uniform block (`Params` in the shader); the table lists the
// uniform fields in declaration order (all 32-bit) and the storage bindings by name, slot and access.
// Ops dispatch kernels by name and pass bindings by name, so a call site reads like the shader.
import matmulWgsl from '../../shaders/matmul.wgsl?raw';

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

const matmul = (transA: boolean, transB: boolean): KernelSpec => ({
  source: matmulWgsl,
  entry: 'main',
  uniforms: MATMUL_UNIFORMS,
  bindings: MATMUL_BINDINGS,
  constants: { TRANS_A: Number(transA), TRANS_B: Number(transB), WG_X: 8, WG_Y: 8 },
  workgroup: [8, 8],
});

export const KERNELS = {
  matmul_nn: matmul(false, false),
  matmul_tn: matmul(true, false),
  matmul_nt: matmul(false, true),
  bias_grad: {
    source: matmulWgsl,
    entry: 'bias_grad',
    uniforms: MATMUL_UNIFORMS,
    bindings: [['dY', 1, 'read'], ['db', 4, 'rw']],
    workgroup: [64],
  },
} as const satisfies Record<string, KernelSpec>;

export type KernelName = keyof typeof KERNELS;
