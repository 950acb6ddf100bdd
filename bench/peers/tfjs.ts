// The TF.js peer of `npm run bench` (issue #6): the workload built the way a TF.js user would build it, with
// tf.layers (LSTM / SimpleRNN, Dense, Embedding), trained on one fixed batch on the backend asked for.
import * as tf from '@tensorflow/tfjs';
import { fixedBatch, type OptimizerSpec, type PeerRunner, type WorkloadSpec } from '../workloads.ts';

type TfjsBackend = 'webgpu' | 'cpu' | 'webgl';

async function selectBackend(backend: TfjsBackend): Promise<void> {
  // The webgpu backend is a separate package; importing it registers it with tfjs-core.
  if (backend === 'webgpu') await import('@tensorflow/tfjs-backend-webgpu');
  let ok: boolean;
  try {
    ok = await tf.setBackend(backend);
  } catch (e) {
    throw new Error(`TF.js could not initialise its ${backend} backend: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (!ok) throw new Error(`TF.js could not initialise its ${backend} backend (tf.setBackend('${backend}') returned false)`);
  await tf.ready();
  if (tf.getBackend() !== backend) throw new Error(`TF.js is on backend '${tf.getBackend()}', not '${backend}'`);
}

function makeOptimizer(o: OptimizerSpec): tf.Optimizer {
  switch (o.kind) {
    case 'adam':
      return tf.train.adam(o.lr, o.beta1, o.beta2, o.epsilon);
    case 'rmsprop':
      return tf.train.rmsprop(o.lr, o.decay, 0, o.epsilon);
    case 'sgd':
      return tf.train.sgd(o.lr);
  }
}

/** Time-major [steps][batch][size] -> batch-major [batch][steps][size] (size 1 for ids and every-step targets). */
function toBatchMajor<A extends Float32Array | Int32Array>(src: A, steps: number, batch: number, size: number): A {
  const out = new (src.constructor as { new (n: number): A })(src.length);
  for (let t = 0; t < steps; t++) {
    for (let b = 0; b < batch; b++) {
      const from = (t * batch + b) * size;
      out.set(src.subarray(from, from + size), (b * steps + t) * size);
    }
  }
  return out;
}

/** The recurrent layers of the model, lowest first. */
function recurrentLayers(w: WorkloadSpec, stateful: boolean, firstLayerInput: tf.layers.Layer | null): tf.layers.Layer[] {
  if (w.forgetBias !== 0 && w.forgetBias !== 1) {
    throw new Error(`TF.js peer: forgetBias ${w.forgetBias} is not expressible (unitForgetBias adds exactly 1)`);
  }
  const out: tf.layers.Layer[] = [];
  for (let l = 0; l < w.layers; l++) {
    const returnSequences = w.output === 'every-step' || l < w.layers - 1;
    // Only the first layer of a Sequential model declares its input shape (unless an embedding comes first).
    const shape =
      l > 0 || firstLayerInput !== null
        ? {}
        : stateful
          ? { batchInputShape: [w.batch, w.steps, w.input.size] }
          : { inputShape: [w.steps, w.input.size] };
    // TF.js's default recurrentInitializer is 'orthogonal', which runs a QR decomposition of [4H, H] on the
    // backend at build time: on webgpu (SwiftShader) that took ~150 s and 0.46 GB of buffers for H=128, and for
    // H=512 allocated ~29 GB and lost the device ("mapAsync ... A valid external Instance reference no longer
    // exists") before the first step. Initial values do not change the cost of a step; glorotUniform (the kernels'
    // default, and close to rnnlab's uniform init) is drawn on the CPU and uploaded once.
    const init = { recurrentInitializer: 'glorotUniform' } as const;
    if (w.cell === 'lstm') {
      out.push(
        tf.layers.lstm({
          units: w.hidden,
          recurrentActivation: 'sigmoid', // TF.js's default is hardSigmoid; the spec uses the logistic sigmoid
          unitForgetBias: w.forgetBias === 1,
          returnSequences,
          stateful,
          ...init,
          ...shape,
        }),
      );
    } else {
      out.push(tf.layers.simpleRNN({ units: w.hidden, activation: 'tanh', returnSequences, stateful, ...init, ...shape }));
    }
  }
  return out;
}

export async function createTfjsRunner(
  w: WorkloadSpec,
  backend: TfjsBackend,
): Promise<PeerRunner & { extra(): Record<string, number> }> {
  await selectBackend(backend);
  const tensorsBefore = tf.memory().numTensors;
  const { x: x0, y: y0 } = fixedBatch(w);
  const everyStep = w.output === 'every-step';
  // Every-step (PTB) carries the final (h, c) into the next step, as the PTB tutorial does: stateful layers
  // need a fixed batch size, which the workload has.
  const stateful = everyStep;

  // ---- model
  const model = tf.sequential();
  let embedding: tf.layers.Layer | null = null;
  if (w.input.kind === 'embedding') {
    embedding = tf.layers.embedding({
      inputDim: w.input.vocab,
      outputDim: w.input.size,
      ...(stateful ? { batchInputShape: [w.batch, w.steps] } : { inputShape: [w.steps] }),
    });
  }
  const rnns = recurrentLayers(w, stateful, embedding);
  // Dense on a [batch, steps, hidden] input applies to every step at once (one matmul); on 'last' it is the head.
  const head = tf.layers.dense({ units: w.classes, activation: everyStep ? 'linear' : 'softmax' });
  // model.add builds the layers; the tidy frees the temporaries TF.js's unitForgetBias initialiser leaves behind
  // (the weights are variables, which a tidy keeps).
  tf.tidy(() => {
    if (embedding !== null) model.add(embedding);
    for (const layer of rnns) model.add(layer);
    model.add(head);
  });

  // ---- data: one fixed batch, uploaded once
  const x =
    w.input.kind === 'dense'
      ? tf.tensor3d(toBatchMajor(x0 as Float32Array, w.steps, w.batch, w.input.size), [w.batch, w.steps, w.input.size])
      : tf.tensor2d(toBatchMajor(x0 as Int32Array, w.steps, w.batch, 1), [w.batch, w.steps], 'int32');
  const y = tf.tidy(() =>
    everyStep
      ? tf.oneHot(tf.tensor2d(toBatchMajor(y0, w.steps, w.batch, 1), [w.batch, w.steps], 'int32'), w.classes)
      : tf.oneHot(tf.tensor1d(y0, 'int32'), w.classes),
  );

  const optimizer = makeOptimizer(w.optimizer);
  const version = tf.version.tfjs;
  const gates = w.cell === 'lstm' ? `LSTM sigmoid gates${w.forgetBias === 1 ? ', unitForgetBias' : ''}` : 'SimpleRNN tanh';
  const baseNote = `TF.js ${version} layers, ${backend}, ${gates}, glorotUniform recurrent kernels (not the default orthogonal: its QR at build time exhausts webgpu memory here)`;

  let lossValue = NaN;
  let lossTensor: tf.Scalar | null = null;
  let normTensor: tf.Scalar | null = null; // global gradient norm of the latest step (clipped workloads)
  let normValue = NaN;
  let runSteps: (n: number) => Promise<void>;
  let note: string;

  if (w.optimizer.kind !== 'sgd' && !everyStep) {
    // The usual TF.js way: compile + trainOnBatch (it reads the loss back every step, by design).
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    note = `${baseNote}, model.trainOnBatch (reads the loss back every step), softmax + categoricalCrossentropy`;
    runSteps = async (n) => {
      for (let i = 0; i < n; i++) {
        const r = await model.trainOnBatch(x, y);
        lossValue = Array.isArray(r) ? r[0] : r;
      }
    };
  } else {
    // Custom step: compile cannot clip by global norm, and the every-step loss is a sum over steps.
    const vars = model.trainableWeights.map((v) => v.read() as tf.Variable);
    const clipNorm = w.optimizer.kind === 'sgd' ? w.optimizer.clipNorm : null;
    const lossFn = (): tf.Scalar => {
      const out = model.apply(x, { training: true }) as tf.Tensor;
      if (everyStep) {
        // Sum over steps of the batch-mean cross-entropy = sum over all (batch, step) / batch.
        return tf.div(tf.losses.softmaxCrossEntropy(y, out, undefined, 0, tf.Reduction.SUM), w.batch) as tf.Scalar;
      }
      return tf.mean(tf.metrics.categoricalCrossentropy(y, out)) as tf.Scalar;
    };
    // One training step; returns the loss and (when clipping) the global gradient norm before clipping.
    const step = (): { value: tf.Scalar; norm: tf.Scalar | null } => {
      const [value, norm] = tf.tidy((): tf.Scalar[] => {
        const { value, grads } = optimizer.computeGradients(lossFn, vars);
        if (clipNorm === null) {
          optimizer.applyGradients(grads);
          return [value];
        }
        const names = Object.keys(grads);
        // Sum of squares added pairwise: tf.addN over all the gradients would bind one storage buffer per input,
        // and on the webgpu backend more than 7 inputs exceed the default limit of 8 per shader stage (the pipeline
        // is then invalid and the norm silently wrong).
        const norm = tf.sqrt(names.map((k) => tf.sum(tf.square(grads[k]))).reduce((a, b) => tf.add(a, b))) as tf.Scalar;
        // TensorFlow's clip_by_global_norm: g * clipNorm / max(norm, clipNorm); no readback.
        const scale = tf.div(clipNorm, tf.maximum(norm, clipNorm));
        const clipped: tf.NamedTensorMap = {};
        for (const k of names) clipped[k] = tf.mul(grads[k], scale);
        optimizer.applyGradients(clipped);
        return [value, norm];
      });
      return { value, norm: norm ?? null };
    };
    // Stateful RNN layers keep each step's old states (for BPTT) until resetStates() with no argument; drop them
    // after every step so memory stays flat, keeping the current (h, c) as the next step's initial state.
    const dropKeptStates = () => {
      for (const layer of rnns as unknown as tf.RNN[]) {
        const current = layer.states.map((s) => s.clone());
        layer.resetStates();
        layer.resetStates(current);
        tf.dispose(current);
      }
    };
    note =
      `${baseNote}, custom step (optimizer.computeGradients` +
      (clipNorm !== null ? ` + global-norm clip at ${clipNorm}` : '') +
      ' + applyGradients, no per-step readback)' +
      (everyStep
        ? ', stateful LSTMs carry (h, c) between steps, Dense on the [batch, steps, hidden] output, ' +
          'tf.losses.softmaxCrossEntropy summed / batch'
        : ', softmax + categoricalCrossentropy');
    runSteps = async (n) => {
      for (let i = 0; i < n; i++) {
        const { value, norm } = step();
        if (stateful) dropKeptStates();
        tf.dispose([lossTensor, normTensor].filter((t) => t !== null));
        lossTensor = value;
        normTensor = norm;
      }
      if (lossTensor !== null) lossValue = (await lossTensor.data())[0];
    };
  }
  let stepsRun = 0;
  let tensorsAfterFirst = -1;
  return {
    note,
    async run(n: number) {
      await runSteps(n);
      stepsRun += n;
      // Memory must stay flat over steps (after the first, which creates the optimizer's slots).
      if (tensorsAfterFirst < 0) tensorsAfterFirst = tf.memory().numTensors;
    },
    extra() {
      const numTensors = tf.memory().numTensors;
      const out: Record<string, number> = { numTensors, tensorsGainedAfterFirstRun: numTensors - tensorsAfterFirst, stepsRun };
      if (!Number.isNaN(normValue)) out.gradNormBeforeClip = normValue; // read back in lastLoss()
      return out;
    },
    async lastLoss() {
      if (normTensor !== null) normValue = (await normTensor.data())[0];
      return lossValue;
    },
    dispose() {
      tf.dispose([lossTensor, normTensor].filter((t) => t !== null));
      lossTensor = normTensor = null;
      if (stateful) for (const layer of rnns as unknown as tf.RNN[]) tf.dispose(layer.states);
      model.dispose();
      optimizer.dispose();
      tf.dispose([x, y]);
      const left = tf.memory().numTensors - tensorsBefore;
      if (left > 0) console.warn(`TF.js peer: ${left} tensors left after dispose`);
    },
  };
}
