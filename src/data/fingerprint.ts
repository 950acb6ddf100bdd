import { DataError } from './errors.ts';

/**
 * A short fingerprint of a token stream (or text), kept in training checkpoints so that a run goes on only with
 * the data it was trained on. Not cryptographic: two independent 32-bit hashes (FNV-1a and a murmur3-style
 * mix) over the values, with the length, enough to tell one data set from another by accident or mistake.
 * Written "n:hhhhhhhhhhhhhhhh" (count, then 16 hex digits).
 */
export function fingerprintIds(ids: ArrayLike<number>): string {
  let fnv = 0x811c9dc5;
  let mix = 0x9747b28c;
  for (let i = 0; i < ids.length; i++) {
    const v = ids[i]! >>> 0;
    for (let s = 0; s < 32; s += 8) fnv = Math.imul(fnv ^ ((v >>> s) & 0xff), 0x01000193);
    let k = Math.imul(v, 0xcc9e2d51);
    k = Math.imul((k << 15) | (k >>> 17), 0x1b873593);
    mix ^= k;
    mix = Math.imul((mix << 13) | (mix >>> 19), 5) + 0xe6546b64;
  }
  mix ^= ids.length;
  mix = Math.imul(mix ^ (mix >>> 16), 0x85ebca6b);
  mix = Math.imul(mix ^ (mix >>> 13), 0xc2b2ae35);
  mix ^= mix >>> 16;
  const hex = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
  return `${ids.length}:${hex(fnv)}${hex(mix)}`;
}

/** The fingerprints of named splits, in a fixed order: "train=n:h valid=n:h test=n:h". */
export function fingerprintSplits<K extends string>(splits: { readonly [k in K]: ArrayLike<number> }, order: readonly K[]): string {
  return order.map((s) => `${s}=${fingerprintIds(splits[s]!)}`).join(' ');
}

/**
 * The data fingerprint kept in a checkpoint's metadata (`data`): fingerprintIds' form, or several of them as
 * fingerprintSplits writes them. Checkpoints without one (older ones) are refused: they cannot be checked.
 */
export function readFingerprint(meta: Record<string, string>, name: string): string {
  const fp = meta.data;
  if (fp === undefined) throw new DataError(name, 'has no fingerprint of its data (made by an older rnnlab); delete it to start the run anew');
  if (!/^([a-z]+=)?[0-9]+:[0-9a-f]{16}( [a-z]+=[0-9]+:[0-9a-f]{16})*$/.test(fp)) {
    throw new DataError(name, `its data fingerprint ${JSON.stringify(fp)} is damaged; delete it to start the run anew`);
  }
  return fp;
}
