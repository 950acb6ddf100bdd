// The jax-js peer of `npm run bench` (issue #6): the workload's recurrent net written in jax-js's NumPy API, the whole
// training step (forward, backward via valueAndGrad, optimizer update) traced into ONE `jit`.
//
// Memory: jax-js uses move semantics. Every function (ours included, and the jitted step) consumes its array
// arguments; `.ref` takes an extra reference where a value is used more than once. The runner owns exactly one
// reference to each of: the parameters, the optimizer state, the carried state, the fixed batch, the last loss.
import { blockUntilReady, defaultDevice, init, jit, nn, numpy as np, tree, valueAndGrad, type OwnedFunction } from '@jax-js/jax';
import { fixedBatch, rng, type PeerRunner, type WorkloadSpec } from '../workloads.ts';

type Arr = np.Array;

/** Trainable parameters. `emb` holds the [vocab, size] table for 'embedding' input, else nothing. Per layer l:
 *  wx[l] [in, G], wh[l] [H, G], b[l] [G] with G = 4H (LSTM gates i, f, g, o) or H (tanh RNN). */
type Params = { emb: Arr[]; wx: Arr[]; wh: Arr[]; b: Arr[]; wo: Arr; bo: Arr };
/** Per-layer state carried between training steps ('every-step' output, truncated BPTT); empty lists otherwise. */
type Carry = { h: Arr[]; c: Arr[] };
/** Adam: m, v and [beta1^t, beta2^t]; RMSProp: the mean square in m; SGD: nothing. Lists follow the parameters'
 *  flattened leaf order. */
type OptState = { m: Arr[]; v: Arr[]; pow: Arr[] };
type StepFn = OwnedFunction<(p: Params, o: OptState, carry: Carry, x: Arr, y: Arr) => [Params, OptState, Carry, Arr]>;

/** How the embedding lookup is done; 'take' is a gather (its gradient a scatter-add), 'onehot' a one-hot matmul. */
export type EmbeddingGather = 'take' | 'onehot';
/** 'plain': np.split into gates, nn.sigmoid / np.tanh each; 'fused': see the cell below. */
export type CellImpl = 'plain' | 'fused';

type JaxBackend = 'webgpu' | 'wasm';
/** WebGPU: steps between two waits on the device inside one run(). Without them, jax-js queues the kernels of every step
 *  of the call ahead of the device, and on SwiftShader steps got 5x slower over a 150-step call (tiny PTB: ~300 vs
 *  ~50 ms/step); with a wait on the fence set FENCE_EVERY steps earlier the queue stays short and the device busy. */
const FENCE_EVERY = 4;
const started = new Map<JaxBackend, Promise<boolean>>();

/** Starts jax-js's `backend` device (once per page) and makes it the default device. */
async function useDevice(backend: JaxBackend): Promise<void> {
  if (!started.has(backend)) started.set(backend, init(backend).then((ds) => ds.includes(backend)));
  if (!(await started.get(backend))) throw new Error(`jax-js: device '${backend}' is not available here`);
  defaultDevice(backend);
}

/** Submits everything `a` waits on without waiting for the device (WebGPU), so the step's kernels are queued
 *  now and no per-step readback is needed; on Wasm (synchronous kernels) it runs them. */
async function submit(a: Arr, backend: JaxBackend): Promise<void> {
  if (backend === 'webgpu') a.gpuBufferSync(); // submits the pending kernels; consumes the reference
  else (await blockUntilReady(a)).dispose();
}

/** jax-js's matmul throughput on `backend`: GFLOP/s of an n x n x n float32 product (median of `reps`, after one
 *  warm-up), each product waited for on its own. */
export async function jaxMatmulRoof(n: number, reps: number, backend: JaxBackend = 'webgpu'): Promise<number> {
  await useDevice(backend);
  const r = rng(7);
  const rand = () => np.array(Float32Array.from({ length: n * n }, () => r() - 0.5), { shape: [n, n], device: backend });
  const a = rand(), b = rand();
  try {
    const times: number[] = [];
    for (let i = 0; i <= reps; i++) {
      const t0 = performance.now();
      const c = np.matmul(a.ref, b.ref);
      (await blockUntilReady(c)).dispose();
      if (i > 0) times.push(performance.now() - t0);
    }
    const ms = [...times].sort((x, y) => x - y)[Math.floor(times.length / 2)]!;
    return (2 * n ** 3) / (ms / 1000) / 1e9;
  } finally {
    a.dispose();
    b.dispose();
  }
}

