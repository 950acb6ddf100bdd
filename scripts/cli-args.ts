// The flags of `npm run train`: one table per task, every value checked (type, range, choice) before anything
// runs, unknown flags refused. A mistake is a UsageError (exit 2) whose message names the flag and what to
// write; files the run reads are checked (exists, is a file, within its size limit) before they are read.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { DataError } from '../src/data/errors.ts';
import { checkFileSize, type FileKind } from '../src/data/limits.ts';

/** A mistake in the command line: the CLI prints it as one `error:` line, the usage, and exits with 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export type Task = 'mnist' | 'fable' | 'ptb';
export const TASKS: readonly Task[] = ['mnist', 'fable', 'ptb'];

type Flag =
  | { kind: 'int'; min: number; max: number; value: string }
  | { kind: 'number'; above: number; max: number; value: string }
  | { kind: 'choice'; choices: readonly string[] }
  | { kind: 'bool' }
  | { kind: 'path'; value: string; writes?: boolean; reads?: FileKind };

const U32_MAX = 2 ** 32 - 1;
const seed: Flag = { kind: 'int', min: 0, max: U32_MAX, value: 'S' };
/** A model in PyTorch's layout (src/data/interop.ts) that the run starts from / writes at the end. */
const init: Flag = { kind: 'path', value: 'FILE', reads: 'safetensors' };
const save: Flag = { kind: 'path', value: 'weights.safetensors', writes: true };
const COMMON: Record<string, Flag> = {
  robust: { kind: 'bool' },
  tune: { kind: 'choice', choices: ['true', 'false', 'force'] },
};

export const FLAGS: Readonly<Record<Task, Readonly<Record<string, Flag>>>> = {
  // the ranges of src/engine/mnist.ts validateConfig (the UI's), so a run the CLI accepts is one the app would run
  mnist: {
    cell: { kind: 'choice', choices: ['lstm', 'rnn'] },
    epochs: { kind: 'int', min: 1, max: 100, value: 'N' },
    batch: { kind: 'int', min: 1, max: 4096, value: 'B' },
    hidden: { kind: 'int', min: 1, max: 2048, value: 'H' },
    lr: { kind: 'number', above: 0, max: 10, value: 'X' },
    seed,
    steps: { kind: 'int', min: 1, max: Number.MAX_SAFE_INTEGER, value: 'N' },
    init,
    save,
    checkpoint: { kind: 'path', value: 'FILE', writes: true },
    'checkpoint-every': { kind: 'int', min: 1, max: 1_000_000, value: 'N' },
    ...COMMON,
  },
  fable: {
    preset: { kind: 'choice', choices: ['original', 'fast'] },
    iterations: { kind: 'int', min: 1, max: 1_000_000, value: 'N' },
    seed,
    init,
    save,
    f16: { kind: 'bool' },
    checkpoint: { kind: 'path', value: 'FILE', writes: true },
    'checkpoint-every': { kind: 'int', min: 1, max: 1_000_000, value: 'N' },
    'metrics-every': { kind: 'int', min: 1, max: 1_000_000, value: 'N' },
    ...COMMON,
  },
  ptb: {
    config: { kind: 'choice', choices: ['test', 'small', 'medium', 'large'] },
    data: { kind: 'path', value: 'DIR' },
    epochs: { kind: 'int', min: 1, max: 10_000, value: 'N' },
    'steps-per-epoch': { kind: 'int', min: 1, max: Number.MAX_SAFE_INTEGER, value: 'N' },
    'eval-steps': { kind: 'int', min: 1, max: Number.MAX_SAFE_INTEGER, value: 'N' },
    sample: { kind: 'int', min: 0, max: 100_000, value: 'N' },
    seed,
    init,
    save,
    checkpoint: { kind: 'path', value: 'FILE', writes: true },
    'checkpoint-every': { kind: 'int', min: 1, max: Number.MAX_SAFE_INTEGER, value: 'STEPS' },
    ...COMMON,
  },
};

function describeFlag(name: string, f: Flag): string {
  switch (f.kind) {
    case 'bool':
      return `--${name}`;
    case 'choice':
      return `--${name} ${f.choices.join('|')}`;
    default:
      return `--${name} ${f.value}`;
  }
}

/** The usage line of a task (every flag it takes). */
export function usage(task: Task): string {
  return `npm run train -- ${task} ${Object.entries(FLAGS[task]).map(([n, f]) => `[${describeFlag(n, f)}]`).join(' ')}`;
}

