// The worker's message handling (dispatch.ts) in Node with a real device: a message the page could not have sent
// (no type, an unknown one, a run control for no task, a known type with a broken payload) is answered with an
// error message naming it, never an uncaught rejection; the worker goes on answering afterwards.
import { describe, expect, it } from 'vitest';
import { Dispatcher, malformed } from '../src/engine/dispatch.ts';
import type { FromWorker } from '../src/engine/protocol.ts';
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
