// Loading MNIST: the copy shipped with the app, or the four IDX files (plain or .gz) picked by the user.
import { useState, type ChangeEvent } from 'react';
import { identifyMnistFile } from '../../data/idx.ts';
import { readFailure, readPickedFiles } from '../files.ts';
import type { ToWorker } from '../../engine/protocol.ts';
import { useKeepFocus } from '../useKeepFocus.ts';
import type { MnistState } from './state.ts';

export interface DataLoaderProps {
  data: MnistState['data'];
  send: (msg: ToWorker, transfer?: Transferable[]) => void;
  onLoadStart: () => void;
}

function mib(bytes: number): string {
  return (bytes / (1 << 20)).toFixed(1);
}

export function DataLoader({ data, send, onLoadStart }: DataLoaderProps) {
  const [reading, setReading] = useState(false);
  const [readError, setReadError] = useState<string | null>(null);
  const loadButton = useKeepFocus(data.loading || reading);

  const loadBuiltin = () => {
    loadButton.pressed();
    setReadError(null);
    onLoadStart();
    send({ type: 'mnist-load-builtin', baseUrl: import.meta.env.BASE_URL });
  };

  const onFiles = async (e: ChangeEvent<HTMLInputElement>) => {
    const input = e.currentTarget;
    const picked = Array.from(input.files ?? []);
    if (!picked.length) return;
    setReadError(null);
    setReading(true);
    try {
      const files = await readPickedFiles(picked, (name) => (identifyMnistFile(name)?.endsWith('Labels') ? 'idxLabels' : 'idxImages'));
      onLoadStart();
      send({ type: 'mnist-load-files', files }, files.map((f) => f.bytes));
    } catch (err) {
      setReadError(readFailure(err));
    } finally {
      setReading(false);
      input.value = ''; // so picking the same files again fires another change
    }
  };

  const error = readError ?? data.error;
  const files = Object.entries(data.progress);
  return (
    <div className="panel" data-testid="mnist-data">
      <h2>Data</h2>
      <div className="row">
        <button type="button" onClick={loadBuiltin} disabled={data.loading || reading} ref={loadButton.ref} data-testid="mnist-load-builtin">
          Load MNIST
        </button>
        <label className="file-button">
          Load MNIST from files…
          <input
            type="file"
            multiple
            onChange={onFiles}
            disabled={data.loading || reading}
            data-testid="mnist-file-input"
            aria-describedby="mnist-files-help"
          />
        </label>
        <span className="status" data-testid="mnist-data-status" aria-live="polite">
          {data.loaded
            ? `${data.loaded.train.toLocaleString('en-US')} training / ${data.loaded.test.toLocaleString('en-US')} test images` +
              (data.loaded.source === 'files' ? ' (from your files)' : '')
            : data.loading || reading
              ? 'Loading…'
              : 'No data loaded yet.'}
        </span>
      </div>
      <p id="mnist-files-help" className="muted small">
        From files: pick all four IDX files at once (train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte,
        t10k-labels-idx1-ubyte), plain or .gz.
      </p>
      {data.loading && files.length > 0 && (
        <ul className="file-progress" data-testid="mnist-load-progress">
          {files.map(([name, p]) => (
            <li key={name}>
              <span className="file-name">{name}</span>
              <progress value={p.loaded} max={p.total || p.loaded || 1} aria-label={`${name} download`} />
              <span className="muted small">
                {mib(p.loaded)}
                {p.total ? ` / ${mib(p.total)}` : ''} MiB
              </span>
            </li>
          ))}
        </ul>
      )}
      {error && (
        <div className="error inline" role="alert" data-testid="mnist-data-error">
          {error}
          {data.loaded && <div className="small">The data loaded before is still in use.</div>}
        </div>
      )}
    </div>
  );
}