function checkValue(name: string, f: Flag, raw: string): string {
  const got = `(got ${JSON.stringify(raw)})`;
  switch (f.kind) {
    case 'int': {
      const v = Number(raw);
      if (!/^-?[0-9]+$/.test(raw) || !Number.isSafeInteger(v) || v < f.min || v > f.max) {
        const range = f.max === Number.MAX_SAFE_INTEGER ? `of at least ${f.min}` : `from ${f.min} to ${f.max.toLocaleString('en-US')}`;
        throw new UsageError(`--${name} must be a whole number ${range} ${got}`);
      }
      return String(v);
    }
    case 'number': {
      const v = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(v) || v <= f.above || v > f.max) throw new UsageError(`--${name} must be a number above ${f.above} and at most ${f.max} ${got}`);
      return String(v);
    }
    case 'choice':
      if (!f.choices.includes(raw)) throw new UsageError(`--${name} must be one of ${f.choices.join(', ')} ${got}`);
      return raw;
    case 'bool':
      if (raw !== 'true' && raw !== 'false') throw new UsageError(`--${name} takes no value, or true or false ${got}`);
      return raw;
    case 'path': {
      if (raw === '') throw new UsageError(`--${name} needs a path`);
      if (f.writes && !existsSync(dirname(resolve(raw)))) throw new UsageError(`--${name} ${raw}: the folder ${dirname(resolve(raw))} does not exist; create it or pick another path`);
      if (f.writes && existsSync(raw) && statSync(raw).isDirectory()) throw new UsageError(`--${name} ${raw} is a folder; give a file name`);
      if (f.reads) checkReadableFile(raw, f.reads);
      return raw;
    }
  }
}

export type Parsed = { task: Task; opts: Record<string, string> } | { help: true; task?: Task };

/**
 * `train.ts` arguments -> the task and its flags as checked strings (numbers in their canonical spelling,
 * booleans 'true' / 'false'). `--flag value` and `--flag=value`; a boolean flag alone means true.
 */
export function parseTrainArgs(argv: readonly string[]): Parsed {
  const [task, ...rest] = argv;
  if (task === '--help' || task === '-h') return { help: true };
  if (task === undefined) throw new UsageError('no task given: the first argument is mnist, fable or ptb');
  if (!(TASKS as readonly string[]).includes(task)) {
    throw new UsageError(`unknown task ${JSON.stringify(task)}: the first argument is mnist, fable or ptb`);
  }
  const flags = FLAGS[task as Task];
  const opts: Record<string, string> = Object.create(null);
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!;
    if (arg === '--help' || arg === '-h') return { help: true, task: task as Task };
    if (!arg.startsWith('--') || arg === '--') throw new UsageError(`unexpected argument ${JSON.stringify(arg)}: flags are written --name value`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    const flag = Object.hasOwn(flags, name) ? flags[name]! : undefined;
    if (!flag) throw new UsageError(`unknown flag --${name} for ${task}; its flags: ${Object.keys(flags).map((k) => `--${k}`).join(', ')}`);
    if (Object.hasOwn(opts, name)) throw new UsageError(`--${name} is given twice; give it once`);
    let raw: string;
    if (eq >= 0) raw = arg.slice(eq + 1);
    else if (flag.kind === 'bool') raw = 'true';
    else {
      const next = rest[i + 1];
      if (next === undefined || next.startsWith('--')) throw new UsageError(`--${name} needs a value: ${describeFlag(name, flag)}`);
      raw = next;
      i++;
    }
    opts[name] = checkValue(name, flag, raw);
  }
  return { task: task as Task, opts };
}

/** A file the run will read: it exists, is a file and is within its kind's size limit (a DataError naming it). */
function checkReadableFile(path: string, kind: FileKind): number {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DataError(path, 'is not a file (a folder?); give the path of the file');
    size = st.size;
  } catch (e) {
    if (e instanceof DataError) throw e;
    throw new DataError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check the path`);
  }
  checkFileSize(path, size, kind);
  return size;
}

/**
 * Reads a file the run was given, after checking that it is a file within its kind's size limit (so a wrong
 * path or a huge file fails at once, with a DataError naming it).
 */
export function readUserFile(path: string, kind: FileKind): Uint8Array {
  checkReadableFile(path, kind);
  try {
    const b = readFileSync(path);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } catch (e) {
    throw new DataError(path, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message}); check its permissions`);
  }
}
