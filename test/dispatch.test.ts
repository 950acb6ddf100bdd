// The worker's message handling (dispatch.ts) in Node with a real device: a message the page could not have sent
// (no type, an unknown one, a run control for no task, a known type with a broken payload) is answered with an
// error message naming it, never an uncaught rejection; the worker goes on answering afterwards. A lost device is
// replaced by a new one once; lost again within a minute, it is fatal.
import { describe, expect, it } from 'vitest';
import { Dispatcher, malformed } from '../src/engine/dispatch.ts';
import type { FromWorker } from '../src/engine/protocol.ts';
import { acquireNodeGpu } from '../src/gpu/node.ts';
import { testGpu } from './gpu.ts';

describe('the worker: malformed messages', () => {
  it('names what it ignored', () => {
    expect(malformed(null)).toBe('a message without a type');
    expect(malformed('mnist-train')).toBe('a message without a type');
    expect(malformed({ type: 42 })).toBe('a message without a type');
    expect(malformed({ type: 'format-disk' })).toMatch(/unknown type \("format-disk"\)/);
    expect(malformed({ type: 'stop', task: 'chess' })).toBe('stop for an unknown task (chess)');
    expect(malformed({ type: 'stop', task: 'ptb' })).toBeNull();
  });

  it('answers every broken message with an error, and goes on working', async () => {
    const out: FromWorker[] = [];
    const d = new Dispatcher((m) => out.push(m));
    d.attach(await testGpu());
    expect(out.at(-1)?.type).toBe('ready');
    const broken: unknown[] = [
      undefined,
      { type: 'nope' },
      { type: 'pause', task: undefined },
      { type: 'mnist-train', config: null },
      { type: 'fable-generate', requestId: 1, input: 5, count: 3, temperature: 0 },
      { type: 'mnist-test-image', requestId: 1, index: 'a' },
      { type: 'ptb-load-files', files: 'not a list' },
      { type: 'mnist-inspect', requestId: 2, image: 'pixels' },
    ];
    for (const m of broken) {
      const before = out.length;
      await d.receive(m); // resolves: nothing is thrown or left rejected
      const answers = out.slice(before).filter((x) => x.type === 'error');
      expect(answers.length, JSON.stringify(m) ?? 'undefined').toBeGreaterThan(0);
      for (const a of answers) expect((a as Extract<FromWorker, { type: 'error' }>).message.length).toBeGreaterThan(10);
    }
    // still answering: a well-formed request gets its (reasoned) answer
    const before = out.length;
    await d.receive({ type: 'mnist-evaluate' });
    expect(out.slice(before)).toEqual([{ type: 'error', scope: 'mnist-train', message: 'There is no model yet.' }]);
  }, 120_000);
});

describe('the worker: a lost device', () => {
  it('is replaced by a new device (the tasks work on it); a second loss within a minute is fatal, not a loop', async () => {
    const out: FromWorker[] = [];
    let acquired = 0;
    const d = new Dispatcher((m) => out.push(m), {
      acquire: () => {
        acquired++;
        return acquireNodeGpu();
      },
    });
    const first = await acquireNodeGpu();
    d.attach(first);
    await d.receive({ type: 'mnist-inspect', requestId: 1, image: new Float32Array(784) });
    expect(out.some((m) => m.type === 'mnist-inspection')).toBe(true);

    await d.receive({ type: 'simulate-device-loss' });
    await expect.poll(() => out.find((m) => m.type === 'device-recovered'), { timeout: 20_000 }).toBeTruthy();
    expect(acquired).toBe(1);
    expect(out.some((m) => m.type === 'fatal')).toBe(false);
    const recovered = out.find((m) => m.type === 'device-recovered') as Extract<FromWorker, { type: 'device-recovered' }>;
    expect(recovered.message).toContain('rnnlab got a new one');
    expect(recovered.resumed).toEqual([]); // nothing was training (runs are saved only where IndexedDB is)
    // the tasks use the new device: a drawing is classified again
    const before = out.length;
    await d.receive({ type: 'mnist-inspect', requestId: 2, image: new Float32Array(784) });
    expect(out.slice(before).some((m) => m.type === 'mnist-inspection')).toBe(true);

    await d.receive({ type: 'simulate-device-loss' });
    await expect.poll(() => out.find((m) => m.type === 'fatal'), { timeout: 20_000 }).toBeTruthy();
    expect((out.find((m) => m.type === 'fatal') as Extract<FromWorker, { type: 'fatal' }>).message).toContain('lost twice within a minute');
    expect(acquired).toBe(1);
  }, 120_000);
});
