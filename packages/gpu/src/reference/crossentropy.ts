/**
 * Float64 reference of the fused cross-entropy kernels (`kernels/crossentropy*.wgsl`). Logits (N, V), targets
 * (N) and optional non-negative weights (N). A target outside [0, V) marks an ignored row: it contributes
 * 0 to the loss and to Σw and gets a zero gradient (so -1 works as padding, like PyTorch's ignore_index).
 */

function valid(t: number, V: number): boolean {
  return Number.isInteger(t) && t >= 0 && t < V;
}

/** Per-row −log softmax(logits_n)[target_n] (0 for ignored rows), computed with the row max subtracted. */
export function crossEntropyPerToken(logits: ArrayLike<number>, targets: ArrayLike<number>, N: number, V: number): Float64Array {
  const out = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const t = targets[n]!;
    if (!valid(t, V)) continue;
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, logits[n * V + j]!);
    let sum = 0;
    for (let j = 0; j < V; j++) sum += Math.exp(logits[n * V + j]! - max);
    out[n] = max - logits[n * V + t]! + Math.log(sum);
  }
  return out;
}

/** Σₙ wₙ·lossₙ / Σₙ wₙ over non-ignored rows (weights default to 1); 0 when Σw = 0. */
export function crossEntropyForward(logits: ArrayLike<number>, targets: ArrayLike<number>, weights: ArrayLike<number> | null, N: number, V: number): number {
  const perToken = crossEntropyPerToken(logits, targets, N, V);
  let num = 0;
  let den = 0;
  for (let n = 0; n < N; n++) {
    if (!valid(targets[n]!, V)) continue;
    const w = weights ? weights[n]! : 1;
    num += w * perToken[n]!;
    den += w;
  }
  return den === 0 ? 0 : num / den;
}

/** d loss / d logits (N, V) = (softmax(logits_n) − onehot(target_n)) · wₙ / Σw · dLoss. */
export function crossEntropyBackward(
  logits: ArrayLike<number>,
  targets: ArrayLike<number>,
  weights: ArrayLike<number> | null,
  N: number,
  V: number,
  dLoss = 1,
): Float64Array {
  const d = new Float64Array(N * V);
  let den = 0;
  for (let n = 0; n < N; n++) if (valid(targets[n]!, V)) den += weights ? weights[n]! : 1;
  if (den === 0) return d;
  for (let n = 0; n < N; n++) {
    const t = targets[n]!;
    if (!valid(t, V)) continue;
    const scale = ((weights ? weights[n]! : 1) / den) * dLoss;
    let max = -Infinity;
    for (let j = 0; j < V; j++) max = Math.max(max, logits[n * V + j]!);
    let sum = 0;
    for (let j = 0; j < V; j++) sum += Math.exp(logits[n * V + j]! - max);
    for (let j = 0; j < V; j++) d[n * V + j] = (Math.exp(logits[n * V + j]! - max) / sum - (j === t ? 1 : 0)) * scale;
  }
  return d;
}
