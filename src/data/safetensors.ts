// .safetensors: an 8-byte little-endian header length, a JSON header (dtype, shape, byte offsets per tensor,
// and an optional string-to-string __metadata__), then the raw little-endian data. The format PyTorch and
// Hugging Face tools read and write; rnnlab stores weights as F32 (or F16 for shipped files) in its own layouts
// (docs/design.md).
import { DataError } from './errors.ts';
import { checkFileSize } from './limits.ts';

export interface SafeTensors {
  /** By name; a prototype-less object, so any name (even "__proto__") is a plain key. */
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
  /** Prototype-less too. */
  metadata: Record<string, string>;
}

/** float32 -> IEEE half (round to nearest even; overflow to ±inf, tiny values to subnormals or 0). */
export function toHalf(x: number): number {
  const f = new Float32Array([x]);
  const u = new Uint32Array(f.buffer)[0];
  const sign = (u >>> 16) & 0x8000;
  const exp = (u >>> 23) & 0xff;
  let mant = u & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let h = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (rem > half || (rem === half && (h & 1))) h++;
    return sign | h;
  }
  let h = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (h & 1))) h++;
  return sign | h;
}

export function fromHalf(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return sign * m * 2 ** -24;
  if (e === 0x1f) return m ? NaN : sign * Infinity;
  return sign * (1 + m / 1024) * 2 ** (e - 15);
}

/** What the reference implementation refuses to parse: a JSON header over this many bytes. */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** Bytes per element of every dtype of the format; F32, F16 and BF16 are decoded (to Float32). */
const DTYPE_BYTES: Readonly<Record<string, number>> = {
  BOOL: 1, U8: 1, I8: 1, F8_E5M2: 1, F8_E4M3: 1, I16: 2, U16: 2, F16: 2, BF16: 2, I32: 4, U32: 4, F32: 4, F64: 8, I64: 8, U64: 8,
};
const DECODED_DTYPES = ['F32', 'F16', 'BF16'];

/** Encodes weights as F32 (exact) or F16 (half the size; for shipped weights). */
export function encodeSafetensors(
  weights: Record<string, Float32Array>,
  metadata: Record<string, string> = {},
  shapes: Record<string, number[]> = {},
  dtype: 'F32' | 'F16' = 'F32',
): Uint8Array {
  // prototype-less, so that a tensor called "__proto__" is a key like any other
  const header: Record<string, unknown> = Object.create(null);
  header.__metadata__ = metadata;
  let offset = 0;
  const names = Object.keys(weights).sort();
  const width = DTYPE_BYTES[dtype]!;
  for (const name of names) {
    if (name === '__metadata__') throw new RangeError('a tensor cannot be called __metadata__ (the name is reserved for the metadata)');
    const n = weights[name]!.length;
    const shape = Object.hasOwn(shapes, name) ? shapes[name]! : [n];
    if (shape.reduce((a, b) => a * b, 1) !== n) throw new RangeError(`${name}: shape [${shape}] does not hold its ${n} values`);
    header[name] = { dtype, shape, data_offsets: [offset, offset + n * width] };
    offset += n * width;
  }
  let json = JSON.stringify(header);
  while ((8 + new TextEncoder().encode(json).length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const w = weights[name]!;
    // F32: a view of the tensor's own bytes, not a copy (a copy of each tensor, up to 60 MB in a PTB "large"
    // checkpoint, took more than half the encoder's time); typed arrays are little-endian wherever browsers run
    const bytes = dtype === 'F32' ? new Uint8Array(w.buffer, w.byteOffset, w.byteLength) : new Uint8Array(Uint16Array.from(w, toHalf).buffer);
    out.set(bytes, at);
    at += bytes.length;
  }
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** A whole number >= 0 that a double holds exactly. */
function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/**
 * The first key that appears twice in one object of a JSON text (JSON.parse keeps the last silently), or null.
 * `json` must already be valid JSON.
 */
function duplicateKey(json: string): string | null {
  const frames: { keys: Set<string> | null; expectKey: boolean }[] = [];
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '{') frames.push({ keys: new Set(), expectKey: true });
    else if (c === '[') frames.push({ keys: null, expectKey: false });
    else if (c === '}' || c === ']') frames.pop();
    else if (c === ',') {
      const top = frames[frames.length - 1];
      if (top?.keys) top.expectKey = true;
    } else if (c === '"') {
      let j = i + 1;
      while (json[j] !== '"') j += json[j] === '\\' ? 2 : 1;
      const top = frames[frames.length - 1];
      if (top?.keys && top.expectKey) {
        const key = JSON.parse(json.slice(i, j + 1)) as string;
        if (top.keys.has(key)) return key;
        top.keys.add(key);
        top.expectKey = false;
      }
      i = j;
    }
  }
  return null;
}

