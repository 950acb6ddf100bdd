// The device kit (scripts/device/kit.mjs) carries the headless trainer to a bare GPU machine as one bundled file:
// the README's H100 figures were made with it. This keeps the bundle runnable: bundled WGSL, Dawn resolved at
// run time, the PTB test config trained for a few steps on this machine's adapter, its log lines as the tutorial's.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const PTB = join(process.cwd(), '..', 'shared', 'data', 'ptb');
const OUT = join(process.cwd(), '.test-out', 'device-kit');

describe('device kit', () => {
  it('bundles train.mjs, which trains the PTB test config with perplexity falling', () => {
    execFileSync(process.execPath, ['scripts/device/kit.mjs', '--bundle-only', '--out', OUT], { encoding: 'utf8' });
    expect(existsSync(join(OUT, 'src', 'bench-node.mjs'))).toBe(true);
    const log = execFileSync(
      process.execPath,
      [join(OUT, 'src', 'train.mjs'), 'ptb', '--config', 'test', '--data', PTB, '--epochs', '1', '--steps-per-epoch', '40', '--eval-steps', '10'],
      { encoding: 'utf8', env: process.env },
    );
    expect(log).toMatch(/^adapter: /m);
    const ppl = [...log.matchAll(/^\d\.\d{3} perplexity: ([\d.]+) speed: \d+ wps$/gm)].map((m) => Number(m[1]));
    expect(ppl.length).toBeGreaterThanOrEqual(5);
    expect(ppl.every(Number.isFinite)).toBe(true);
    expect(ppl[ppl.length - 1]!).toBeLessThan(ppl[0]!);
    expect(log).toMatch(/^Epoch: 1 Train Perplexity: [\d.]+$/m);
    expect(log).toMatch(/^Epoch: 1 Valid Perplexity: [\d.]+$/m);
    expect(log).toMatch(/^Test Perplexity: [\d.]+$/m);
  }, 120_000);
});
