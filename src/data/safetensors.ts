// .safetensors: an 8-byte little-endian header length, a JSON header (dtype, shape, byte offsets per tensor,
// and an optional string-to-string __metadata__), then the raw little-endian data. The format PyTorch and
// Hugging Face tools read and write; rnnlab stores weights as F32 in its own layouts (docs/design.md).
import { DataError } from './errors.ts';

export interface SafeTensors {
  tensors: Record<string, { shape: number[]; data: Float32Array }>;
  metadata: Record<string, string>;
}

export function encodeSafetensors(weights: Record<string, Float32Array>, metadata: Record<string, string> = {}, shapes: Record<string, number[]> = {}): Uint8Array {
  const header: Record<string, unknown> = { __metadata__: metadata };
  let offset = 0;
  const names = Object.keys(weights).sort();
  for (const name of names) {
    const n = weights[name].length;
    header[name] = { dtype: 'F32', shape: shapes[name] ?? [n], data_offsets: [offset, offset + n * 4] };
    offset += n * 4;
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
    out.set(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), at);
    at += w.byteLength;
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
    if (e.dtype !== 'F32') throw new DataError(name, `${key}: dtype ${e.dtype} (only F32 is supported)`);
    const [a, b] = e.data_offsets;
    const count = e.shape.reduce((x, y) => x * y, 1);
    if (!(a >= 0 && b <= body.length && b - a === count * 4)) throw new DataError(name, `${key}: data offsets [${a}, ${b}] do not match shape [${e.shape}] within ${body.length} bytes`);
    const copy = new Uint8Array(b - a);
    copy.set(body.subarray(a, b));
    tensors[key] = { shape: e.shape, data: new Float32Array(copy.buffer) };
  }
  return { tensors, metadata };
}
