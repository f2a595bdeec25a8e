/**
 * Float64 reference of softmax over the last dim (`kernels/softmax*.wgsl`): x viewed as (rows, C).
 */

/** y[r, c] = exp(x[r, c] − max_r) / Σ_c exp(x[r, c] − max_r). */
export function softmaxForward(x: ArrayLike<number>, rows: number, C: number): Float64Array {
  const y = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    let max = -Infinity;
    for (let c = 0; c < C; c++) max = Math.max(max, x[r * C + c]!);
    let sum = 0;
    for (let c = 0; c < C; c++) sum += y[r * C + c] = Math.exp(x[r * C + c]! - max);
    for (let c = 0; c < C; c++) y[r * C + c] /= sum;
  }
  return y;
}

/** dx = y ∘ (dy − Σ_c dy ∘ y), row by row, from the forward output y. */
export function softmaxBackward(dy: ArrayLike<number>, y: ArrayLike<number>, rows: number, C: number): Float64Array {
  const dx = new Float64Array(rows * C);
  for (let r = 0; r < rows; r++) {
    let dot = 0;
    for (let c = 0; c < C; c++) dot += dy[r * C + c]! * y[r * C + c]!;
    for (let c = 0; c < C; c++) dx[r * C + c] = y[r * C + c]! * (dy[r * C + c]! - dot);
  }
  return dx;
}
