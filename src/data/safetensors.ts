// .safetensors: an 8-byte little-endian header length, a JSON header (dtype, shape, byte offsets per tensor,
// and an optional string-to-string __metadata__), then the raw little-endian data. The format PyTorch and
// Hugging Face tools read and write; rnnlab stores weights as F32 (or F16 for shipped files) in its own layouts
// (docs/design.md).
import { DataError } from './errors.ts';

export interface SafeTensors {
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
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

/** Encodes weights as F32 (exact) or F16 (half the size; for shipped weights). */
export function encodeSafetensors(
  weights: Record<string, Float32Array>,
  metadata: Record<string, string> = {},
  shapes: Record<string, number[]> = {},
  dtype: 'F32' | 'F16' = 'F32',
): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = Object.keys(weights).sort();
  const width = dtype === 'F32' ? 4 : 2;
  for (const name of names) {
    const n = weights[name].length;
    header[name] = { dtype, shape: shapes[name] ?? [n], data_offsets: [offset, offset + n * width] };
    offset += n * width;
  }
  let json = JSON.stringify(header);
  while ((8 + json.length) % 8 !== 0) json += ' ';
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let at = 8 + headerBytes.length;
  for (const name of names) {
    const w = weights[name];
    const bytes = dtype === 'F32' ? new Uint8Array(Float32Array.from(w).buffer) : new Uint8Array(Uint16Array.from(w, toHalf).buffer);
    out.set(bytes, at); // typed arrays are little-endian on every platform browsers run on
    at += bytes.length;
  }
  return out;
}

export function decodeSafetensors(bytes: Uint8Array, name = 'weights'): SafeTensors {
  if (bytes.length < 8) throw new DataError(name, 'too short to be a .safetensors file');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = Number(view.getBigUint64(0, true));
  if (headerLen <= 0 || 8 + headerLen > bytes.length) throw new DataError(name, `header length ${headerLen} does not fit in ${bytes.length} bytes`);
  let header: Record<string, { dtype: string; shape: number[]; data_offsets: [number, number] } | Record<string, string>>;
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch {
    throw new DataError(name, 'the header is not valid JSON');
  }
  const body = bytes.subarray(8 + headerLen);
  const tensors: SafeTensors['tensors'] = {};
  let metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(header)) {
    if (key === '__metadata__') {
      metadata = entry as Record<string, string>;
      continue;
    }
    const e = entry as { dtype: string; shape: number[]; data_offsets: [number, number] };
    if (e.dtype !== 'F32' && e.dtype !== 'F16') throw new DataError(name, `${key}: dtype ${e.dtype} (F32 and F16 are supported)`);
    const width = e.dtype === 'F32' ? 4 : 2;
    const [a, b] = e.data_offsets;
    const count = e.shape.reduce((x, y) => x * y, 1);
    if (!(a >= 0 && b <= body.length && b - a === count * width)) throw new DataError(name, `${key}: data offsets [${a}, ${b}] do not match shape [${e.shape}] within ${body.length} bytes`);
    const copy = new Uint8Array(b - a);
    copy.set(body.subarray(a, b));
    const data = e.dtype === 'F32' ? new Float32Array(copy.buffer) : Float32Array.from(new Uint16Array(copy.buffer), fromHalf);
    tensors[key] = { shape: e.shape, data };
  }
  return { tensors, metadata };
}

/** Typed reads of a .safetensors file's metadata (all strings there), each failure a DataError naming the file. */
export function metadataReader(meta: Record<string, string>, name: string) {
  return {
    /** A whole number >= 0. */
    int(key: string): number {
      const v = Number(meta[key]);
      if (meta[key] === undefined || !Number.isInteger(v) || v < 0) throw new DataError(name, `${key} is ${meta[key] ?? 'missing'}`);
      return v;
    },
    json<T>(key: string, fallback?: string): T {
      try {
        return JSON.parse(meta[key] ?? fallback ?? '');
      } catch {
        throw new DataError(name, `${key} is not valid JSON`);
      }
    },
  };
}
