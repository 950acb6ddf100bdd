// Weights that travel, in the page (Chromium on WebGPU): the MNIST tab imports a PyTorch model (a fixture written by
// scripts/torch/interop.py), exports it, imports another, then its own export again: the drawing gets the same
// predictions as before; a file of another task is refused with the file named and the model in use kept. The
// fable tab does the same with its shipped model and its continuation of "long ago ,", and the PTB tab samples
// from an imported model at once.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classify, drawSeven, probabilities } from './drawing.ts';
import { expect, test, type Page } from '@playwright/test';
import { decodeInterop, encodeInterop, rnnlabShapes, type InteropModel } from '../src/data/interop.ts';
import { preparePtb } from '../src/data/ptb.ts';

const FIXTURES = join(import.meta.dirname, '..', 'test', 'fixtures', 'torch');

async function importFile(page: Page, path: string, name: string): Promise<void> {
  await page.getByTestId('mnist-model-import').setInputFiles({ name, mimeType: 'application/octet-stream', buffer: readFileSync(path) });
}

const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((v, i) => Math.abs(v - b[i]!)));

test('MNIST: import a PyTorch model, export it, import another, import the export: the same predictions', async ({ page }, info) => {
  await page.routeWebSocket(/.*/, () => {}); // no dev-server reloads mid-test
  await page.goto('/');
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  const status = page.getByTestId('mnist-model-file-status');

  const untrained = await classify(page);
  await importFile(page, join(FIXTURES, 'mnist-lstm16.safetensors'), 'mnist-lstm16.safetensors');
  await expect(status).toHaveText('In use: mnist-lstm16.safetensors, an LSTM with 16 hidden units.');
  const torch = await classify(page, untrained);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('mnist-model-export').click()]);
  expect(download.suggestedFilename()).toBe('mnist-lstm16.safetensors');
  const saved = info.outputPath('exported.safetensors');
  await download.saveAs(saved);
  await expect(status).toContainText('Saved mnist-lstm16.safetensors');
  const exported = decodeInterop(new Uint8Array(readFileSync(saved)), 'exported', { task: 'mnist' });
  const original = decodeInterop(new Uint8Array(readFileSync(join(FIXTURES, 'mnist-lstm16.safetensors'))), 'fixture', { task: 'mnist' });
  expect(exported.model).toEqual(original.model);
  for (const [k, w] of Object.entries(original.weights)) expect(maxDiff([...exported.weights[k]!], [...w]), k).toBeLessThan(1e-6);

  await importFile(page, join(FIXTURES, 'mnist-rnn16.safetensors'), 'mnist-rnn16.safetensors');
  await expect(status).toHaveText('In use: mnist-rnn16.safetensors, an RNN with 16 hidden units.');
  const rnn = await classify(page, torch);

  await importFile(page, saved, 'exported.safetensors');
  await expect(status).toHaveText('In use: exported.safetensors, an LSTM with 16 hidden units.');
  const again = await classify(page, rnn);
  expect(maxDiff(again, torch)).toBeLessThan(1e-5);

  // another task's file: refused, naming it; the model in use stays
  await importFile(page, join(FIXTURES, 'ptb-2x8.safetensors'), 'ptb-2x8.safetensors');
  await expect(status).toHaveText('Not imported (the model in use is unchanged): ptb-2x8.safetensors: is a Penn TreeBank model, not an MNIST classifier: open it in the Penn TreeBank task');
  await drawSeven(page, true);
  await expect.poll(async () => maxDiff(await probabilities(page), torch)).toBeLessThan(1e-5);
});

/** Continues "long ago ," (temperature 0: the most likely words) and returns the 32 words once they differ from
 *  `previous` (the output shown before, which stays until the answer replaces it). */
async function continueFable(page: Page, previous: string[] | null = null): Promise<string[]> {
  await page.getByTestId('fable-input').fill('long ago ,');
  await page.getByTestId('fable-continue').click();
  const words = page.getByTestId('fable-output').locator('.fable-word');
  await expect.poll(async () => {
    const w = await words.allTextContents();
    return w.length === 32 && (previous === null || w.join(' ') !== previous.join(' '));
  }, { timeout: 60_000 }).toBe(true);
  return words.allTextContents();
}