interface TensorEntry {
  name: string;
  dtype: string;
  shape: number[];
  begin: number;
  end: number;
}

/** One header entry, checked field by field (a DataError naming the file and the tensor otherwise). */
function tensorEntry(file: string, name: string, entry: unknown): TensorEntry {
  const bad = (what: string) => new DataError(file, `tensor "${name}": ${what}`);
  if (!isPlainObject(entry)) throw bad(`its header entry is ${JSON.stringify(entry)}, not an object with dtype, shape and data_offsets`);
  const { dtype, shape, data_offsets: offsets } = entry;
  if (typeof dtype !== 'string') throw bad('dtype is missing or not a string');
  const width = DTYPE_BYTES[dtype];
  if (width === undefined) throw bad(`unknown dtype ${JSON.stringify(dtype)} (the format's dtypes: ${Object.keys(DTYPE_BYTES).join(', ')})`);
  if (!Array.isArray(shape) || !shape.every(isCount)) throw bad(`shape ${JSON.stringify(shape) ?? 'is missing'}: expected a list of whole numbers >= 0`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount) || offsets[0] > offsets[1]) {
    throw bad(`data_offsets ${JSON.stringify(offsets) ?? 'are missing'}: expected [begin, end] with 0 <= begin <= end`);
  }
  let size = width;
  for (const d of shape as number[]) size *= d;
  if (!Number.isSafeInteger(size)) throw bad(`shape [${shape}] is too large to hold in memory`);
  if (size !== offsets[1] - offsets[0]) {
    throw bad(`shape [${shape}] of ${dtype} takes ${size} bytes but data_offsets [${offsets}] hold ${offsets[1] - offsets[0]}`);
  }
  return { name, dtype, shape: shape as number[], begin: offsets[0], end: offsets[1] };
}

function decodeData(e: TensorEntry, body: Uint8Array): Float32Array {
  // own, aligned buffer (not body.slice: on a Node Buffer that is a view of the whole file)
  const copy = new Uint8Array(e.end - e.begin);
  copy.set(body.subarray(e.begin, e.end));
  if (e.dtype === 'F32') return new Float32Array(copy.buffer);
  const halves = new Uint16Array(copy.buffer);
  if (e.dtype === 'F16') return Float32Array.from(halves, fromHalf);
  // BF16: the upper 16 bits of an F32
  const words = new Uint32Array(halves.length);
  for (let i = 0; i < halves.length; i++) words[i] = halves[i]! << 16;
  return new Float32Array(words.buffer);
}

/**
 * Reads a .safetensors file with the reference reader's rules (../shared/docs/interop.md): a header of at most
 * 100,000,000 bytes holding a JSON object of objects, a string-to-string __metadata__, unique names, whole
 * shapes whose byte size is their data's, data offsets contiguous from 0 without gaps or overlaps that end at the
 * end of the file. F32, F16 and BF16 tensors are decoded to Float32; other dtypes are refused. Every problem is a
 * DataError naming the file. `tensors` and `metadata` are prototype-less objects (any name is a plain key).
 */
