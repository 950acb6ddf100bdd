// `npm run bench`: rnnlab's training step side by side with TF.js 4.22 (webgpu, webgl, cpu) and jax-js 0.1.25
// (webgpu, wasm) in one headless Chromium session on the same WebGPU adapter (SwiftShader on a machine without a GPU).
// Each measurement runs in a fresh page of the same browser (bench/index.html), so no library's global state leaks
// into the next. Prints a table per workload and writes bench-results/bench.json and bench-results/bench.md.
//
//   npm run bench                          all workloads, all implementations
//   npm run bench -- --quick               fewer repetitions, smaller budgets
//   npm run bench -- --workload mnist-lstm --impl jax --backend wasm --tiny
//   npm run bench -- --node                also rnnlab alone in Node + Dawn (scripts/bench-node.ts)
//   npm run bench -- --not-isolated        the pages served without COOP/COEP (jax-js wasm on one thread)
//
// Environment: PTB_DATA (default ../shared/data/ptb) is served to the page so rnnlab trains on the real PTB ids.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser } from 'playwright';
import { createServer, type Plugin } from 'vite';
import { WORKLOADS, tinyWorkload, workloadFlops, type PeerBackend, type WorkloadId } from '../bench/workloads.ts';
import type { Impl, MeasureRequest, MeasureResult } from '../bench/page.ts';
import { CHROMIUM_WEBGPU_ARGS, findChromium } from './chromium.mjs';

function parseArgs(argv: string[]) {
  const opts = { quick: false, tiny: false, node: false, isolated: true, impls: null as string[] | null, backends: null as string[] | null, workloads: null as string[] | null, port: 5198 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const list = () => (argv[++i] ?? '').split(',').filter(Boolean);
    if (a === '--quick') opts.quick = true;
    else if (a === '--tiny') opts.tiny = true;
    else if (a === '--node') opts.node = true;
    else if (a === '--not-isolated') opts.isolated = false;
    else if (a === '--impl') opts.impls = list();
    else if (a === '--backend') opts.backends = list();
    else if (a === '--workload') opts.workloads = list();
    else if (a === '--port') opts.port = Number(argv[++i]);
    else throw new Error(`unknown argument ${a} (see the top of scripts/bench.ts)`);
  }
  for (const w of opts.workloads ?? []) if (!(w in WORKLOADS)) throw new Error(`unknown workload ${w}; one of ${Object.keys(WORKLOADS).join(', ')}`);
  return opts;
}

const opts = parseArgs(process.argv.slice(2));

const PLAN: { impl: Impl; backend: PeerBackend; label: string }[] = [
  { impl: 'rnnlab', backend: 'webgpu', label: 'rnnlab (webgpu)' },
  { impl: 'jax', backend: 'webgpu', label: 'jax-js 0.1.25 webgpu' },
  { impl: 'tfjs', backend: 'webgpu', label: 'TF.js 4.22 webgpu' },
  { impl: 'tfjs', backend: 'webgl', label: 'TF.js 4.22 webgl' },
  { impl: 'jax', backend: 'wasm', label: 'jax-js 0.1.25 wasm (CPU)' },
  { impl: 'tfjs', backend: 'cpu', label: 'TF.js 4.22 cpu' },
];

/** --not-isolated: the pages without COOP / COEP, so not cross-origin isolated (no SharedArrayBuffer: jax-js's
 *  wasm backend then runs on one thread), to measure what isolation gives the peers that use threads. */
function withoutIsolation(): Plugin {
  return {
    name: 'rnnlab-bench-not-isolated',
    configureServer(server) {
      server.middlewares.use((_req, res, next) => {
        res.removeHeader('Cross-Origin-Opener-Policy');
        res.removeHeader('Cross-Origin-Embedder-Policy');
        next();
      });
    },
  };
}

