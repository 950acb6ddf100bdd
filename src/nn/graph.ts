// The tape. Models call ops on Values; each op records its forward dispatches into the Program and a node
// on the tape. backward() walks the tape in reverse and lets each op record its backward dispatches, so a
// whole training step (forward, backward, optimizer) is one fixed Program. Knows no model.
import type { Program } from '../gpu/program.ts';
import { makeTensor, type Tensor } from '../gpu/tensor.ts';

/** A slice of a tensor flowing through the graph: `offset` elements into `tensor`, `shape` row-major. */
export interface Value {
  readonly id: number;
  readonly tensor: Tensor;
  readonly offset: number;
  readonly shape: readonly number[];
  readonly size: number;
  readonly requiresGrad: boolean;
}

export interface OpDef<A> {
  readonly name: string;
  forward(g: Graph, inputs: readonly Value[], attrs: A): { outputs: Value[]; saved?: Record<string, Tensor> };
  /** Records the backward dispatches; writes input gradients through g.gradSink(input). */
  backward(g: Graph, node: TapeNode<A>, gradOutputs: readonly (Value | null)[]): void;
}

export interface TapeNode<A> {
  readonly op: OpDef<A>;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: A;
  readonly saved: Record<string, Tensor>;
}

/** Where a gradient goes: `accumulate` is true when an earlier contribution is already there. */
export interface GradSink {
  readonly tensor: Tensor;
  readonly accumulate: boolean;
}

let nextValueId = 1;

export class Graph {
  private readonly tape: TapeNode<unknown>[] = [];
  private readonly grads = new Map<number, { tensor: Tensor; written: boolean }>();
  private dummyTensor?: Tensor;
  private backwardDone = false;

  constructor(readonly program: Program) {}

  value(tensor: Tensor, shape: readonly number[] = tensor.shape, offset = 0, requiresGrad = false): Value {
    const size = shape.reduce((a, b) => a * b, 1);
    if (offset + size > tensor.size) throw new Error(`value of ${tensor.label}: [${shape}] at ${offset} exceeds ${tensor.size} elements`);
    return { id: nextValueId++, tensor, offset, shape: [...shape], size, requiresGrad };
  }

  /** A trainable parameter whose gradient is written into `grad` (a view of the flat gradient buffer). */
  param(tensor: Tensor, grad: Tensor): Value {
    const v = this.value(tensor, tensor.shape, 0, true);
    this.grads.set(v.id, { tensor: grad, written: false });
    return v;
  }

  /** A placeholder bound where a kernel has an optional input that is absent (never read). */
  get dummy(): Tensor {
    this.dummyTensor ??= this.program.persistent([4], 'unused');
    return this.dummyTensor;
  }

  apply<A>(op: OpDef<A>, inputs: readonly Value[], attrs: A): Value[] {
    if (this.backwardDone) throw new Error(`${op.name}: the graph's backward was already recorded`);
    const { outputs, saved = {} } = op.forward(this, inputs, attrs);
    this.tape.push({ op, inputs, outputs, attrs, saved } as TapeNode<unknown>);
    return outputs;
  }

  /** The tensor to write `v`'s gradient into, or null when v needs none. */
  gradSink(v: Value): GradSink | null {
    if (!v.requiresGrad) return null;
    let entry = this.grads.get(v.id);
    if (!entry) {
      entry = { tensor: this.program.transient(v.shape, `d(${v.tensor.label}@${v.offset})`), written: false };
      this.grads.set(v.id, entry);
    }
    const accumulate = entry.written;
    entry.written = true;
    return { tensor: entry.tensor, accumulate };
  }

  /** Declares an already computed tensor as v's whole gradient (e.g. dLogits from the fused loss). */
  provideGrad(v: Value, tensor: Tensor): void {
    if (!v.requiresGrad) return;
    if (this.grads.has(v.id)) throw new Error(`provideGrad: ${v.tensor.label} already has a gradient`);
    this.grads.set(v.id, { tensor, written: true });
  }

  private gradValue(v: Value): Value | null {
    const entry = this.grads.get(v.id);
    if (!entry || !entry.written) return null;
    return this.value(entry.tensor, v.shape, 0);
  }

  /** Records the backward of everything on the tape, in reverse. Loss ops seed their own gradients. */
  backward(): void {
    if (this.backwardDone) throw new Error('backward already recorded');
    this.backwardDone = true;
    for (let i = this.tape.length - 1; i >= 0; i--) {
      const node = this.tape[i];
      if (!node.inputs.some((x) => x.requiresGrad)) continue;
      const gradOutputs = node.outputs.map((o) => this.gradValue(o));
      const isLoss = (node.op as { seedsGradient?: boolean }).seedsGradient === true;
      if (!isLoss && gradOutputs.every((g) => g === null)) continue;
      node.op.backward(this, node, gradOutputs);
    }
  }

  /** What the op that produced `v` saved for backward (e.g. an LSTM's gates, to display them). */
  savedOf(v: Value): Record<string, Tensor> {
    const node = this.tape.find((n) => n.outputs.includes(v));
    if (!node) throw new Error(`savedOf: ${v.tensor.label} was not produced by an op`);
    return node.saved;
  }

  /** Parameters that received no gradient (a model wiring error). */
  missingGrads(params: readonly Value[]): Value[] {
    return params.filter((p) => !this.grads.get(p.id)?.written);
  }
}

export function tensorFor(label: string, shape: number[], owner: Program): Tensor {
  return makeTensor({ label, shape, dtype: 'f32', kind: 'transient', owner });
}
