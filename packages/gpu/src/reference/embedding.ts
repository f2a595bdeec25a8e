/**
 * Float64 reference of the embedding kernels (`kernels/embedding*.wgsl`): a row gather from a (V, C) table
 * and its scatter-add backward. An id outside [0, V) reads a zero row and sends no gradient.
 */

/** out (N, C) = table[ids[n], :] for each of the N ids. */
export function embeddingForward(table: ArrayLike<number>, ids: ArrayLike<number>, V: number, C: number): Float64Array {
  const out = new Float64Array(ids.length * C);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    if (id < 0 || id >= V) continue;
    for (let c = 0; c < C; c++) out[n * C + c] = table[id * C + c]!;
  }
  return out;
}

/** dTable (V, C): row v = Σ over positions n with ids[n] = v of dOut[n, :], summed in ascending n. */
export function embeddingBackward(dOut: ArrayLike<number>, ids: ArrayLike<number>, V: number, C: number): Float64Array {
  const d = new Float64Array(V * C);
  for (let n = 0; n < ids.length; n++) {
    const id = ids[n]!;
    if (id < 0 || id >= V) continue;
    for (let c = 0; c < C; c++) d[id * C + c] += dOut[n * C + c]!;
  }
  return d;
}
