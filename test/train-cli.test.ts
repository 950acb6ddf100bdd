// The headless trainer (npm run train) answers what a person can act on in one `error:` line and a non-zero exit,
// not a stack: 2 for a mistake in the command line (every flag's type, range and choice is checked, unknown
// flags refused, before anything runs), 1 for anything else (a file, the data, a model too big for the adapter).
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTrainArgs, UsageError } from '../scripts/cli-args.ts';
import { decodeInterop, encodeInterop, rnnlabShapes, type InteropModel } from '../src/data/interop.ts';
import { encodeSafetensors } from '../src/data/safetensors.ts';
import { defaultMnistConfig } from '../src/models/mnist.ts';

const ARGS = ['--import', 'tsx', '--import', './scripts/register-raw.mjs', 'scripts/train.ts'];
const train = (...args: string[]) => spawnSync(process.execPath, [...ARGS, ...args], { encoding: 'utf8', env: process.env });

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI without blocking (several at once: each is mostly Node's start-up). */
function trainAsync(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...ARGS, ...args], { env: process.env });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** One `error:` line (the first line), no stack; returns it. */
function errorLine(r: Run): string {
  const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
  expect(lines.filter((l) => l.startsWith('error:')), r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^error: /);
  expect(r.stderr).not.toMatch(/\bat .*\.(ts|js|mjs):\d+/);
  expect(r.stderr).not.toMatch(/^\s+at /m);
  return lines[0]!;
}

