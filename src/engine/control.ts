// Pause / resume / stop for a training loop, and the flow control that keeps a couple of steps queued on
// the GPU without ever waiting on a readback inside a step.

export class RunControl {
  private paused = false;
  private stopped = false;
  private wake: (() => void) | null = null;

  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
    this.wake?.();
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

/** Exponential moving average for smoothed curves and rates. */
export function ema(prev: number | undefined, x: number, alpha = 0.1): number {
  return prev === undefined || !Number.isFinite(prev) ? x : prev + alpha * (x - prev);
}
