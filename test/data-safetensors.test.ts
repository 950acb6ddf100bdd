import { describe, expect, it } from 'vitest';
import { DataError } from '../src/data/errors.ts';
import { decodeSafetensors, encodeSafetensors, fromHalf, toHalf } from '../src/data/safetensors.ts';

describe('safetensors', () => {
  const weights = { 'l0.Wx': Float32Array.from([1.5, -2.25, 3e-3]), by: Float32Array.from([0.1, 7]) };

  it('round-trips F32 exactly, with metadata and shapes, and a header aligned to 8 bytes', () => {
    const bytes = encodeSafetensors(weights, { preset: 'fast' }, { 'l0.Wx': [1, 3] });
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect((8 + headerLen) % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
    expect(header['l0.Wx']).toEqual({ dtype: 'F32', shape: [1, 3], data_offsets: [8, 20] });
    const back = decodeSafetensors(bytes);
    expect(back.metadata).toEqual({ preset: 'fast' });
    expect([...back.tensors['l0.Wx'].data]).toEqual([...weights['l0.Wx']]);
    expect([...back.tensors.by.data]).toEqual([...weights.by]);
  });

  it('decodes a Node Buffer (as readFileSync returns it) into tensors of their own size', () => {
    const back = decodeSafetensors(Buffer.from(encodeSafetensors(weights, {}, { 'l0.Wx': [1, 3] })));
    expect([...back.tensors['l0.Wx'].data]).toEqual([...weights['l0.Wx']]);
    expect([...back.tensors.by.data]).toEqual([...weights.by]);
  });

  it('F16: known half values, and a round trip within half precision', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(2 ** -24)).toBe(0x0001);
    expect(fromHalf(0x3555)).toBeCloseTo(0.33325, 5);
    const back = decodeSafetensors(encodeSafetensors(weights, {}, {}, 'F16'));
    back.tensors['l0.Wx'].data.forEach((v, i) => expect(Math.abs(v - weights['l0.Wx'][i])).toBeLessThan(Math.abs(weights['l0.Wx'][i]) * 1e-3));
  });

  it('rejects corrupt files with a DataError naming the file', () => {
    expect(() => decodeSafetensors(new Uint8Array(4), 'w.safetensors')).toThrow(DataError);
    const bytes = encodeSafetensors(weights);
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'w.safetensors')).toThrow(/w.safetensors: the tensors take \d+ bytes but the file has \d+ bytes of data/);
    const bad = bytes.slice();
    bad[8] = 0x78; // 'x' where the JSON's '{' was
    expect(() => decodeSafetensors(bad, 'w.safetensors')).toThrow(/not valid JSON/);
  });
});

/** A .safetensors file from a header (object or raw JSON text) and a data buffer, padded like the reference. */
function file(header: unknown, data: Uint8Array | number = 0): Uint8Array {
  const body = typeof data === 'number' ? new Uint8Array(data) : data;
  let json = typeof header === 'string' ? header : JSON.stringify(header);
  while (new TextEncoder().encode(json).length % 8 !== 0) json += ' ';
  const h = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + h.length + body.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(body, 8 + h.length);
  return out;
}

function refusal(bytes: Uint8Array): string {
  try {
    decodeSafetensors(bytes, 'w.safetensors');
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    expect((e as DataError).file).toBe('w.safetensors');
    return (e as Error).message;
  }
  throw new Error('the file was accepted');
}

const f32 = (shape: number[], offsets: [number, number]) => ({ dtype: 'F32', shape, data_offsets: offsets });