describe('npm run train: the command line', () => {
  it('refuses bad flag values, unknown flags and stray arguments before anything runs: one error line naming the flag, exit 2', async () => {
    const cases: [string[], RegExp][] = [
      [['mnist', '--steps', 'abc'], /^error: --steps must be a whole number of at least 1 \(got "abc"\)$/],
      [['mnist', '--seed', 'abc'], /^error: --seed must be a whole number from 0 to 4,294,967,295 \(got "abc"\)$/],
      [['fable', '--iterations', '0'], /^error: --iterations must be a whole number from 1 to 1,000,000 \(got "0"\)$/],
      [['fable', '--iterations', '-5'], /^error: --iterations must be a whole number from 1 to 1,000,000 \(got "-5"\)$/],
      [['fable', '--iterations=abc'], /^error: --iterations must be a whole number .*\(got "abc"\)$/],
      [['mnist', '--cell', 'lstmx'], /^error: --cell must be one of lstm, rnn \(got "lstmx"\)$/],
      [['fable', '--preset', 'bogus'], /^error: --preset must be one of original, fast \(got "bogus"\)$/],
      [['fable', '--checkpoint-every', '0'], /^error: --checkpoint-every must be a whole number from 1 /],
      [['ptb', '--config', 'huge'], /^error: --config must be one of test, small, medium, large \(got "huge"\)$/],
      [['mnist', '--lr', '0'], /^error: --lr must be a number above 0 and at most 10 \(got "0"\)$/],
      [['fable', '--bogus', '3'], /^error: unknown flag --bogus for fable; its flags: --preset, --iterations, /],
      [['fable', 'stray'], /^error: unexpected argument "stray": flags are written --name value$/],
      [['mnist', '--hidden'], /^error: --hidden needs a value: --hidden H$/],
      [['fable', '--save', '/no/such/folder/w.safetensors'], /^error: --save \/no\/such\/folder\/w\.safetensors: the folder \/no\/such\/folder does not exist/],
    ];
    const runs = await Promise.all(cases.map(([args]) => trainAsync(...args)));
    runs.forEach((r, i) => {
      const [args, want] = cases[i]!;
      expect(r.status, args.join(' ')).toBe(2);
      expect(errorLine(r), args.join(' ')).toMatch(want);
      expect(r.stderr).toMatch(new RegExp(`usage: npm run train -- ${args[0]} `));
    });
  }, 120_000);

  it('an unknown task or none prints the usage, exit 2; --help prints it on stdout, exit 0', async () => {
    const [unknown, none, help] = await Promise.all([trainAsync('cifar'), trainAsync(), trainAsync('ptb', '--help')]);
    expect(unknown.status).toBe(2);
    expect(errorLine(unknown)).toBe('error: unknown task "cifar": the first argument is mnist, fable or ptb');
    expect(unknown.stderr).toMatch(/usage: npm run train -- mnist/);
    expect(none.status).toBe(2);
    expect(errorLine(none)).toMatch(/^error: no task given/);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/^usage: npm run train -- ptb \[--config test\|small\|medium\|large\] \[--data DIR\]/);
    expect(help.stderr).toBe('');
  }, 60_000);

  it('a checkpoint that is not one, or damaged: one error line naming the file, exit 1, before the GPU is opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnlab-cli-'));
    const garbage = join(dir, 'garbage.ckpt');
    writeFileSync(garbage, 'this is not a checkpoint at all');
    const weights = join(dir, 'weights.ckpt');
    writeFileSync(weights, encodeSafetensors({ w: new Float32Array(2) }, { preset: 'fast' }));
    const folder = join(dir, 'folder.ckpt');
    spawnSync('mkdir', [folder]);
    const [a, b, c, d] = await Promise.all([
      trainAsync('fable', '--checkpoint', garbage),
      trainAsync('fable', '--checkpoint', weights),
      trainAsync('ptb', '--config', 'test', '--checkpoint', garbage),
      trainAsync('fable', '--checkpoint', folder),
    ]);
    for (const r of [a, b, c]) expect(r.status).toBe(1);
    expect(errorLine(a)).toMatch(new RegExp(`^error: ${garbage}: header length \\d+ is over the format's limit`));
    expect(errorLine(b)).toBe(`error: ${weights}: not a fable training checkpoint (kind: none)`);
    expect(errorLine(c)).toMatch(new RegExp(`^error: ${garbage}: header length`));
    expect(d.status).toBe(2);
    expect(errorLine(d)).toMatch(/^error: --checkpoint .*folder\.ckpt is a folder; give a file name$/);
    for (const r of [a, b, c, d]) expect(r.stdout).not.toMatch(/^adapter:/m);
  }, 120_000);

  it('--init: a file of another task, of another size, missing or over the size limit: one error line naming it, before the GPU is opened', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnlab-cli-'));
    const model: InteropModel = { task: 'mnist', config: { ...defaultMnistConfig('lstm').model, hidden: 4 } };
    const mnist = join(dir, 'mnist-lstm4.safetensors');
    writeFileSync(mnist, encodeInterop(model, Object.fromEntries(Object.entries(rnnlabShapes(model)).map(([k, s]) => [k, new Float32Array(s.reduce((a, b) => a * b, 1))]))));
    const huge = join(dir, 'huge.safetensors');
    writeFileSync(huge, '');
    truncateSync(huge, 1025 * 2 ** 20); // sparse: nothing is written
    const [a, b, c, d] = await Promise.all([
      trainAsync('fable', '--init', mnist),
      trainAsync('mnist', '--init', mnist, '--hidden', '8'),
      trainAsync('mnist', '--init', join(dir, 'none.safetensors')),
      trainAsync('ptb', '--init', huge),
    ]);
    for (const r of [a, b, c, d]) expect(r.status).toBe(1);
    expect(errorLine(a)).toBe(`error: ${mnist}: is an MNIST classifier, not a fable model: open it in the MNIST task`);
    expect(errorLine(b)).toBe(`error: ${mnist}: holds an LSTM with 4 hidden units: its hidden 4 differs from this model's 8`);
    expect(errorLine(c)).toBe(`error: ${join(dir, 'none.safetensors')}: cannot be read (ENOENT); check the path`);
    expect(errorLine(d)).toMatch(new RegExp(`^error: ${huge}: .*1\\.0 GiB`));
    for (const r of [a, b, c, d]) expect(r.stdout).not.toMatch(/^adapter:/m);
  }, 120_000);

  it('mnist --save writes the PyTorch layout, and --init starts the next run from it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnlab-cli-'));
    const first = join(dir, 'first.safetensors');
    const second = join(dir, 'second.safetensors');
    const a = train('mnist', '--cell', 'rnn', '--hidden', '8', '--batch', '16', '--steps', '1', '--save', first);
    expect(a.status, a.stderr).toBe(0);
    expect(a.stdout).toMatch(`model written to ${first}`);
    const saved = decodeInterop(readFileSync(first), first, { task: 'mnist' });
    expect(saved.model.config).toMatchObject({ cell: 'rnn', hidden: 8 });
    // one more step at a negligible learning rate: the weights are the file's
    const b = train('mnist', '--init', first, '--batch', '16', '--steps', '1', '--lr', '1e-9', '--save', second);
    expect(b.status, b.stderr).toBe(0);
    expect(b.stdout).toMatch(`mnist rnn-8: batch 16`);
    expect(b.stdout).toMatch(`starting from ${first}`);
    const next = decodeInterop(readFileSync(second), second, { task: 'mnist' });
    expect(next.model).toEqual(saved.model);
    for (const [k, w] of Object.entries(saved.weights)) w.forEach((v, i) => expect(Math.abs(next.weights[k]![i]! - v), `${k}[${i}]`).toBeLessThan(1e-6));
  }, 240_000);

  it('--checkpoint-every must be a multiple of the metrics interval: exit 2 naming both flags', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rnnlab-cli-'));
    const r = train('fable', '--checkpoint', join(dir, 'run.ckpt'), '--checkpoint-every', '15');
    expect(r.status).toBe(2);
    expect(errorLine(r)).toBe('error: --checkpoint-every must be a multiple of the metrics interval (10; --metrics-every changes it) (got 15)');
  }, 60_000);

  it('a model too big for the adapter: one line naming the buffer and what to change, exit 1', () => {
    const r = train('mnist', '--hidden', '2048', '--batch', '4096', '--epochs', '1');
    expect(r.status).toBe(1);
    expect(errorLine(r)).toMatch(/^error: The model is too big for this GPU: its buffer "mnist train step: .*" needs [\d,]+ MiB, .* at most [\d,]+ MiB in one buffer .*smaller hidden size or batch size\.$/);
  }, 120_000);
});