export function decodeSafetensors(bytes: Uint8Array, name = 'weights'): SafeTensors {
  checkFileSize(name, bytes.length, 'safetensors');
  if (bytes.length < 8) throw new DataError(name, `the file is ${bytes.length} bytes long, too short to be a .safetensors file (8 bytes of header length first)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const declared = view.getBigUint64(0, true);
  if (declared > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) {
    throw new DataError(name, `header length ${declared} is over the format's limit of ${SAFETENSORS_MAX_HEADER_BYTES} bytes (not a .safetensors file, or a corrupt one)`);
  }
  const headerLen = Number(declared);
  if (headerLen < 2 || 8 + headerLen > bytes.length) {
    throw new DataError(name, `header length ${headerLen} does not fit in the file's ${bytes.length} bytes (truncated, or not a .safetensors file)`);
  }
  let text: string;
  let header: unknown;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLen));
    header = JSON.parse(text);
  } catch {
    throw new DataError(name, 'the header is not valid JSON in UTF-8 (truncated, or not a .safetensors file)');
  }
  if (!isPlainObject(header)) throw new DataError(name, 'the header is not a JSON object of tensors');
  const dup = duplicateKey(text);
  if (dup !== null) throw new DataError(name, `the header names "${dup}" twice; names must be unique`);

  const metadata: Record<string, string> = Object.create(null);
  const entries: TensorEntry[] = [];
  for (const [key, entry] of Object.entries(header)) {
    if (key !== '__metadata__') {
      entries.push(tensorEntry(name, key, entry));
      continue;
    }
    if (!isPlainObject(entry)) throw new DataError(name, '__metadata__ is not an object of strings');
    for (const [k, v] of Object.entries(entry)) {
      if (typeof v !== 'string') throw new DataError(name, `__metadata__ "${k}" is ${JSON.stringify(v)}, not a string`);
      metadata[k] = v;
    }
  }
  const body = bytes.subarray(8 + headerLen);
  let at = 0;
  for (const e of [...entries].sort((x, y) => x.begin - y.begin || x.end - y.end)) {
    if (e.begin !== at) {
      throw new DataError(name, `tensor "${e.name}" starts at byte ${e.begin} of the data, expected ${at}: offsets must follow each other from 0 without gaps or overlaps`);
    }
    at = e.end;
  }
  if (at !== body.length) {
    throw new DataError(name, `the tensors take ${at} bytes but the file has ${body.length} bytes of data after the header (truncated, or extra bytes)`);
  }
  const tensors: SafeTensors['tensors'] = Object.create(null);
  for (const e of entries) {
    if (!DECODED_DTYPES.includes(e.dtype)) {
      throw new DataError(name, `tensor "${e.name}" is ${e.dtype}; rnnlab reads ${DECODED_DTYPES.join(', ')} weights (convert it, e.g. tensor.float() in PyTorch)`);
    }
    tensors[e.name] = { shape: e.shape, data: decodeData(e, body) };
  }
  return { tensors, metadata };
}

/** Typed reads of a .safetensors file's metadata (all strings there), each failure a DataError naming the file. */
export function metadataReader(meta: Record<string, string>, name: string) {
  /** A whole number >= 0 (digits only: no sign, fraction, exponent or spaces). */
  function int(key: string): number {
    const raw = meta[key];
    const v = Number(raw);
    if (raw === undefined || !/^(0|[1-9][0-9]*)$/.test(raw) || !Number.isSafeInteger(v)) {
      throw new DataError(name, `${key} is ${raw ?? 'missing'}, expected a whole number >= 0`);
    }
    return v;
  }
  function json<T>(key: string, fallback?: string): T {
    try {
      return JSON.parse(meta[key] ?? fallback ?? '');
    } catch {
      throw new DataError(name, `${key} is not valid JSON`);
    }
  }
  /** A JSON object of strings (prototype-less). */
  function stringMap(key: string, fallback?: string): Record<string, string> {
    const v = json<unknown>(key, fallback);
    if (typeof v !== 'object' || v === null || Array.isArray(v) || !Object.values(v).every((x) => typeof x === 'string')) {
      throw new DataError(name, `${key} is not a JSON object of strings`);
    }
    return Object.assign(Object.create(null), v) as Record<string, string>;
  }
  return { int, json, stringMap };
}