test('fable: export the shipped model, import another, import the export: the same continuation', async ({ page }, info) => {
  await page.routeWebSocket(/.*/, () => {});
  await page.goto('/');
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  await page.getByRole('tab', { name: 'Fable' }).click();
  const weights = page.getByTestId('fable-weights');
  await expect(weights).toHaveAttribute('data-kind', 'shipped', { timeout: 120_000 });
  const status = page.getByTestId('fable-model-file-status');
  const shipped = await continueFable(page);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('fable-model-export').click()]);
  expect(download.suggestedFilename()).toBe('fable-fast.safetensors');
  const saved = info.outputPath('fable-fast.safetensors');
  await download.saveAs(saved);
  const exported = decodeInterop(new Uint8Array(readFileSync(saved)), 'exported', { task: 'fable' });
  expect(exported.model.config).toMatchObject({ hidden: 512, layers: 2, input: 'embedding', vocab: 112 });

  // a model for another vocabulary: refused, naming the file
  const input = page.getByTestId('fable-model-import');
  await input.setInputFiles({ name: 'fable-fast8.safetensors', mimeType: 'application/octet-stream', buffer: readFileSync(join(FIXTURES, 'fable-fast8.safetensors')) });
  await expect(status).toContainText('Not imported (the model in use is unchanged): fable-fast8.safetensors: was trained on another vocabulary');
  await expect(weights).toHaveAttribute('data-kind', 'shipped');

  // another model of the fable's words (an untrained 2-layer LSTM-8): a different continuation
  const vocab = exported.model.task === 'fable' ? exported.model.vocab : [];
  const small = { task: 'fable', config: { ...exported.model.config, hidden: 8 }, vocab } as InteropModel;
  const w = Object.fromEntries(Object.entries(rnnlabShapes(small)).map(([k, sh]) => [k, Float32Array.from({ length: sh.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 12.9898) * 2)]));
  await input.setInputFiles({ name: 'small.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(encodeInterop(small, w)) });
  await expect(status).toHaveText("In use: small.safetensors, a 2-layer LSTM-8 (fast preset's input).");
  await expect(weights).toContainText('imported from small.safetensors');
  const other = await continueFable(page, shipped);

  await input.setInputFiles(saved);
  await expect(status).toHaveText("In use: fable-fast.safetensors, a 2-layer LSTM-512 (fast preset's input).");
  expect(await continueFable(page, other)).toEqual(shipped);
});

test('PTB: an imported model samples at once; its export imported again samples the same words', async ({ page }, info) => {
  await page.routeWebSocket(/.*/, () => {});
  await page.goto('/');
  await expect(page.getByTestId('gpu-ready')).toBeVisible();
  await page.getByRole('tab', { name: 'Penn TreeBank' }).click();
  const text = ' the company said the market fell \n a trader said prices rose \n <unk> said N shares \n'.repeat(60);
  await page.getByTestId('ptb-file-input').setInputFiles(['train', 'valid', 'test'].map((s) => ({ name: `ptb.${s}.txt`, mimeType: 'text/plain', buffer: Buffer.from(text) })));
  const words = preparePtb({ train: text, valid: text, test: text }).vocab.words;
  await expect(page.getByTestId('ptb-vocab-size')).toHaveText(String(words.length), { timeout: 60_000 });
  const sampleButton = page.getByTestId('ptb-sample-button');
  await expect(sampleButton).toBeDisabled(); // no model yet

  const model: InteropModel = { task: 'ptb', config: { vocab: words.length, hidden: 8, layers: 2, steps: 35, input: 'embedding', predict: 'every-step', keepProb: 1, forgetBias: 0, init: 'uniform', initScale: 0.1 }, vocab: words };
  const w = Object.fromEntries(Object.entries(rnnlabShapes(model)).map(([k, sh]) => [k, Float32Array.from({ length: sh.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 7.31 + sh[0]!) * 1.5)]));
  const input = page.getByTestId('ptb-model-import');
  const status = page.getByTestId('ptb-model-file-status');
  await input.setInputFiles({ name: 'ptb-2x8.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from(encodeInterop(model, w)) });
  await expect(status).toHaveText(`In use: ptb-2x8.safetensors, a 2-layer LSTM-8 over ${words.length} words.`);
  await expect(sampleButton).toBeEnabled();

  await page.getByTestId('ptb-temperature').fill('0');
  await page.getByTestId('ptb-prompt').fill('the');
  /** `count` words (temperature 0), read once the answer of that length is shown. */
  const sample = async (count: number) => {
    await page.getByTestId('ptb-sample-count').fill(String(count));
    await sampleButton.click();
    const output = page.getByTestId('ptb-sample-output');
    await expect(output).toHaveAttribute('data-words', String(count), { timeout: 60_000 });
    return output.locator('.fable-word').allTextContents();
  };
  const first = await sample(20);

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('ptb-model-export').click()]);
  expect(download.suggestedFilename()).toBe('ptb-imported.safetensors');
  const saved = info.outputPath('ptb.safetensors');
  await download.saveAs(saved);
  const back = decodeInterop(new Uint8Array(readFileSync(saved)), 'exported', { task: 'ptb', vocab: words });
  for (const [k, v] of Object.entries(w)) expect(maxDiff([...back.weights[k]!], [...v]), k).toBeLessThan(1e-6);
  await input.setInputFiles(saved);
  await expect(status).toHaveText(`In use: ptb.safetensors, a 2-layer LSTM-8 over ${words.length} words.`);
  // a new answer (21 words, so not the one shown), greedy: the same first 20 words
  expect((await sample(21)).slice(0, 20)).toEqual(first);
});
