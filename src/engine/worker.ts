// The training worker: owns the GPU device; the page only sends messages (protocol.ts), each handled by the
// Dispatcher (dispatch.ts: one host per task, the routing in one switch). Training never blocks the page: it runs
// here, yielding between steps so pause, stop and requests arrive at once.
/// <reference lib="webworker" />
import { acquireGpu } from '../gpu/device.ts';
import { GpuError } from '../gpu/errors.ts';
import { Dispatcher } from './dispatch.ts';
import type { FromWorker } from './protocol.ts';

declare const self: DedicatedWorkerGlobalScope;

function post(msg: FromWorker, transfer: Transferable[] = []): void {
  self.postMessage(msg, transfer);
}

// runs are saved as they train (IndexedDB); a lost device is replaced by a new one
const dispatcher = new Dispatcher(post, { saving: true, acquire: () => acquireGpu(self.navigator.gpu) });

async function init(): Promise<void> {
  try {
    dispatcher.attach(await acquireGpu(self.navigator.gpu));
  } catch (e) {
    const err = e instanceof GpuError ? e : new GpuError('internal', String(e));
    post({ type: 'fatal', kind: err.kind, message: err.message });
  }
}

const ready = init();
self.onmessage = (ev: MessageEvent<unknown>) => {
  void ready.then(() => dispatcher.receive(ev.data));
};
