// Counts what an implementation asks of WebGPU, the same way for all of them (rnnlab, TF.js, jax-js; in a page
// or in Node + Dawn): compute dispatches, queue submits, buffer maps (CPU readbacks), and the live / peak bytes of
// buffers. Wraps the API's prototypes once; the counters only ever grow (take differences).
let instrumented = false;

export const counters = { dispatches: 0, submits: 0, maps: 0, liveBytes: 0, peakBytes: 0 };

/** Wraps the WebGPU API once so that every implementation's dispatches, submits, readbacks and buffer memory are
 *  counted the same way. */
export function instrument(): void {
  if (instrumented) return;
  instrumented = true;
  if (typeof GPUQueue === 'undefined') return;
  const submit = GPUQueue.prototype.submit;
  GPUQueue.prototype.submit = function (this: GPUQueue, cbs: Iterable<GPUCommandBuffer>) {
    counters.submits++;
    return submit.call(this, cbs);
  };
  const mapAsync = GPUBuffer.prototype.mapAsync;
  GPUBuffer.prototype.mapAsync = function (this: GPUBuffer, ...a: Parameters<GPUBuffer['mapAsync']>) {
    counters.maps++;
    return mapAsync.apply(this, a);
  };
  const dispatch = GPUComputePassEncoder.prototype.dispatchWorkgroups;
  GPUComputePassEncoder.prototype.dispatchWorkgroups = function (this: GPUComputePassEncoder, x: number, y?: number, z?: number) {
    counters.dispatches++;
    return dispatch.call(this, x, y, z);
  };
  const dispatchIndirect = GPUComputePassEncoder.prototype.dispatchWorkgroupsIndirect;
  GPUComputePassEncoder.prototype.dispatchWorkgroupsIndirect = function (this: GPUComputePassEncoder, b: GPUBuffer, o: number) {
    counters.dispatches++;
    return dispatchIndirect.call(this, b, o);
  };
  const sizes = new WeakMap<GPUBuffer, number>();
  const createBuffer = GPUDevice.prototype.createBuffer;
  GPUDevice.prototype.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor) {
    const b = createBuffer.call(this, d);
    sizes.set(b, d.size);
    counters.liveBytes += d.size;
    counters.peakBytes = Math.max(counters.peakBytes, counters.liveBytes);
    return b;
  };
  const destroy = GPUBuffer.prototype.destroy;
  GPUBuffer.prototype.destroy = function (this: GPUBuffer) {
    const n = sizes.get(this);
    if (n !== undefined) {
      counters.liveBytes -= n;
      sizes.delete(this);
    }
    return destroy.call(this);
  };
}