describe('safetensors: the reference reader\'s rules', () => {
  it('header length: over 100,000,000 bytes, or beyond the file, is refused before anything is read', () => {
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 100_000_001n, true);
    expect(refusal(huge)).toMatch(/header length 100000001 is over the format's limit of 100000000 bytes/);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 64n - 1n, true);
    expect(refusal(huge)).toMatch(/over the format's limit/);
    new DataView(huge.buffer).setBigUint64(0, 9n, true);
    expect(refusal(huge)).toMatch(/header length 9 does not fit in the file's 16 bytes/);
  });

  it('the header must be a UTF-8 JSON object of objects', () => {
    expect(refusal(file('[1,2]'))).toMatch(/not a JSON object of tensors/);
    expect(refusal(file('null'))).toMatch(/not a JSON object of tensors/);
    expect(refusal(file({ w: null }))).toMatch(/tensor "w": its header entry is null/);
    expect(refusal(file({ w: 3 }))).toMatch(/tensor "w": its header entry is 3/);
    expect(refusal(file({ w: [0, 4] }, 4))).toMatch(/tensor "w": its header entry/);
    const badUtf8 = file('{"w":{}}');
    badUtf8[10] = 0xff;
    expect(refusal(badUtf8)).toMatch(/not valid JSON in UTF-8/);
  });

  it('entries: a known dtype, a shape of whole numbers >= 0, data_offsets [begin, end]', () => {
    expect(refusal(file({ w: { shape: [1], data_offsets: [0, 4] } }, 4))).toMatch(/tensor "w": dtype is missing/);
    expect(refusal(file({ w: { dtype: 'F33', shape: [1], data_offsets: [0, 4] } }, 4))).toMatch(/unknown dtype "F33"/);
    expect(refusal(file({ w: { dtype: 'F32', data_offsets: [0, 4] } }, 4))).toMatch(/tensor "w": shape is missing/);
    for (const shape of [[-1], [1.5], ['2'], [2 ** 53], 4, null]) {
      expect(refusal(file({ w: { dtype: 'F32', shape, data_offsets: [0, 4] } }, 4))).toMatch(/tensor "w": shape .*whole numbers >= 0/);
    }
    for (const offsets of [[0], [4, 0], [-4, 0], [0, 4.5], '0,4', null, [0, 4, 8]]) {
      expect(refusal(file({ w: { dtype: 'F32', shape: [1], data_offsets: offsets } }, 4))).toMatch(/tensor "w": data_offsets .*expected \[begin, end\]/);
    }
  });

  it("a shape's byte size must be its data's", () => {
    expect(refusal(file({ w: f32([2, 3], [0, 20]) }, 20))).toMatch(/shape \[2,3\] of F32 takes 24 bytes but data_offsets \[0,20\] hold 20/);
    expect(refusal(file({ w: { dtype: 'F16', shape: [3], data_offsets: [0, 12] } }, 12))).toMatch(/takes 6 bytes/);
    expect(refusal(file({ w: f32([2 ** 30, 2 ** 30, 2 ** 30], [0, 4]) }, 4))).toMatch(/shape \[1073741824,1073741824,1073741824\] is too large/);
    // a zero dimension: no data, accepted
    expect(decodeSafetensors(file({ w: f32([0, 3], [0, 0]) })).tensors.w!.data).toHaveLength(0);
  });

  it('offsets: contiguous from 0, no gaps, no overlaps, ending at the end of the file', () => {
    expect(refusal(file({ a: f32([1], [4, 8]) }, 8))).toMatch(/tensor "a" starts at byte 4 of the data, expected 0/);
    expect(refusal(file({ a: f32([1], [0, 4]), b: f32([1], [8, 12]) }, 12))).toMatch(/tensor "b" starts at byte 8 of the data, expected 4/);
    expect(refusal(file({ a: f32([2], [0, 8]), b: f32([1], [4, 8]) }, 8))).toMatch(/starts at byte 4 of the data, expected (0|8)/);
    expect(refusal(file({ a: f32([1], [0, 4]), b: f32([1], [0, 4]) }, 4))).toMatch(/starts at byte 0 of the data, expected 4/);
    expect(refusal(file({ a: f32([1], [0, 4]) }, 8))).toMatch(/the tensors take 4 bytes but the file has 8 bytes of data/);
    expect(refusal(file({ a: f32([2], [0, 8]) }, 4))).toMatch(/take 8 bytes but the file has 4/);
    // out of order in the header is fine (the writer orders by dtype)
    const st = decodeSafetensors(file({ b: f32([1], [4, 8]), a: f32([1], [0, 4]) }, Uint8Array.from([0, 0, 128, 63, 0, 0, 0, 64])));
    expect([st.tensors.a!.data[0], st.tensors.b!.data[0]]).toEqual([1, 2]);
  });

  it('names are unique (JSON.parse alone would keep the last silently), in any object of the header', () => {
    const two = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(refusal(file(two, 4))).toMatch(/names "a" twice/);
    const escaped = '{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0061":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(refusal(file(escaped, 4))).toMatch(/names "a" twice/);
    const inner = '{"a":{"dtype":"F32","dtype":"F16","shape":[1],"data_offsets":[0,4]}}';
    expect(refusal(file(inner, 4))).toMatch(/names "dtype" twice/);
    // the same word as a value, or in two different objects, is no duplicate
    const fine = '{"__metadata__":{"a":"a,\\"a\\":"},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(decodeSafetensors(file(fine, 4)).metadata).toEqual({ a: 'a,"a":' });
  });

  it('__metadata__ maps strings to strings', () => {
    expect(refusal(file({ __metadata__: 'x' }))).toMatch(/__metadata__ is not an object of strings/);
    expect(refusal(file({ __metadata__: null }))).toMatch(/__metadata__ is not an object of strings/);
    expect(refusal(file({ __metadata__: { epochs: 3 } }))).toMatch(/__metadata__ "epochs" is 3, not a string/);
  });

  it('F32, F16 and BF16 are decoded; other dtypes are a clear refusal', () => {
    const bf16 = Uint16Array.from([0x3f80, 0xc040, 0x7f80]); // 1, -3, +inf
    const st = decodeSafetensors(file({ w: { dtype: 'BF16', shape: [3], data_offsets: [0, 6] } }, new Uint8Array(bf16.buffer)));
    expect([...st.tensors.w!.data]).toEqual([1, -3, Infinity]);
    for (const dtype of ['I64', 'F64', 'U8', 'BOOL']) {
      const width = { I64: 8, F64: 8, U8: 1, BOOL: 1 }[dtype]!;
      expect(refusal(file({ w: { dtype, shape: [2], data_offsets: [0, 2 * width] } }, 2 * width))).toMatch(
        new RegExp(`tensor "w" is ${dtype}; rnnlab reads F32, F16, BF16 weights`),
      );
    }
  });

  it('a tensor named __proto__ (or constructor) is a tensor like any other, both ways', () => {
    const weights: Record<string, Float32Array> = Object.create(null);
    weights['__proto__'] = Float32Array.from([4, 5]);
    weights['constructor'] = Float32Array.from([6]);
    const back = decodeSafetensors(encodeSafetensors(weights, { toString: 'x' }));
    expect(Object.keys(back.tensors).sort()).toEqual(['__proto__', 'constructor']);
    expect([...back.tensors['__proto__']!.data]).toEqual([4, 5]);
    expect(Object.getPrototypeOf(back.tensors)).toBeNull();
    expect(back.metadata.toString).toBe('x');
    // and from a file written elsewhere (JSON.parse makes "__proto__" an own key)
    const text = '{"__proto__":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}';
    expect(Object.keys(decodeSafetensors(file(text, Uint8Array.from([0, 0, 128, 63]))).tensors)).toEqual(['__proto__']);
    expect(() => encodeSafetensors({ __metadata__: new Float32Array(1) })).toThrow(/reserved/);
  });

  it('the size limit (1 GiB) is checked before anything else', () => {
    const fake = { length: 1025 * 2 ** 20 } as unknown as Uint8Array; // no 1 GiB allocation needed: refused on its length
    expect(() => decodeSafetensors(fake, 'big.safetensors')).toThrow(/big.safetensors: the file is 1.0 GiB, more than the 1.0 GiB rnnlab accepts/);
  });
});