describe('parseTrainArgs', () => {
  it('gives checked, canonical strings: --flag value, --flag=value, booleans alone or =true/false', () => {
    expect(parseTrainArgs(['fable', '--iterations', '0050', '--seed=7', '--robust', '--f16=false', '--tune', 'force'])).toEqual({
      task: 'fable', opts: { iterations: '50', seed: '7', robust: 'true', f16: 'false', tune: 'force' },
    });
    expect(parseTrainArgs(['mnist', '--lr', '1e-3'])).toEqual({ task: 'mnist', opts: { lr: '0.001' } });
    expect(parseTrainArgs(['ptb', '-h'])).toEqual({ help: true, task: 'ptb' });
    expect(Object.getPrototypeOf((parseTrainArgs(['mnist']) as { opts: object }).opts)).toBeNull();
  });

  it('refuses every malformed value with a UsageError', () => {
    const bad = [
      ['mnist', '--steps', '1.5'], ['mnist', '--steps', '1e3'], ['mnist', '--steps', ''], ['mnist', '--epochs', '101'],
      ['mnist', '--lr', 'NaN'], ['mnist', '--lr', 'Infinity'], ['mnist', '--lr', ' '], ['mnist', '--batch', '4097'],
      ['mnist', '--seed', '4294967296'], ['mnist', '--seed', '-1'], ['ptb', '--sample', '-1'], ['fable', '--__proto__', '1'],
      ['fable', '--constructor', '1'], ['fable', '--'], ['fable', '-x'], ['fable', '--tune', 'maybe'], ['mnist', '--cell=lstm', '--cell=rnn'],
    ];
    for (const args of bad) expect(() => parseTrainArgs(args), args.join(' ')).toThrow(UsageError);
  });
});
