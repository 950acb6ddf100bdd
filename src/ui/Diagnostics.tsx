// Diagnostics: what the worker's WebGPU adapter is and can do, and a gradient check of every kernel on this GPU.
import { useState } from 'react';
import type { AdapterSummary } from '../gpu/device.ts';
import type { KernelCheck } from '../engine/protocol.ts';
import { useTaskMessages, type Engine } from './useEngine.ts';
import { useKeepFocus } from './useKeepFocus.ts';

export interface DiagnosticsProps {
  engine: Engine;
  adapter: AdapterSummary;
}

type Check = { state: 'idle' } | { state: 'running'; since: number } | { state: 'done'; results: KernelCheck[]; seconds: number };

function formatLimit(v: number): string {
  if (v >= 1 << 20 && v % (1 << 20) === 0) return `${v.toLocaleString('en-US')} (${v / (1 << 20)} MiB)`;
  return v.toLocaleString('en-US');
}

export function Diagnostics({ engine, adapter }: DiagnosticsProps) {
  const [check, setCheck] = useState<Check>({ state: 'idle' });
  const [error, setError] = useState<string | null>(null);
  const checkButton = useKeepFocus(check.state === 'running');

  useTaskMessages(engine, null, (msg) => {
    if (msg.type === 'gradient-check') setCheck({ state: 'done', results: msg.results, seconds: msg.seconds });
    if (msg.type === 'error' && msg.scope === 'diagnostics') {
      setError(msg.message);
      setCheck((c) => (c.state === 'running' ? { state: 'idle' } : c));
    }
  });

  const runCheck = () => {
    checkButton.pressed();
    setError(null);
    setCheck({ state: 'running', since: performance.now() });
    engine.send({ type: 'check-gradients' });
  };

  const limits = Object.entries(adapter.limits).sort(([a], [b]) => a.localeCompare(b));
  const info: [string, string][] = [
    ['Vendor', adapter.vendor],
    ['Architecture', adapter.architecture],
    ['Device', adapter.device],
    ['Description', adapter.description],
    ['Fallback adapter', adapter.isFallbackAdapter ? 'yes (software)' : 'no'],
  ];
  const failed = check.state === 'done' ? check.results.filter((r) => !r.ok).length : 0;

  return (
    <div className="diagnostics" data-testid="diagnostics">
      <div className="panel">
        <h2>WebGPU adapter</h2>
        <table className="kv" data-testid="adapter-info">
          <tbody>
            {info.map(([k, v]) => (
              <tr key={k}>
                <th scope="row">{k}</th>
                <td data-testid={`adapter-${k.toLowerCase().replace(/ /g, '-')}`}>{v || <span className="muted">(not reported)</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <div className="panel">
        <h2>GPU device loss</h2>
        <p className="muted">
          Drivers can reset or take the GPU away (a crash, an update, a sleeping laptop). This releases the device on purpose so you can see
          what rnnlab does then: it gets a new device, and a run that was training goes on from its last save by itself (saying how many
          steps are redone). Lost again within a minute, it stops, says so and offers a reload; your settings and saved runs are kept.
        </p>
        <button type="button" onClick={() => engine.send({ type: 'simulate-device-loss' })} data-testid="simulate-device-loss">
          Simulate device loss
        </button>
      </div>

      <div className="panel">
        <h2>Gradient check</h2>
        <p className="muted">
          Compares every kernel's analytic backward pass with central finite differences, computed on this GPU. It takes a few seconds on a GPU,
          longer on a software adapter.
        </p>
        <div className="row">
          <button type="button" onClick={runCheck} disabled={check.state === 'running'} ref={checkButton.ref} data-testid="check-gradients">
            {check.state === 'running' ? 'Checking…' : 'Check gradients'}
          </button>
          {check.state === 'done' && (
            <span data-testid="gradcheck-summary" className={failed ? 'bad' : 'good'}>
              {failed ? `${failed} of ${check.results.length} kernels failed` : `All ${check.results.length} kernels passed`} in{' '}
              <span data-testid="gradcheck-seconds">{check.seconds.toFixed(1)}</span> s
            </span>
          )}
        </div>
        {error && (
          <div className="error inline" role="alert" data-testid="diagnostics-error">
            {error}
          </div>
        )}
        {check.state === 'done' && (
          <div className="table-scroll" role="region" aria-label="Gradient check results" tabIndex={0}>
            <table className="grid" data-testid="gradcheck-table">
              <thead>
                <tr>
                  <th scope="col">Kernel</th>
                  <th scope="col" className="num">Worst relative error</th>
                  <th scope="col" className="num">Tolerance</th>
                  <th scope="col" className="num">Values checked</th>
                  <th scope="col">Result</th>
                </tr>
              </thead>
              <tbody>
                {check.results.map((r) => (
                  <tr key={r.kernel} data-testid="gradcheck-row" data-ok={r.ok ? 'true' : 'false'}>
                    <td>{r.kernel}</td>
                    <td className="num">{r.worstRelError.toExponential(2)}</td>
                    <td className="num">{r.tolerance.toExponential(1)}</td>
                    <td className="num">{r.checked.toLocaleString('en-US')}</td>
                    <td className={r.ok ? 'good' : 'bad'}>{r.ok ? 'pass' : 'FAIL'}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </div>

      <div className="panel two-col">
        <div>
          <h2>Limits</h2>
          <table className="kv" data-testid="adapter-limits">
            <tbody>
              {limits.map(([k, v]) => (
                <tr key={k}>
                  <th scope="row">{k}</th>
                  <td className="num">{formatLimit(v)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <h2>Features</h2>
          {adapter.features.length ? (
            <ul className="features" data-testid="adapter-features">
              {adapter.features.map((f) => (
                <li key={f}>{f}</li>
              ))}
            </ul>
          ) : (
            <p className="muted">No optional features.</p>
          )}
        </div>
      </div>
    </div>
  );
}