export async function createJaxRunner(
  w: WorkloadSpec,
  backend: JaxBackend,
  opts: { gather?: EmbeddingGather; cell?: CellImpl } = {},
): Promise<PeerRunner> {
  await useDevice(backend);
  const device = backend;
  const gather: EmbeddingGather = opts.gather ?? 'take';
  const cellImpl: CellImpl = opts.cell ?? 'fused';

  const { steps: T, batch: B, hidden: H, layers: L, classes: C } = w;
  const lstm = w.cell === 'lstm';
  const G = (lstm ? 4 : 1) * H;
  const inSize = w.input.size;
  const everyStep = w.output === 'every-step';
  const TB = T * B;

  // ---- parameters (uniform ±0.1, zero biases, forget-gate bias = w.forgetBias), on the device ----
  const r = rng(1234);
  const uniform = (shape: number[], scale = 0.1) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const a = new Float32Array(n);
    for (let i = 0; i < n; i++) a[i] = (r() * 2 - 1) * scale;
    return np.array(a, { shape, device });
  };
  const bias = () => {
    const a = new Float32Array(G);
    if (lstm) a.fill(w.forgetBias, H, 2 * H);
    return np.array(a, { shape: [G], device });
  };
  let params: Params = {
    emb: w.input.kind === 'embedding' ? [uniform([w.input.vocab, w.input.size])] : [],
    wx: Array.from({ length: L }, (_, l) => uniform([l === 0 ? inSize : H, G])),
    wh: Array.from({ length: L }, () => uniform([H, G])),
    b: Array.from({ length: L }, bias),
    wo: uniform([H, C]),
    bo: np.zeros([C], { device }),
  };
  const fullLikeLeaves = (fill: number) => tree.leaves<Arr>(params).map((p) => np.full(p.shape, fill, { device }));
  const opt = w.optimizer;
  let optState: OptState =
    opt.kind === 'adam'
      ? { m: fullLikeLeaves(0), v: fullLikeLeaves(0), pow: [np.array(1, { device }), np.array(1, { device })] }
      : opt.kind === 'rmsprop'
        ? { m: fullLikeLeaves(1), v: [], pow: [] } // TF1's RMSProp starts the mean square at 1
        : { m: [], v: [], pow: [] };
  let carry: Carry = everyStep
    ? {
        h: Array.from({ length: L }, () => np.zeros([B, H], { device })),
        c: lstm ? Array.from({ length: L }, () => np.zeros([B, H], { device })) : [],
      }
    : { h: [], c: [] };

  // ---- the fixed batch, uploaded once ----
  const data = fixedBatch(w);
  const xData =
    w.input.kind === 'dense'
      ? np.array(data.x as Float32Array<ArrayBuffer>, { shape: [T, B, inSize], device })
      : np.array(data.x as Int32Array<ArrayBuffer>, { shape: [TB], dtype: np.int32, device });
  const yData = np.array(data.y as Int32Array<ArrayBuffer>, { shape: [data.y.length], dtype: np.int32, device });

  // ---- the model ----
  /** Softmax cross-entropy summed over rows, divided by B: 'last' = batch mean, 'every-step' = sum over steps of
   *  the batch means. */
  const crossEntropy = (logits: Arr, y: Arr): Arr => {
    const logp = nn.logSoftmax(logits, -1);
    const classes = np.arange(C, undefined, undefined, { dtype: np.int32, device }).reshape([1, C]);
    const onehot = y.reshape([-1, 1]).equal(classes).astype(np.float32);
    return onehot.mul(logp).sum().mul(-1 / B);
  };

  /** tanh(x) = 2*sigmoid(2x) - 1 (two kernels in jax-js, np.tanh takes five). */
  const tanhS = (x: Arr): Arr => nn.sigmoid(x.mul(2)).mul(2).sub(1);

  const lossFn = (p: Params, c0: Carry, x: Arr, y: Arr): [Arr, Carry] => {
    let seq: Arr; // [T*B, in]: the layer's input at every time step, time-major
    if (w.input.kind === 'embedding') {
      const table = p.emb[0]!;
      // The product with ones is an identity that jax-js 0.1.25 needs: under jit, the scatter-add that is take's
      // gradient must get a materialised cotangent, and the one arriving from the matmul below is a reshape view
      // ("jit: routine primitive scatter input is not imm"). The multiply makes it a real (fused, cheap) kernel.
      if (gather === 'take') seq = np.take(table, x, 0).mul(np.ones([1, w.input.size], { device }));
      else {
        const V = w.input.vocab;
        const vocab = np.arange(V, undefined, undefined, { dtype: np.int32, device }).reshape([1, V]);
        const ids = x.reshape([-1, 1]).equal(vocab);
        seq = np.matmul(ids.astype(np.float32), table);
      }
    } else seq = x.reshape([TB, inSize]);

    const next: Carry = { h: [], c: [] };
    let top: Arr | undefined; // last layer's final h ('last' output)
    for (let l = 0; l < L; l++) {
      const wantSeq = l < L - 1 || everyStep;
      // The input projection of all time steps at once, then the recurrence step by step.
      const xs = np.unstack(np.matmul(seq, p.wx[l]!).add(p.b[l]!).reshape([T, B, G]), 0);
      const wh = p.wh[l]!;
      let h = everyStep ? c0.h[l]! : np.zeros([B, H], { device });
      let c = lstm ? (everyStep ? c0.c[l]! : np.zeros([B, H], { device })) : undefined;
      // 'fused' cell: the four gates activated by ONE sigmoid over [B, 4H], the g block through
      // tanh(x) = 2*sigmoid(2x) - 1 (the pre-activation scaled by 1,1,2,1 per block), gates taken as slices (views
      // that fuse into their consumers) and tanh(c) = 2*sigmoid(2c) - 1. The same maths as nn.sigmoid / np.tanh
      // per gate ('plain'), in far fewer kernels. nn.sigmoid is 1/(1+exp(-x)) in jax-js either way.
      const scale =
        lstm && cellImpl === 'fused'
          ? np.array(Float32Array.from({ length: G }, (_, k) => (k >= 2 * H && k < 3 * H ? 2 : 1)), { shape: [1, G], device })
          : undefined;
      const hs: Arr[] = [];
      for (let t = 0; t < T; t++) {
        const pre = xs[t]!.add(np.matmul(h, wh.ref));
        if (lstm && scale) {
          const a = nn.sigmoid(pre.mul(scale.ref));
          const gi = a.ref.slice([], [0, H]), gf = a.ref.slice([], [H, 2 * H]), go = a.ref.slice([], [3 * H, 4 * H]);
          const gg = a.slice([], [2 * H, 3 * H]).mul(2).sub(1);
          c = gf.mul(c!).add(gi.mul(gg));
          h = go.mul(tanhS(c.ref));
        } else if (lstm) {
          const [gi, gf, gg, go] = np.split(pre, 4, 1) as [Arr, Arr, Arr, Arr];
          c = nn.sigmoid(gf).mul(c!).add(nn.sigmoid(gi).mul(np.tanh(gg)));
          h = nn.sigmoid(go).mul(np.tanh(c.ref));
        } else h = cellImpl === 'fused' ? tanhS(pre) : np.tanh(pre);
        if (wantSeq) hs.push(h.ref);
      }
      scale?.dispose();
      wh.dispose();
      if (wantSeq) seq = np.concatenate(hs, 0);
      if (everyStep) {
        next.h.push(h);
        if (c) next.c.push(c);
      } else {
        c?.dispose();
        if (l === L - 1) top = h;
        else h.dispose();
      }
    }
    const logits = np.matmul(everyStep ? seq! : top!, p.wo).add(p.bo);
    return [crossEntropy(logits, y), next];
  };

  const gradFn = valueAndGrad(lossFn, { hasAux: true });

  const stepFn = (p: Params, o: OptState, c0: Carry, x: Arr, y: Arr): [Params, OptState, Carry, Arr] => {
    const [[loss, c1], grads] = gradFn(tree.ref(p), c0, x, y) as unknown as [[Arr, Carry], Params];
    const [ps, def] = tree.flatten<Arr>(p);
    const gs = tree.leaves<Arr>(grads);
    const out: Arr[] = [];
    let o2: OptState;
    if (opt.kind === 'adam') {
      const { beta1: b1, beta2: b2, epsilon: eps, lr } = opt;
      const p1 = o.pow[0]!.mul(b1), p2 = o.pow[1]!.mul(b2);
      // TF's form of the bias correction: lr_t = lr * sqrt(1 - beta2^t) / (1 - beta1^t); p -= lr_t * m / (sqrt(v) + eps)
      const lrT = np.sqrt(np.negative(p2.ref).add(1)).mul(lr).div(np.negative(p1.ref).add(1));
      const m: Arr[] = [], v: Arr[] = [];
      ps.forEach((pi, i) => {
        const g = gs[i]!;
        const mi = o.m[i]!.mul(b1).add(g.ref.mul(1 - b1));
        const vi = o.v[i]!.mul(b2).add(np.square(g).mul(1 - b2));
        out.push(pi.sub(lrT.ref.mul(mi.ref).div(np.sqrt(vi.ref).add(eps))));
        m.push(mi);
        v.push(vi);
      });
      lrT.dispose();
      o2 = { m, v, pow: [p1, p2] };
    } else if (opt.kind === 'rmsprop') {
      // TF1 RMSProp (no momentum): ms = decay*ms + (1-decay)*g^2; p -= lr * g / sqrt(ms + eps)
      const { decay, epsilon: eps, lr } = opt;
      const m: Arr[] = [];
      ps.forEach((pi, i) => {
        const g = gs[i]!;
        const ms = o.m[i]!.mul(decay).add(np.square(g.ref).mul(1 - decay));
        out.push(pi.sub(g.mul(lr).div(np.sqrt(ms.ref.add(eps)))));
        m.push(ms);
      });
      o2 = { m, v: [], pow: [] };
    } else {
      // SGD with clipping by the global norm (TF's clip_by_global_norm): g *= clip / max(||g||, clip)
      const { clipNorm, lr } = opt;
      const norm = np.sqrt(gs.map((g) => np.square(g.ref).sum()).reduce((a, b) => a.add(b)));
      const scale = np.reciprocal(np.maximum(norm, clipNorm)).mul(clipNorm * lr);
      ps.forEach((pi, i) => out.push(pi.sub(gs[i]!.mul(scale.ref))));
      scale.dispose();
      o2 = { m: [], v: [], pow: [] };
      tree.dispose(o);
    }
    return [tree.unflatten(def, out) as Params, o2, c1, loss];
  };

  const step: StepFn = jit(stepFn) as unknown as StepFn;

  let lastLoss: Arr | undefined;
  let disposed = false;
  const gatherNote =
    w.input.kind === 'embedding'
      ? `, embedding via ${gather === 'take' ? 'np.take (gather; gradient = scatter-add; rows x ones to work around a jax-js jit bug)' : 'one-hot matmul'}`
      : '';
  const cellNote =
    cellImpl === 'fused'
      ? lstm
        ? 'LSTM gates by one nn.sigmoid over [B,4H] (g and tanh(c) as 2*sigmoid(2x)-1), gates as slices'
        : 'tanh as 2*sigmoid(2x)-1'
      : 'np.split gates, nn.sigmoid / np.tanh';
  const optNote =
    opt.kind === 'adam'
      ? 'Adam with TF-style bias correction (lr_t = lr*sqrt(1-b2^t)/(1-b1^t))'
      : opt.kind === 'rmsprop'
        ? 'RMSProp TF1-style (ms starts at 1, p -= lr*g/sqrt(ms+eps), no momentum)'
        : `SGD with global-norm clipping at ${opt.clipNorm}`;

  return {
    note:
      `jax-js 0.1.25, ${backend}` +
      (backend === 'wasm' && typeof SharedArrayBuffer === 'undefined' ? ' (single-threaded: no SharedArrayBuffer)' : '') +
      ', ' +
      `whole step (loss, valueAndGrad, optimizer) under one jit, input projection of all time steps as one matmul, ` +
      `${cellNote}, ${optNote}${gatherNote}, uniform ±0.1 init, ` +
      (backend === 'webgpu'
        ? `each step submitted as traced, a device wait every ${FENCE_EVERY} steps and at the end of run()`
        : 'each step run to completion'),
    async run(n: number) {
      if (disposed) throw new Error('jax-js runner: disposed');
      let fence: Promise<void> | undefined;
      for (let i = 0; i < n; i++) {
        const [p, o, c, loss] = step(params, optState, carry, xData.ref, yData.ref);
        params = p;
        optState = o;
        carry = c;
        lastLoss?.dispose();
        lastLoss = loss;
        // jax-js is lazy: without this the kernels of all n steps would only be submitted at the end.
        await submit(loss.ref, backend);
        // Bound the work queued ahead of the device: every FENCE_EVERY steps, wait for the previous fence (set
        // FENCE_EVERY steps ago) and set a new one. Never a stall on the step just queued.
        if (backend === 'webgpu' && i % FENCE_EVERY === FENCE_EVERY - 1 && i < n - 1) {
          await fence;
          fence = blockUntilReady(loss.ref).then((a) => a.dispose());
        }
      }
      await fence;
      if (lastLoss) await blockUntilReady(lastLoss); // the wait for the device at the end of the call
    },
    async lastLoss() {
      if (!lastLoss) return NaN;
      const d = await lastLoss.ref.data();
      return d[0]!;
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      lastLoss?.dispose();
      lastLoss = undefined;
      tree.dispose(params);
      tree.dispose(optState);
      tree.dispose(carry);
      xData.dispose();
      yData.dispose();
      step.dispose();
    },
  };
}
