// The headless trainer (npm run train) answers what a person can act on in one line and a non-zero exit, not a
// stack: here a model too big for the adapter, and an unknown task.
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const train = (...args: string[]) =>
  spawnSync(process.execPath, ['--import', 'tsx', '--import', './scripts/register-raw.mjs', 'scripts/train.ts', ...args], { encoding: 'utf8', env: process.env });

describe('npm run train', () => {
  it('a model too big for the adapter: one line naming the buffer and what to change, exit 1', () => {
    const r = train('mnist', '--hidden', '2048', '--batch', '4096', '--epochs', '1');
    expect(r.status).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^error: The model is too big for this GPU: its buffer "mnist train step: .*" needs [\d,]+ MiB, .* at most [\d,]+ MiB in one buffer .*smaller hidden size or batch size\.$/);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/); // no stack
  }, 120_000);

  it('an unknown task prints the usage, exit 2', () => {
    const r = train('cifar');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/usage: npm run train -- mnist/);
  }, 60_000);
});
