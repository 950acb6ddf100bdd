/**
 * Embedding lookup reference. table [V][D], ids [N] (each < V) -> out [N][D] with out[n] = table[ids[n]].
 * Backward: dTable [V][D] = scatter-add of dOut [N][D] rows into rows ids[n] (repeated ids accumulate).
 */

function checkId(id: number, V: number): void {
  if (id >= V) throw new Error(`embedding: id ${id} out of range [0, ${V})`);
}

export function embeddingForward(table: Float64Array, ids: Uint32Array, V: number, D: number): Float64Array {
  const out = new Float64Array(ids.length * D);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    checkId(id, V);
    for (let d = 0; d < D; d++) out[n * D + d] = table[id * D + d]!;
  }
  return out;
}

export function embeddingBackward(dOut: Float64Array, ids: Uint32Array, V: number, D: number): Float64Array {
  const dTable = new Float64Array(V * D);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    checkId(id, V);
    for (let d = 0; d < D; d++) dTable[id * D + d] += dOut[n * D + d]!;
  }
  return dTable;
}
