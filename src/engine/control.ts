// Pause / resume / stop for a training loop, requests served between two of its steps, and the flow control
// that keeps a couple of steps queued on the GPU without ever waiting on a readback inside a step.

/** A run yields to the event loop (so messages arrive) at least this often (ms), and at every step when asked. */
const YIELD_EVERY_MS = 8;

const macrotask = (): Promise<void> => new Promise((r) => setTimeout(r, 0));

export class RunControl {
  private paused = false;
  private stopped = false;
  private closed = false;
  private wake: (() => void) | null = null;
  private pausedAt: number | null = null;
  private pausedTotal = 0;
  private lastYield = 0;
  /** Work asked for while the run goes on (inspect, generate, sample, evaluate), done between two steps. */
  private readonly requests: (() => Promise<void>)[] = [];

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

  /**
   * Runs `fn` at the loop's next step boundary (or at once once the run has ended): a request made while the run
   * trains is answered within about one step, and never interleaves its GPU work with a step's host writes.
   */
  between<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closed) return fn();
    return new Promise<T>((resolve, reject) => {
      this.requests.push(() => fn().then(resolve, reject));
      this.wake?.();
    });
  }

  /** The run has ended: requests still waiting run now, later ones at once. */
  close(): void {
    this.closed = true;
    this.stopped = true;
    void this.serveRequests();
  }

  private async serveRequests(): Promise<void> {
    while (this.requests.length > 0) await this.requests.shift()!();
  }

  /** Between steps: yields to the event loop every few ms (so messages arrive), serves the requests that came,
   *  waits while paused (serving requests then too). Returns false once stopped. */
  async checkpoint(): Promise<boolean> {
    const now = performance.now();
    if (now - this.lastYield >= YIELD_EVERY_MS || this.paused || this.requests.length > 0) {
      await macrotask();
      this.lastYield = performance.now();
    }
    await this.serveRequests();
    while (this.paused && !this.stopped) {
      await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
      await this.serveRequests();
    }
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
