// Which variant of a recurrent step kernel an op records, per device and shape: like a cuDNN handle's algorithm
// cache. The default is fixed (a rule that suits CPU adapters, where every load costs tens of cycles and register
// tiles win); src/nn/tune.ts measures both variants on the device and stores the faster here (sessions tune on
// real GPUs only, so runs on SwiftShader stay bit-for-bit repeatable). Ops read it when they record.

/** The LSTM step kernels: `rows` = one batch row x 4 units per invocation (many invocations, each loads its own
 *  weights), else register tiles of 8 rows (forward 2 units, backward 4 units per invocation, fewer invocations). */
export interface LstmKernels {
  forwardRows: boolean;
  backwardRows: boolean;
}

/** Batches under this take the row kernels whatever is measured: 8-row tiles would load rows that do not exist. */
export const LSTM_SMALL_BATCH = 4;

const chosen = new WeakMap<GPUDevice, Map<string, LstmKernels>>();
const key = (B: number, H: number) => `${B}x${H}`;

export function lstmKernels(device: GPUDevice, B: number, H: number): LstmKernels {
  if (B < LSTM_SMALL_BATCH) return { forwardRows: true, backwardRows: true };
  return chosen.get(device)?.get(key(B, H)) ?? { forwardRows: false, backwardRows: false };
}

/** Sets the variants for programs recorded from now on (the tuner, a restored run, tests that force one). */
export function setLstmKernels(device: GPUDevice, B: number, H: number, kernels: LstmKernels): void {
  let m = chosen.get(device);
  if (!m) chosen.set(device, (m = new Map()));
  m.set(key(B, H), { ...kernels });
}

/** Forgets what was set for this device (tests). */
export function clearLstmKernels(device: GPUDevice): void {
  chosen.delete(device);
}
