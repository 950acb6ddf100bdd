// A sequence classifier: one recurrent layer (LSTM or basic RNN) reads the input one row per time step;
// its last hidden state goes through a linear layer to the class logits. MNIST row by row is T = 28 steps
// of I = 28 pixels (../shared/docs/reference-results.md section 1).
import type { Graph, Value } from '../nn/graph.ts';
import { linear, lstm, rnn } from '../nn/ops.ts';
import type { ParamSpec } from '../nn/params.ts';

export type Cell = 'lstm' | 'rnn';

export interface ClassifierConfig {
  cell: Cell;
  hidden: number;
  steps: number;
  inputSize: number;
  classes: number;
  /** LSTM: constant added to the forget gate's pre-activation (TF BasicLSTMCell forget_bias=1.0). */
  forgetBias: number;
}

export const MNIST_CLASSIFIER: ClassifierConfig = { cell: 'lstm', hidden: 128, steps: 28, inputSize: 28, classes: 10, forgetBias: 1 };

export function classifierParams(c: ClassifierConfig): ParamSpec[] {
  const gates = c.cell === 'lstm' ? 4 : 1;
  const H = c.hidden;
  // TF's default for the cell kernel [I+H][gates·H]: Glorot uniform over the combined matrix.
  const cellScale = Math.sqrt(6 / (c.inputSize + H + gates * H));
  return [
    { name: 'Wx', shape: [c.inputSize, gates * H], init: { kind: 'uniform', scale: cellScale } },
    { name: 'Wh', shape: [H, gates * H], init: { kind: 'uniform', scale: cellScale } },
    { name: 'b', shape: [gates * H], init: { kind: 'zeros' } },
    { name: 'Wy', shape: [H, c.classes], init: { kind: 'glorot' } },
    { name: 'by', shape: [c.classes], init: { kind: 'zeros' } },
  ];
}

export interface ClassifierOutputs {
  logits: Value;
  /** The recurrent layer's outputs for steps 1..T ([T·B][H]). */
  hs: Value;
}

/** x: [T·B][I] time-major. */
export function classifierForward(g: Graph, p: Record<string, Value>, x: Value, c: ClassifierConfig, B: number): ClassifierOutputs {
  const attrs = { T: c.steps, B, I: c.inputSize, H: c.hidden, forgetBias: c.forgetBias };
  const [hs, hLast] = g.apply(c.cell === 'lstm' ? lstm : rnn, [x, p.Wx, p.Wh, p.b], attrs);
  const [logits] = g.apply(linear, [hLast, p.Wy, p.by], { rows: B, inDim: c.hidden, outDim: c.classes });
  return { logits, hs };
}
