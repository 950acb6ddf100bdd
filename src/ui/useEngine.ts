// The one hook that owns the training worker. Components get plain data and callbacks, never GPU objects.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import type { FromWorker, ToWorker } from '../engine/protocol.ts';

export type Listener = (msg: FromWorker) => void;

export interface Engine {
  send: (msg: ToWorker, transfer?: Transferable[]) => void;
  /** Subscribes to every message from the worker; returns the unsubscribe function. */
  subscribe: (fn: Listener) => () => void;
  status: { state: 'starting' } | { state: 'ready'; adapter: Extract<FromWorker, { type: 'ready' }>['adapter'] } | { state: 'fatal'; message: string; kind: string };
}

export function useEngine(): Engine {
  const workerRef = useRef<Worker | null>(null);
  const listeners = useRef(new Set<Listener>());
  const [status, setStatus] = useState<Engine['status']>({ state: 'starting' });

  useEffect(() => {
    if (!('gpu' in navigator) || !navigator.gpu) {
      // Decided in the page too, so the message appears even where module workers fail.
      setStatus({ state: 'fatal', kind: 'no-webgpu', message: '' });
      return;
    }
    const worker = new Worker(new URL('../engine/worker.ts', import.meta.url), { type: 'module', name: 'rnnlab-engine' });
    workerRef.current = worker;
    worker.onmessage = (ev: MessageEvent<FromWorker>) => {
      const msg = ev.data;
      if (msg.type === 'ready') setStatus({ state: 'ready', adapter: msg.adapter });
      if (msg.type === 'fatal') setStatus({ state: 'fatal', kind: msg.kind, message: msg.message });
      for (const fn of listeners.current) fn(msg);
    };
    worker.onerror = (ev) => setStatus({ state: 'fatal', kind: 'internal', message: `The training worker failed to start: ${ev.message}` });
    return () => {
      worker.terminate();
      workerRef.current = null;
    };
  }, []);

  const send = useCallback((msg: ToWorker, transfer: Transferable[] = []) => {
    workerRef.current?.postMessage(msg, transfer);
  }, []);

  const subscribe = useCallback((fn: Listener) => {
    listeners.current.add(fn);
    return () => void listeners.current.delete(fn);
  }, []);

  return useMemo(() => ({ send, subscribe, status }), [send, subscribe, status]);
}

/** Subscribes a component to worker messages for as long as it is mounted. */
export function useWorkerMessages(engine: Engine, fn: Listener): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => engine.subscribe((m) => ref.current(m)), [engine]);
}
