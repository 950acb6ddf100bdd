import { useEffect, useState } from 'react';
import { acquireGpu, type GpuContext } from '../gpu/device.ts';
import { GpuError } from '../gpu/errors.ts';

type GpuState = { status: 'probing' } | { status: 'ready'; ctx: GpuContext } | { status: 'failed'; error: GpuError };

const ADAPTER_TIMEOUT_MS = 15_000;

async function probeGpu(): Promise<GpuContext> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new GpuError('no-adapter', `No WebGPU adapter answered within ${ADAPTER_TIMEOUT_MS / 1000} s. On Linux, start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan.`)),
      ADAPTER_TIMEOUT_MS,
    ),
  );
  return Promise.race([acquireGpu(), timeout]);
}

export function App() {
  const [gpu, setGpu] = useState<GpuState>({ status: 'probing' });
  useEffect(() => {
    let live = true;
    probeGpu().then(
      (ctx) => live && setGpu({ status: 'ready', ctx }),
      (e) => live && setGpu({ status: 'failed', error: e instanceof GpuError ? e : new GpuError('internal', String(e)) }),
    );
    return () => {
      live = false;
    };
  }, []);
  return (
    <div className="app">
      <header>
        <h1>rnnlab</h1>
        <p>Train recurrent neural networks in your browser, on your GPU, with WebGPU.</p>
      </header>
      {gpu.status === 'probing' && <p data-testid="gpu-probing">Looking for a WebGPU adapter…</p>}
      {gpu.status === 'failed' && (
        <div className="error" role="alert" data-testid="gpu-error">
          <strong>rnnlab cannot run here.</strong> {gpu.error.message}
        </div>
      )}
      {gpu.status === 'ready' && (
        <div className="panel" data-testid="gpu-ready">
          WebGPU adapter: <strong data-testid="adapter-name">{gpu.ctx.adapterInfo.architecture || gpu.ctx.adapterInfo.vendor || 'unknown'}</strong>
        </div>
      )}
    </div>
  );
}
