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

/** What the tuner measured for one shape: median ms per time step of each variant, and what it chose. */
export interface LstmTiming {
  B: number;
  H: number;
  /** null where nothing was measured (batches under 4 have one variant) */
  forward: { tiles: number; rows: number } | null;
  backward: { tiles: number; rows: number } | null;
  chosen: LstmKernels;
}

/** Batches under this take the row kernels whatever is measured: 8-row tiles would load rows that do not exist. */
export const LSTM_SMALL_BATCH = 4;

interface DeviceChoices {
  tuning: boolean;
  lstm: Map<string, LstmKernels>;
  timings: Map<string, LstmTiming>;
}
const perDevice = new WeakMap<GPUDevice, DeviceChoices>();
const of = (device: GPUDevice): DeviceChoices => {
  let d = perDevice.get(device);
  if (!d) perDevice.set(device, (d = { tuning: false, lstm: new Map(), timings: new Map() }));
  return d;
};
const key = (B: number, H: number) => `${B}x${H}`;

export function lstmKernels(device: GPUDevice, B: number, H: number): LstmKernels {
  if (B < LSTM_SMALL_BATCH) return { forwardRows: true, backwardRows: true };
  return perDevice.get(device)?.lstm.get(key(B, H)) ?? { forwardRows: false, backwardRows: false };
}

/** Sets the variants for programs recorded from now on (the tuner; tests that force one). */
export function setLstmKernels(device: GPUDevice, B: number, H: number, kernels: LstmKernels): void {
  of(device).lstm.set(key(B, H), { ...kernels });
}

/** Records a measurement and its choice (the tuner); a later session with the same shape reuses it. */
export function recordLstmTiming(device: GPUDevice, timing: LstmTiming): void {
  of(device).timings.set(key(timing.B, timing.H), timing);
  setLstmKernels(device, timing.B, timing.H, timing.chosen);
}

export function lstmTiming(device: GPUDevice, B: number, H: number): LstmTiming | undefined {
  return perDevice.get(device)?.timings.get(key(B, H));
}

/** Lets sessions on this device time the variants (tuneLstmShapes). Whoever acquires a device for training calls
 *  it for real GPUs (enableKernelTuningOnGpu); on fallback adapters the default rule is known to win and runs
 *  must stay repeatable. */
export function enableKernelTuning(device: GPUDevice): void {
  of(device).tuning = true;
}

/** enableKernelTuning unless the adapter is a fallback (software) one; returns whether it was enabled. */
export function enableKernelTuningOnGpu(gpu: { device: GPUDevice; adapterInfo: { isFallbackAdapter: boolean } }): boolean {
  if (!gpu.adapterInfo.isFallbackAdapter) enableKernelTuning(gpu.device);
  return !gpu.adapterInfo.isFallbackAdapter;
}

export function kernelTuningEnabled(device: GPUDevice): boolean {
  return perDevice.get(device)?.tuning ?? false;
}

/** Forgets everything set for this device: choices, timings, tuning (tests). */
export function clearLstmKernels(device: GPUDevice): void {
  perDevice.delete(device);
}
