// The one hook that owns the training worker. Components get plain data and callbacks, never GPU objects.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { taskOf, type FromWorker, type Task, type ToWorker } from '../engine/protocol.ts';

export type Listener = (msg: FromWorker) => void;

export interface Engine {
  send: (msg: ToWorker, transfer?: Transferable[]) => void;
  /** Subscribes to the messages of one task (null: the app's own: gradient checks, diagnostics errors); returns
   *  the unsubscribe function. */
  subscribe: (task: Task | null, fn: Listener) => () => void;
  status: { state: 'starting' } | { state: 'ready'; adapter: Extract<FromWorker, { type: 'ready' }>['adapter'] } | { state: 'fatal'; message: string; kind: string };
}

export function useEngine(): Engine {
  const workerRef = useRef<Worker | null>(null);
  const listeners = useRef(new Map<Task | null, Set<Listener>>());
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
      // The one place messages are routed: by the task they name. A resumed run's curves so far come as one
      // message: its points are handed on one by one, as if they had just arrived, before the run's new ones.
      const route = (m: FromWorker) => {
        for (const fn of listeners.current.get(taskOf(m)) ?? []) fn(m);
      };
      if (msg.type === 'train-history') msg.curves.forEach(route);
      route(msg);
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

  const subscribe = useCallback((task: Task | null, fn: Listener) => {
    let set = listeners.current.get(task);
    if (!set) listeners.current.set(task, (set = new Set()));
    set.add(fn);
    return () => void set.delete(fn);
  }, []);

  return useMemo(() => ({ send, subscribe, status }), [send, subscribe, status]);
}

/** Subscribes a component to one task's messages (null: the app's own) for as long as it is mounted. */
export function useTaskMessages(engine: Engine, task: Task | null, fn: Listener): void {
  const ref = useRef(fn);
  ref.current = fn;
  useEffect(() => engine.subscribe(task, (m) => ref.current(m)), [engine, task]);
}
