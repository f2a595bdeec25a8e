/**
 * Float64 references of the reductions (`kernels/sum*.wgsl`): the sum and mean of all elements, their
 * gradients, and column sums over leading dims (x viewed as (rows, S)).
 */

export function sumForward(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

/** d(Σ x)/dx = dout everywhere, n elements. */
export function sumBackward(dout: number, n: number): Float64Array {
  return new Float64Array(n).fill(dout);
}

export function meanForward(x: ArrayLike<number>): number {
  return x.length === 0 ? 0 : sumForward(x) / x.length;
}

/** d(Σ x / n)/dx = dout / n everywhere. */
export function meanBackward(dout: number, n: number): Float64Array {
  return new Float64Array(n).fill(dout / Math.max(1, n));
}

/** out[s] = Σ_r x[r·S + s] (· y[r·S + s] when y is given), for x viewed as (rows, S). Returns (S). */
export function sumRows(x: ArrayLike<number>, S: number, y?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(S);
  for (let i = 0; i < x.length; i++) out[i % S] += x[i]! * (y ? y[i]! : 1);
  return out;
}
