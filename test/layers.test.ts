// The layers stay apparent: each module of src/ imports only from its own layer or those below it
// (shaders -> gpu -> nn -> models -> engine -> ui), the data readers and the CPU reference stand apart (they import
// nothing of the engine, so they run in Node alone), React lives in ui/ only, and Dawn's Node binding only in
// gpu/node.ts (which only scripts and tests import).
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const src = join(root, 'src');

/** What each top-level folder may import from (besides itself). */
const ALLOWED: Record<string, readonly string[]> = {
  gpu: ['shaders'],
  nn: ['gpu', 'data'],
  models: ['nn', 'gpu', 'data'],
  engine: ['models', 'nn', 'gpu', 'data'],
  ui: ['engine', 'models', 'nn', 'gpu', 'data'],
  data: [],
  reference: [],
  '.': ['ui'], // src/main.tsx
};

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : /\.tsx?$/.test(name) ? [p] : [];
  });
}

/** Every module specifier a source file imports (static, re-exports, dynamic). */
function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const m of source.matchAll(/(?:^|\n)\s*(?:import|export)\s[^;]*?from\s+['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of source.matchAll(/(?:^|\n)\s*import\s+['"]([^'"]+)['"]/g)) out.push(m[1]!);
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

/** The layer of a path under the repository: src's top-level folder, 'shaders', or the first folder elsewhere. */
function layerOf(path: string): string {
  const rel = relative(root, path).split(/[\\/]/);
  if (rel[0] === 'src') return rel.length === 2 ? '.' : rel[1]!;
  return rel[0]!;
}

/** The violations of one file's imports: relative imports across layers not allowed, and packages out of place. */
function violations(file: string, source: string): string[] {
  const from = layerOf(file);
  const bad: string[] = [];
  for (const spec of importsOf(source)) {
    if (spec.startsWith('.')) {
      const to = layerOf(resolve(dirname(file), spec.replace(/\?.*$/, '')));
      if (to !== from && !(ALLOWED[from] ?? []).includes(to)) bad.push(`${relative(root, file)} (${from}) imports ${spec} (${to})`);
    } else {
      const pkg = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
      if ((pkg === 'react' || pkg === 'react-dom' || pkg === 'recharts') && from !== 'ui' && from !== '.') bad.push(`${relative(root, file)} (${from}) imports ${spec}: React belongs to ui/`);
      if (pkg === 'webgpu' && relative(src, file) !== join('gpu', 'node.ts')) bad.push(`${relative(root, file)} imports Dawn (${spec}): only gpu/node.ts may`);
    }
  }
  return bad;
}

describe('layers', () => {
  it('the checker sees a violation where there is one', () => {
    expect(violations(join(src, 'gpu', 'x.ts'), "import { MnistSession } from '../engine/mnist.ts';")).toHaveLength(1);
    expect(violations(join(src, 'nn', 'x.ts'), "export { lstm } from '../models/lm.ts';")).toHaveLength(1);
    expect(violations(join(src, 'data', 'x.ts'), "const m = await import('../gpu/node.ts');")).toHaveLength(1);
    expect(violations(join(src, 'engine', 'x.ts'), "import { useState } from 'react';")).toHaveLength(1);
    expect(violations(join(src, 'engine', 'x.ts'), "import { create } from 'webgpu';")).toHaveLength(1);
    expect(violations(join(src, 'gpu', 'x.ts'), "import w from '../../shaders/lstm.wgsl?raw';")).toEqual([]);
    expect(violations(join(src, 'ui', 'x.tsx'), "import type { GpuErrorKind } from '../gpu/errors.ts';\nimport { useState } from 'react';")).toEqual([]);
  });

  it('every module of src/ imports only from its own layer or below', () => {
    const all = files(src);
    expect(all.length).toBeGreaterThan(40);
    const bad = all.flatMap((f) => violations(f, readFileSync(f, 'utf8')));
    expect(bad).toEqual([]);
  });

  it('no module of src/ imports tests, scripts or benchmarks', () => {
    const bad = files(src).flatMap((f) =>
      importsOf(readFileSync(f, 'utf8'))
        .filter((s) => s.startsWith('.'))
        .map((s) => layerOf(resolve(dirname(f), s)))
        .filter((l) => ['test', 'scripts', 'bench', 'e2e'].includes(l))
        .map((l) => `${relative(root, f)} imports from ${l}/`),
    );
    expect(bad).toEqual([]);
  });
});
