// The model in use as a file, for any task: Export downloads it in PyTorch's layout (`<task>-<config>.safetensors`,
// README "Weights that travel"), Import replaces the model in use with a file once it passed every check (the
// worker refuses anything else, naming the file and tensor, and the model in use stays).
import { useId, useRef, useState } from 'react';
import { checkFileSize } from '../data/limits.ts';
import type { Task } from '../engine/protocol.ts';
import { saveFile } from './files.ts';
import { useTaskMessages, type Engine } from './useEngine.ts';

export interface ModelFileProps {
  engine: Engine;
  task: Task;
  /** A run is in progress: importing would replace the model it trains. */
  training: boolean;
  /** What the task's model is, for the hint ("the classifier", "the language model"). */
  what: string;
}

type Status = { kind: 'idle' } | { kind: 'busy'; text: string } | { kind: 'done'; text: string } | { kind: 'error'; text: string };

export function ModelFile({ engine, task, training, what }: ModelFileProps) {
  const [status, setStatus] = useState<Status>({ kind: 'idle' });
  const input = useRef<HTMLInputElement>(null);
  const hintId = useId();

  useTaskMessages(engine, task, (msg) => {
    if (msg.type === 'model-exported') {
      saveFile(msg.name, msg.bytes, 'application/octet-stream');
      setStatus({ kind: 'done', text: `Saved ${msg.name} (${(msg.bytes.byteLength / 1024).toFixed(0)} KiB).` });
    } else if (msg.type === 'model-imported') {
      setStatus({ kind: 'done', text: `In use: ${msg.name}, ${msg.description}.` });
    } else if (msg.type === 'model-file-error') {
      setStatus({ kind: 'error', text: msg.action === 'import' ? `Not imported (the model in use is unchanged): ${msg.message}` : `Not exported: ${msg.message}` });
    }
  });

  const pick = async (file: File | undefined) => {
    if (!file) return;
    if (input.current) input.current.value = ''; // the same file can be picked again
    try {
      checkFileSize(file.name, file.size, 'safetensors'); // refused before it is read into the page
    } catch (e) {
      setStatus({ kind: 'error', text: `Not imported (the model in use is unchanged): ${(e as Error).message}` });
      return;
    }
    setStatus({ kind: 'busy', text: `Checking ${file.name}…` });
    const bytes = await file.arrayBuffer();
    engine.send({ type: 'model-import', task, file: { name: file.name, bytes } }, [bytes]);
  };

  const busy = status.kind === 'busy';
  return (
    <div className="model-file" data-testid={`${task}-model-file`}>
      <button
        type="button"
        disabled={busy}
        onClick={() => {
          setStatus({ kind: 'busy', text: 'Exporting…' });
          engine.send({ type: 'model-export', task });
        }}
        data-testid={`${task}-model-export`}
        aria-describedby={hintId}
      >
        Export model
      </button>
      <label>
        Import model{' '}
        <input
          ref={input}
          type="file"
          accept=".safetensors"
          disabled={busy || training}
          onChange={(e) => void pick(e.target.files?.[0])}
          data-testid={`${task}-model-import`}
          aria-describedby={hintId}
        />
      </label>
      <p className="small muted" id={hintId}>
        {what} as a <code>.safetensors</code> file in PyTorch&apos;s layout (a <code>state_dict</code>: <code>load_state_dict(strict=True)</code> loads it), or
        one back{training ? ' (after the run: importing replaces the model in use)' : ''}.
      </p>
      {status.kind !== 'idle' && (
        <p className={status.kind === 'error' ? 'error inline' : 'small'} role={status.kind === 'error' ? 'alert' : 'status'} data-testid={`${task}-model-file-status`}>
          {status.text}
        </p>
      )}
    </div>
  );
}
