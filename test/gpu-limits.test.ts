// A model too big for the adapter: every buffer is checked against the device's limits before it is made, the
// message names the buffer, both sizes and what to change, a session that fails part-way frees what it made, and
// whatever was built before stays usable. Programs free their own buffers.
import { beforeAll, describe, expect, it } from 'vitest';
import type { MnistData } from '../src/data/idx.ts';
import { RunControl } from '../src/engine/control.ts';
import { defaultMnistConfig, MnistSession } from '../src/engine/mnist.ts';
import { PTB_CONFIGS, PtbSession } from '../src/engine/ptb.ts';
import { GpuError } from '../src/gpu/errors.ts';
import { Program } from '../src/gpu/program.ts';
import { createPersistent, maxStorageBytes } from '../src/gpu/tensor.ts';
import { testDevice } from './gpu.ts';
import { loadRealMnist } from './mnist-files.ts';


/** Records the storage buffers made on `device` while `fn` runs, and which of them were destroyed. */
async function trackBuffers<T>(device: GPUDevice, fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; made: GPUBuffer[]; destroyed: Set<GPUBuffer> }> {
  const made: GPUBuffer[] = [];
  const destroyed = new Set<GPUBuffer>();
  const create = device.createBuffer;
  device.createBuffer = function (this: GPUDevice, d: GPUBufferDescriptor) {
    const b = create.call(this, d);
    if (d.usage & GPUBufferUsage.STORAGE || d.usage & GPUBufferUsage.UNIFORM) {
      made.push(b);
      const destroy = b.destroy;
      b.destroy = function (this: GPUBuffer) {
        destroyed.add(b);
        return destroy.call(this);
      };
    }
    return b;
  };
  try {
    return { result: await fn(), made, destroyed };
  } catch (error) {
    return { error, made, destroyed };
  } finally {
    device.createBuffer = create;
  }
}

function expectTooBig(e: unknown, ...parts: (string | RegExp)[]): GpuError {
  expect(e).toBeInstanceOf(GpuError);
  const err = e as GpuError;
  expect(err.kind).toBe('too-big');
  expect(err.message).toMatch(/too big for this GPU/);
  expect(err.message).toMatch(/allows at most [\d,]+ MiB in one buffer/);
  expect(err.message).toMatch(/smaller hidden size or batch size/);
  for (const p of parts) expect(err.message).toMatch(p);
  return err;
}

describe('buffers against the device limits', () => {
  it('a persistent tensor or a program transient over the limit is refused with the sizes, before anything is made', async () => {
    const device = await testDevice();
    const limit = maxStorageBytes(device);
    expect(limit).toBeGreaterThan(0);
    const floats = limit / 4 + 16; // just over
    const t = await trackBuffers(device, async () => createPersistent(device, [floats], 'huge'));
    expectTooBig(t.error, /"huge" needs [\d,]+ MiB/);
    expect(t.made).toHaveLength(0);

    // a transient: checked when the program plans its buffers, none of which is made
    const p = new Program(device, 'probe');
    const small = p.transient([64], 'small');
    const big = p.transient([floats], 'activations');
    const clear = (prog: Program, t: typeof small, n: number) => prog.dispatch('embedding_clear', { N: 1, V: 1, D: n, offOut: 0 }, { dTable: t }, [1]);
    clear(p, small, 64);
    clear(p, big, floats);
    const c = await trackBuffers(device, () => p.compile());
    expectTooBig(c.error, `"probe: activations [${floats}]"`);
    expect(c.made).toHaveLength(0);

    // a program that fits compiles, and destroy() frees what it made
    const q = new Program(device, 'fits');
    const out = q.transient([1024], 'out');
    clear(q, out, 1024);
    const ok = await trackBuffers(device, () => q.compile());
    expect(ok.error).toBeUndefined();
    expect(ok.made.length).toBe(2); // its transient and its uniforms ...
    ok.result!.destroy();
    expect(ok.made.every((b) => ok.destroyed.has(b))).toBe(true); // ... both freed by destroy()
  });
});

describe('sessions too big for the device', () => {
  let data: MnistData;
  beforeAll(async () => {
    data = await loadRealMnist();
  });

  it('MNIST: refused with a message, everything it made is freed, and the session built before still trains', async () => {
    const device = await testDevice();
    const small = defaultMnistConfig('lstm');
    small.model.hidden = 8;
    small.batch = 16;
    const before = await MnistSession.create(device, data, small);

    const huge = defaultMnistConfig('lstm');
    huge.model.hidden = 2048;
    huge.batch = 4096; // XW alone is 28·4096 x 4·2048 floats: 3.6 GiB
    const t = await trackBuffers(device, () => MnistSession.create(device, data, huge));
    expectTooBig(t.error, /mnist train step: /, /needs [\d,]+ MiB/);
    expect(t.made.length).toBeGreaterThan(5); // its data, parameters, moments, inference program ...
    expect(t.made.filter((b) => !t.destroyed.has(b)).map((b) => b.label)).toEqual([]); // ... all freed

    // the earlier session is untouched: it trains a few steps and evaluates
    const control = new RunControl();
    let loss = NaN;
    await before.trainEpoch(control, (m) => (loss = m.loss), undefined, 10);
    expect(Number.isFinite(loss)).toBe(true);
    const ev = await before.evaluate();
    expect(ev.accuracy).toBeGreaterThan(0);
    before.destroy();
  }, 300_000);

  it('a session counts its GPU memory: every buffer it made, and nothing once destroyed', async () => {
    const device = await testDevice();
    const cfg = defaultMnistConfig('lstm');
    cfg.model.hidden = 16;
    cfg.batch = 32;
    const t = await trackBuffers(device, () => MnistSession.create(device, data, cfg));
    const s = t.result!;
    const made = t.made.filter((b) => !t.destroyed.has(b)).reduce((n, b) => n + b.size, 0);
    expect(s.gpuBytes).toBe(made);
    expect(s.gpuBytes).toBeGreaterThan(data.train.pixels.length); // the training images are on the GPU
    const d = await trackBuffers(device, async () => s.destroy());
    expect(d.made).toHaveLength(0);
    expect(t.made.every((b) => t.destroyed.has(b))).toBe(true);
  }, 300_000);

  it('PTB: parameters over the limit are refused before anything else is allocated', async () => {
    const device = await testDevice();
    const ids = Uint32Array.from({ length: 2000 }, (_, i) => (i * 7) % 50);
    const config = { ...PTB_CONFIGS.small, vocabSize: 50, hiddenSize: 4096, numLayers: 8 }; // 8 layers of [2H, 4H]: 4 GiB
    const t = await trackBuffers(device, () => PtbSession.create(device, { train: ids, valid: ids, test: ids }, config));
    expectTooBig(t.error, /"ptb" needs [\d,]+ MiB/);
    expect(t.made).toHaveLength(0);
  });
});
