import { afterEach, describe, expect, it, vi } from 'vitest';
import { RateMeter, RunControl } from '../src/engine/control.ts';

afterEach(() => vi.useRealTimers());

describe('run control', () => {
  it('pause holds the loop at its checkpoint until resume; stop ends it', async () => {
    const c = new RunControl();
    expect(await c.checkpoint()).toBe(true);
    c.pause();
    let passed = false;
    const waiting = c.checkpoint().then((go) => (passed = go));
    await new Promise((r) => setTimeout(r, 20));
    expect(passed).toBe(false);
    c.resume();
    await waiting;
    expect(passed).toBe(true);
    c.stop();
    expect(await c.checkpoint()).toBe(false);
  });

  it('rates leave paused time out', () => {
    vi.useFakeTimers({ toFake: ['performance'] });
    const c = new RunControl();
    const meter = new RateMeter(c, 1000);
    for (let i = 0; i < 9; i++) {
      vi.advanceTimersByTime(100);
      expect(meter.tick()).toBeNull();
    }
    c.pause();
    vi.advanceTimersByTime(5000); // a long pause
    c.resume();
    expect(c.pausedMs()).toBe(5000);
    vi.advanceTimersByTime(100);
    expect(meter.tick()).toBeCloseTo(10, 6); // 10 steps in 1 s of running
  });
});
