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
    expect(() => decodeSafetensors(bytes.subarray(0, bytes.length - 4), 'w.safetensors')).toThrow(/w.safetensors: .*offsets/);
    const bad = bytes.slice();
    bad[8] = 0x78; // 'x' where the JSON's '{' was
    expect(() => decodeSafetensors(bad, 'w.safetensors')).toThrow(/not valid JSON/);
  });
});
