// Pause / resume / stop for a training loop, and the flow control that keeps a couple of steps queued on
// the GPU without ever waiting on a readback inside a step.

export class RunControl {
  private paused = false;
  private stopped = false;
  private wake: (() => void) | null = null;
  private pausedAt: number | null = null;
  private pausedTotal = 0;

  pause(): void {
    if (this.pausedAt === null && !this.stopped) this.pausedAt = performance.now();
    this.paused = true;
  }
  resume(): void {
    if (this.pausedAt !== null) this.pausedTotal += performance.now() - this.pausedAt;
    this.pausedAt = null;
    this.paused = false;
    this.wake?.();
  }
  /** Milliseconds spent paused so far (the current pause included), so rates can leave pauses out. */
  pausedMs(): number {
    return this.pausedTotal + (this.pausedAt === null ? 0 : performance.now() - this.pausedAt);
  }
  stop(): void {
    this.stopped = true;
    this.wake?.();
  }
  get isStopped(): boolean {
    return this.stopped;
  }
  get isPaused(): boolean {
    return this.paused;
  }

  /** Between steps: yields to the event loop (so messages arrive), waits while paused. Returns false once stopped. */
  async checkpoint(): Promise<boolean> {
    await new Promise((r) => setTimeout(r, 0));
    while (this.paused && !this.stopped) await new Promise<void>((r) => (this.wake = r));
    this.wake = null;
    return !this.stopped;
  }
}

/** Keeps at most `depth` submitted steps unfinished on the queue (the GPU stays busy, memory stays bounded). */
export class InFlight {
  private readonly done: Promise<void>[] = [];
  constructor(private readonly device: GPUDevice, private readonly depth = 2) {}

  async afterSubmit(): Promise<void> {
    this.done.push(this.device.queue.onSubmittedWorkDone());
    while (this.done.length > this.depth) await this.done.shift();
  }

  async drain(): Promise<void> {
    await Promise.all(this.done.splice(0));
  }
}

/** Steps per second over about the last second, not counting time spent paused. */
export class RateMeter {
  private at = performance.now();
  private pausedAt: number;
  private steps = 0;
  rate = 0;

  constructor(private readonly control: RunControl, private readonly everyMs = 1000) {
    this.pausedAt = control.pausedMs();
  }

  /** Counts one step; returns the updated rate once `everyMs` has passed (or when `force`), else null. */
  tick(force = false): number | null {
    this.steps++;
    const now = performance.now();
    if (!force && now - this.at < this.everyMs) return null;
    const active = now - this.at - (this.control.pausedMs() - this.pausedAt);
    if (active > 0) this.rate = (this.steps * 1000) / active;
    this.at = now;
    this.pausedAt = this.control.pausedMs();
    this.steps = 0;
    return this.rate;
  }
}

/** Exponential moving average for smoothed curves and rates. */
export function ema(prev: number | undefined, x: number, alpha = 0.1): number {
  return prev === undefined || !Number.isFinite(prev) ? x : prev + alpha * (x - prev);
}
