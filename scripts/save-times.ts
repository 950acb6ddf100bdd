// `npm run save-times`: how long saving a run in the browser takes, per task's default model, in headless Chromium
// on WebGPU (SwiftShader on a machine without a GPU). Not a test and not part of `npm test`.
// For MNIST (default LSTM, real MNIST), the fable ('fast' preset, the fable's text) and PTB 'small' (and 'medium')
// on the real PTB files, the page builds the session, then saves it `--reps` times as RunSaver does: the GPU
// readback (checkpoint()), the encoding, the IndexedDB write of record, curves and checkpoint Blob. PTB 'large'
// is saved from synthetic weights (no session: it is too big for SwiftShader's 128 MiB bindings) and read back.
// The browser profile is a real one on disk (a temporary folder), so the writes reach the disk as a user's do:
// Playwright's usual off-the-record contexts keep IndexedDB in memory.
// Prints the medians and writes bench-results/save-times.json.
//
//   npm run save-times                      everything, 5 saves each
//   npm run save-times -- --only mnist,ptb-large --reps 3 --port 5214
//   npm run save-times -- --no-medium       without PTB 'medium' (its programs take long to compile on SwiftShader)
//
// Environment: PTB_DATA (default ../shared/data/ptb) is served to the page at /save-times-data/ptb/.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright';
import { createServer, type Plugin } from 'vite';
import type { SaveTask, SaveTimes } from './save-times-page.ts';
import { CHROMIUM_WEBGPU_ARGS, findChromium } from './chromium.mjs';

const ALL = ['mnist', 'fable', 'ptb-demo', 'ptb-small', 'ptb-medium', 'ptb-large'] as const;
type Item = (typeof ALL)[number];

function parseArgs(argv: string[]) {
  const opts = { reps: 5, port: 5213, only: [...ALL] as Item[] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--reps') opts.reps = Number(argv[++i]);
    else if (a === '--port') opts.port = Number(argv[++i]);
    else if (a === '--no-medium') opts.only = opts.only.filter((t) => t !== 'ptb-medium');
    else if (a === '--only') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      for (const t of list) if (!(ALL as readonly string[]).includes(t)) throw new Error(`unknown item ${t}; one of ${ALL.join(', ')}`);
      opts.only = list as Item[];
    } else throw new Error(`unknown argument ${a} (see the top of scripts/save-times.ts)`);
  }
  if (!(Number.isInteger(opts.reps) && opts.reps >= 1)) throw new Error('--reps must be a whole number >= 1');
  return opts;
}

/** Serves the PTB files at /save-times-data/ptb/ (the app itself never serves them: the user picks them). */
function servePtb(dir: string): Plugin {
  const names = ['ptb.train.txt', 'ptb.valid.txt', 'ptb.test.txt'];
  return {
    name: 'rnnlab-save-times-ptb',
    configureServer(server) {
      server.middlewares.use('/save-times-data/ptb', (req, res, next) => {
        const name = (req.url ?? '').replace(/^\//, '').split('?')[0] ?? '';
        if (!names.includes(name)) return next();
        res.setHeader('Content-Type', 'text/plain');
        res.end(readFileSync(join(dir, name)));
      });
    },
  };
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const chromePath = findChromium();
  if (!chromePath) throw new Error('No Chromium found: install it (apt-get install -y chromium) or set CHROMIUM_PATH.');
  const ptbDir = resolve(process.env.PTB_DATA ?? '../shared/data/ptb');
  const needsPtb = opts.only.some((t) => t === 'ptb-small' || t === 'ptb-medium');
  if (needsPtb && !existsSync(join(ptbDir, 'ptb.train.txt'))) throw new Error(`the PTB files are not in ${ptbDir}: set PTB_DATA, or leave ptb-small and ptb-medium out (--only)`);

  const server = await createServer({ configFile: 'vite.config.ts', logLevel: 'warn', server: { port: opts.port, strictPort: true }, plugins: [servePtb(ptbDir)] });
  await server.listen();
  const origin = `http://localhost:${opts.port}`;
  const profile = mkdtempSync(join(tmpdir(), 'rnnlab-save-times-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: chromePath, args: CHROMIUM_WEBGPU_ARGS, headless: true });
  const results: SaveTimes[] = [];
  let browserVersion = '';
  let adapter = '';
  try {
    for (const item of opts.only) {
      // a fresh page (and GPU device) per model; a blank page of the dev server's origin, the app not started
      const page = await context.newPage();
      page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
      await page.route(`${origin}/__save-times`, (r) => r.fulfill({ contentType: 'text/html', body: '<!doctype html><title>save times</title>' }));
      await page.goto(`${origin}/__save-times`);
      browserVersion ||= /Chrome\/([0-9.]+)/.exec(await page.evaluate(() => navigator.userAgent))?.[1] ?? '';
      process.stdout.write(`${item}: `);
      const t0 = Date.now();
      const call = item === 'ptb-large' ? `m.measurePtbLarge(${opts.reps})` : `m.measureTask(${JSON.stringify(item satisfies SaveTask)}, ${opts.reps})`;
      try {
        const r = (await page.evaluate(`import('/scripts/save-times-page.ts').then((m) => ${call})`)) as SaveTimes;
        results.push(r);
        adapter ||= r.adapter ?? '';
        console.log(`${((Date.now() - t0) / 1000).toFixed(0)} s (build ${(r.buildMs / 1000).toFixed(1)} s)`);
      } catch (e) {
        console.log(`failed after ${((Date.now() - t0) / 1000).toFixed(0)} s: ${(e as Error).message.split('\n')[0]}`);
      }
      await page.close();
    }
  } finally {
    await context.close();
    await server.close();
    rmSync(profile, { recursive: true, force: true });
  }

  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown CPU'}), headless Chromium ${browserVersion}, WebGPU adapter: ${adapter || 'none used'}`;
  const ms = (x: number) => (x < 10 ? x.toFixed(1) : x.toFixed(0));
  const rows = results.map((r) => {
    const pick = (k: keyof SaveTimes['saves'][number]) => median(r.saves.map((s) => s[k]));
    const read = r.reads ? `${ms(median(r.reads.map((x) => x.read)))} + ${ms(median(r.reads.map((x) => x.decode)))}` : '';
    return `| ${r.label} | ${(r.parameters / 1e6).toFixed(2)} M | ${(r.bytes / 1e6).toFixed(1)} | ${r.reads ? '(synthetic)' : ms(pick('readback'))} | ${ms(pick('encode'))} | ${ms(pick('write'))} | ${ms(pick('total'))} | ${ms(r.saves[0]!.total)} | ${read} |`;
  });
  const table = [
    `Saving a run, median of ${opts.reps} saves, ms (${machine}; an on-disk profile):`,
    '',
    '| model | parameters | checkpoint MB | readback | encode | write | total | first save | read back + decode |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
  console.log(`\n${table}`);
  mkdirSync('bench-results', { recursive: true });
  writeFileSync('bench-results/save-times.json', JSON.stringify({ date: new Date().toISOString(), machine, reps: opts.reps, results }, null, 2));
  console.log('\nwritten: bench-results/save-times.json');
}

main().catch((e) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
