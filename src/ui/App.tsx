// The app shell: WebGPU probing, the one engine (worker) hook, the error panel and the tabs.
import { useEffect, useRef, useState, type KeyboardEvent } from 'react';
import type { AdapterSummary } from '../gpu/device.ts';
import { acquireGpu } from '../gpu/device.ts';
import { GpuError, NO_WEBGPU_HELP } from '../gpu/errors.ts';
import { About } from './About.tsx';
import { Diagnostics } from './Diagnostics.tsx';
import { FablePanel } from './FablePanel.tsx';
import { MnistPanel } from './mnist/MnistPanel.tsx';
import { PtbPanel } from './PtbPanel.tsx';
import { DeviceRecovered, InterruptedRuns } from './runs/RunBanners.tsx';
import { DEFAULT_SAVE_SECONDS, SAVE_SECONDS } from '../engine/runSaver.ts';
import { RunsPanel, SAVE_EVERY_KEY } from './runs/RunsPanel.tsx';
import { loadSaved, numberIn } from './saved.ts';
import { useEngine, type Engine } from './useEngine.ts';

type GpuState = { status: 'probing' } | { status: 'ready'; adapter: AdapterSummary } | { status: 'failed'; error: GpuError };

const ADAPTER_TIMEOUT_MS = 15_000;

/** Probes WebGPU in the page itself (the worker acquires its own device), so a missing adapter is reported even
 *  where module workers fail. The probe's device is released at once: only the worker computes. */
async function probeGpu(): Promise<AdapterSummary> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(
      () => reject(new GpuError('no-adapter', `No WebGPU adapter answered within ${ADAPTER_TIMEOUT_MS / 1000} s. On Linux, start Chrome with --enable-unsafe-webgpu --enable-features=Vulkan.`)),
      ADAPTER_TIMEOUT_MS,
    ),
  );
  const ctx = await Promise.race([acquireGpu(), timeout]);
  const adapter = ctx.adapterInfo;
  ctx.device.destroy();
  return adapter;
}

const TABS = [
  { id: 'mnist', label: 'MNIST' },
  { id: 'fable', label: 'Fable' },
  { id: 'ptb', label: 'Penn TreeBank' },
  { id: 'runs', label: 'Runs' },
  { id: 'diagnostics', label: 'Diagnostics' },
  { id: 'about', label: 'About' },
] as const;
type TabId = (typeof TABS)[number]['id'];

function ErrorPanel({ kind, message }: { kind: string; message: string }) {
  const text = kind === 'no-webgpu' && !message ? NO_WEBGPU_HELP : message;
  const canReload = kind === 'device-lost' || kind === 'internal';
  return (
    <div className="error" role="alert" data-testid="gpu-error">
      <strong>rnnlab cannot run here.</strong> {text}
      {canReload && (
        <div className="error-actions">
          <button type="button" onClick={() => window.location.reload()}>
            Reload
          </button>
        </div>
      )}
    </div>
  );
}

function Tabs({ engine, adapter }: { engine: Engine; adapter: AdapterSummary }) {
  const [active, setActive] = useState<TabId>('mnist');
  // A panel mounts when its tab is first opened and then stays mounted (hidden), so training and charts go on
  // while another tab is shown.
  const [opened, setOpened] = useState<ReadonlySet<TabId>>(() => new Set<TabId>(['mnist']));
  const buttons = useRef(new Map<TabId, HTMLButtonElement>());

  const open = (id: TabId, focus = false) => {
    setActive(id);
    setOpened((s) => (s.has(id) ? s : new Set(s).add(id)));
    if (focus) buttons.current.get(id)?.focus();
  };
  // the worker saves runs as often as this page's setting says
  useEffect(() => {
    engine.send({ type: 'save-settings', everySeconds: loadSaved(SAVE_EVERY_KEY, () => DEFAULT_SAVE_SECONDS, numberIn(SAVE_SECONDS.min, SAVE_SECONDS.max)) });
  }, [engine]);
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const i = TABS.findIndex((t) => t.id === active);
    const go = (j: number) => {
      e.preventDefault();
      open(TABS[(j + TABS.length) % TABS.length]!.id, true);
    };
    if (e.key === 'ArrowRight') go(i + 1);
    else if (e.key === 'ArrowLeft') go(i - 1);
    else if (e.key === 'Home') go(0);
    else if (e.key === 'End') go(TABS.length - 1);
  };

  return (
    <>
      <DeviceRecovered engine={engine} />
      <InterruptedRuns engine={engine} openTask={open} />
      <div className="tabs" role="tablist" aria-label="Tasks" onKeyDown={onKeyDown}>
        {TABS.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              if (el) buttons.current.set(t.id, el);
              else buttons.current.delete(t.id);
            }}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={active === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={active === t.id ? 0 : -1}
            onClick={() => open(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      {TABS.map((t) =>
        opened.has(t.id) ? (
          <section key={t.id} role="tabpanel" id={`panel-${t.id}`} aria-labelledby={`tab-${t.id}`} hidden={active !== t.id} className="tabpanel">
            {t.id === 'mnist' && <MnistPanel engine={engine} />}
            {t.id === 'fable' && <FablePanel engine={engine} />}
            {t.id === 'ptb' && <PtbPanel engine={engine} />}
            {t.id === 'runs' && <RunsPanel engine={engine} openTask={open} />}
            {t.id === 'diagnostics' && <Diagnostics engine={engine} adapter={adapter} />}
            {t.id === 'about' && <About />}
          </section>
        ) : null,
      )}
    </>
  );
}

export function App() {
  const engine = useEngine();
  const [gpu, setGpu] = useState<GpuState>({ status: 'probing' });
  // The worker's adapter, kept after a fatal error so the panels (and their results) stay on screen.
  const [workerAdapter, setWorkerAdapter] = useState<AdapterSummary | null>(null);

  useEffect(() => {
    let live = true;
    probeGpu().then(
      (adapter) => live && setGpu({ status: 'ready', adapter }),
      (e) => live && setGpu({ status: 'failed', error: e instanceof GpuError ? e : new GpuError('internal', String(e)) }),
    );
    return () => {
      live = false;
    };
  }, []);
  useEffect(() => {
    if (engine.status.state === 'ready') setWorkerAdapter(engine.status.adapter);
  }, [engine.status]);

  const fatal = engine.status.state === 'fatal' ? engine.status : null;
  const probeError = gpu.status === 'failed' ? gpu.error : null;
  return (
    <div className="app">
      <header className="app-header">
        <div>
          <h1>rnnlab</h1>
          <p>Train recurrent neural networks in your browser, on your GPU, with WebGPU.</p>
        </div>
        {gpu.status === 'ready' && !fatal && (
          <div className="adapter-badge" data-testid="gpu-ready">
            WebGPU adapter: <strong data-testid="adapter-name">{gpu.adapter.architecture || gpu.adapter.vendor || 'unknown'}</strong>
          </div>
        )}
      </header>
      {fatal ? (
        <ErrorPanel kind={fatal.kind} message={fatal.message} />
      ) : probeError ? (
        <ErrorPanel kind={probeError.kind} message={probeError.message} />
      ) : null}
      {!fatal && !probeError && gpu.status === 'probing' && <p data-testid="gpu-probing">Looking for a WebGPU adapter…</p>}
      {!fatal && !probeError && gpu.status === 'ready' && engine.status.state === 'starting' && <p className="muted">Starting the training worker…</p>}
      {!probeError && workerAdapter && <Tabs engine={engine} adapter={workerAdapter} />}
    </div>
  );
}