/** Serves ../shared/data/ptb/ptb.train.txt at /bench-data/ptb/ so rnnlab's PTB step trains on the real ids. */
function servePtb(dir: string): Plugin {
  return {
    name: 'rnnlab-bench-ptb',
    configureServer(server) {
      server.middlewares.use('/bench-data/ptb', (req, res, next) => {
        const name = (req.url ?? '').replace(/^\//, '').split('?')[0];
        const path = join(dir, name ?? '');
        if (name !== 'ptb.train.txt' || !existsSync(path)) return next();
        res.setHeader('Content-Type', 'text/plain');
        res.end(readFileSync(path));
      });
    },
  };
}

interface Row extends MeasureResult {
  label: string;
  median: number;
  gflops: number;
}

const fmt = (x: number, d = 1) => (Number.isFinite(x) ? x.toFixed(d) : '—');

async function main() {
  const chromePath = findChromium();
  if (!chromePath) throw new Error('No Chromium found: install it (apt-get install -y chromium) or set CHROMIUM_PATH.');
  const ptbDir = resolve(process.env.PTB_DATA ?? '../shared/data/ptb');
  const server = await createServer({
    configFile: 'vite.config.ts',
    logLevel: 'warn',
    server: { port: opts.port, strictPort: true },
    plugins: [servePtb(ptbDir), ...(opts.isolated ? [] : [withoutIsolation()])],
  });
  await server.listen();
  const base = `http://localhost:${opts.port}/bench/index.html`;
  const software = process.env.RNNLAB_ADAPTER !== 'native';
  const launch = () =>
    chromium.launch({
      executablePath: chromePath,
      // WebGL through ANGLE's SwiftShader when there is no GPU (TF.js's webgl backend); never on a real GPU.
      args: [...CHROMIUM_WEBGPU_ARGS, ...(software ? ['--use-angle=swiftshader', '--enable-unsafe-swiftshader'] : [])],
    });
  let browser: Browser = await launch();
  let restarts = 0;
  const version = browser.version();
  const withTimeout = <T,>(p: Promise<T>, ms: number, what: string) => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    return Promise.race([p, new Promise<never>((_, rej) => (timer = setTimeout(() => rej(new Error(what)), ms)))]).finally(() => clearTimeout(timer));
  };
  /** A page that does not close (its GPU process wedged by what ran in it) takes the browser down with it: the
   *  next measurements get a fresh browser, and the output says so. */
  async function closePage(page: import('playwright').Page) {
    try {
      await withTimeout(page.close({ runBeforeUnload: false }), 15_000, 'page did not close');
    } catch {
      restarts++;
      console.log('  (the page did not close: restarting the browser for the next measurements)');
      await withTimeout(browser.close(), 15_000, 'browser did not close').catch(() => {});
      browser = await launch();
    }
  }
  const reps = opts.quick ? 3 : 5;
  const budgetMs = opts.quick ? 180_000 : 300_000;

  async function inPage<T>(fn: (page: import('playwright').Page) => Promise<T>, timeoutMs: number): Promise<T> {
    const page = await withTimeout(browser.newPage(), 30_000, 'the browser did not open a page');
    const logs: string[] = [];
    page.on('console', (m) => m.type() === 'error' && logs.push(m.text()));
    page.on('pageerror', (e) => logs.push(String(e)));
    try {
      await withTimeout(page.goto(base), 60_000, 'the bench page did not load within 60 s');
      await page.waitForFunction(() => 'rnnlabBench' in window, undefined, { timeout: 120_000 });
      return await withTimeout(fn(page), timeoutMs, `no answer within ${(timeoutMs / 1000).toFixed(0)} s (exceeded its time budget)`);
    } catch (e) {
      throw new Error(`${(e as Error).message.split('\n')[0]}${logs.length ? ` [page: ${logs.slice(-2).join(' | ').slice(0, 300)}]` : ''}`);
    } finally {
      await closePage(page);
    }
  }

  const adapter = await inPage((p) => p.evaluate(() => window.rnnlabBench.adapterName()), 60_000);
  const date = new Date().toISOString().slice(0, 10);
  console.log(`rnnlab bench — ${date} — Chromium ${version} — WebGPU adapter: ${adapter}${opts.tiny ? ' — TINY shapes (a check of the bench, not a measurement)' : ''}`);

  const roofN = opts.quick || opts.tiny ? 512 : 1024;
  const roofs: Record<string, number> = {};
  if (!opts.tiny) {
    for (const impl of ['rnnlab', 'jax'] as const) {
      if (opts.impls && !opts.impls.includes(impl)) continue;
      try {
        roofs[impl] = await inPage((p) => p.evaluate(([i, n]) => window.rnnlabBench.roof(i, n, 3), [impl, roofN] as const), budgetMs);
        console.log(`matmul roof ${roofN}^3, ${impl}: ${roofs[impl]!.toFixed(2)} GFLOP/s`);
      } catch (e) {
        console.log(`matmul roof ${roofN}^3, ${impl}: failed: ${(e as Error).message}`);
      }
    }
  }
  const roof = Math.max(0, ...Object.values(roofs));

  const workloads = (opts.workloads ?? Object.keys(WORKLOADS)) as WorkloadId[];
  const results: Record<string, Row[]> = {};
  for (const id of workloads) {
    const w = opts.tiny ? tinyWorkload(id) : WORKLOADS[id];
    const flops = workloadFlops(w);
    console.log(`\n## ${w.label} — ${(flops / 1e9).toFixed(3)} GFLOP per step`);
    const rows: Row[] = [];
    for (const { impl, backend, label } of PLAN) {
      if (opts.impls && !opts.impls.includes(impl)) continue;
      if (opts.backends && !opts.backends.includes(backend)) continue;
      if (opts.tiny && impl === 'rnnlab') continue; // rnnlab runs its real sessions at full size only
      // steps 0: the page picks the steps per repetition from a probe step (about 2 s per repetition).
      const req: MeasureRequest = { impl, backend, workload: id, tiny: opts.tiny, steps: 0, reps, budgetMs };
      let r: MeasureResult;
      const t0 = performance.now();
      try {
        r = await inPage((p) => p.evaluate((q) => window.rnnlabBench.measure(q), req), budgetMs + 60_000);
      } catch (e) {
        r = {
          impl, backend, workload: id, note: '', msPerStep: [], warmupMs: NaN, stepsPerRep: 0, firstLoss: NaN, lastLoss: NaN,
          dispatchesPerStep: 0, submitsPerStep: 0, readbacksPerStep: 0, peakGpuMiB: 0, extra: {}, error: (e as Error).message,
        };
      }
      const median = r.msPerStep.length ? [...r.msPerStep].sort((a, b) => a - b)[Math.floor(r.msPerStep.length / 2)]! : NaN;
      const row: Row = { ...r, label, median, gflops: flops / (median / 1000) / 1e9 };
      rows.push(row);
      const secs = ((performance.now() - t0) / 1000).toFixed(0);
      console.log(r.error
        ? `  ${label}: FAILED after ${secs} s: ${r.error}`
        : `  ${label}: ${fmt(median)} ms/step (${r.msPerStep.length} reps of ${r.stepsPerRep} steps: ${r.msPerStep.map((x) => x.toFixed(1)).join(', ')}), loss ${fmt(r.firstLoss, 3)} -> ${fmt(r.lastLoss, 3)}, ${secs} s`);
    }
    results[id] = rows;
  }
  await browser.close();
  await server.close();

  // Tables.
  const md: string[] = [
    `rnnlab bench, ${date}, Chromium ${version}, WebGPU adapter: ${adapter}${restarts ? ` (the browser was restarted ${restarts} time(s) after a page that would not close)` : ''}.`,
    roof ? `Matmul roof ${roofN}^3: ${Object.entries(roofs).map(([k, v]) => `${k} ${v.toFixed(2)}`).join(', ')} GFLOP/s (roof = best = ${roof.toFixed(2)}).` : '',
    '',
  ];
  for (const id of workloads) {
    const rows = results[id]!;
    const w = opts.tiny ? tinyWorkload(id) : WORKLOADS[id];
    const ours = rows.find((r) => r.impl === 'rnnlab')?.median ?? NaN;
    md.push(`**${w.label}** — ${(workloadFlops(w) / 1e9).toFixed(3)} GFLOP/step`, '');
    md.push('| implementation | ms/step (median) | x rnnlab time | GFLOP/s | % of roof | dispatches/step | submits/step | buffer maps/step | peak GPU MiB | note |');
    md.push('|---|---|---|---|---|---|---|---|---|---|');
    for (const r of rows) {
      const gpu = r.backend === 'webgpu';
      md.push(`| ${r.label} | ${r.error ? 'failed' : fmt(r.median)} | ${r.error || r.impl === 'rnnlab' ? (r.impl === 'rnnlab' ? '1' : '—') : fmt(r.median / ours, 2)} | ${fmt(r.gflops, 2)} | ${roof && !r.error ? fmt((100 * r.gflops) / roof, 0) + '%' : '—'} | ${gpu ? fmt(r.dispatchesPerStep, 1) : '—'} | ${gpu ? fmt(r.submitsPerStep, 2) : '—'} | ${gpu ? fmt(r.readbacksPerStep, 2) : '—'} | ${gpu ? fmt(r.peakGpuMiB, 1) : '—'} | ${(r.error ? `ERROR: ${r.error}` : r.note).replace(/\|/g, '/')} |`);
    }
    md.push('');
  }
  const text = md.join('\n');
  console.log(`\n${text}`);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/bench.json', JSON.stringify({ date: new Date().toISOString(), chromium: version, adapter, roofSize: roofN, roofs, roof, tiny: opts.tiny, results }, null, 2));
  writeFileSync('bench-results/bench.md', `${text}\n`);
  console.log('written bench-results/bench.json and bench-results/bench.md');
}

await main();
if (opts.node) await import('./bench-node.ts');
process.exit(0);
