/**
 * Float64 reference of the fused log-probability kernels (`kernels/logprob*.wgsl`): logits (N, V),
 * targets (N). A target outside [0, V) marks an ignored row: logp 0 and a zero gradient.
 */

function valid(t: number, V: number): boolean {
  return Number.isInteger(t) && t >= 0 && t < V;
}

/** Row max and log Σ exp(x − max) of row n. */
function rowStats(logits: ArrayLike<number>, n: number, V: number): [number, number] {
  let max = -Infinity;
  for (let j = 0; j < V; j++) max = Math.max(max, logits[n * V + j]!);
  let sum = 0;
  for (let j = 0; j < V; j++) sum += Math.exp(logits[n * V + j]! - max);
  return [max, Math.log(sum)];
}

/** Per row: logp = log softmax(logits_n)[target_n] (0 if ignored) and entropy = −Σ p log p. */
export function logprobForward(logits: ArrayLike<number>, targets: ArrayLike<number>, N: number, V: number): { logp: Float64Array; entropy: Float64Array } {
  const logp = new Float64Array(N);
  const entropy = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    const [max, logS] = rowStats(logits, n, V);
    let h = 0;
    for (let j = 0; j < V; j++) {
      const lp = logits[n * V + j]! - max - logS;
      h -= Math.exp(lp) * lp;
    }
    entropy[n] = h;
    const t = targets[n]!;
    if (valid(t, V)) logp[n] = logits[n * V + t]! - max - logS;
  }
  return { logp, entropy };
}

/** d logits (N, V) = dLogp_n · (onehot(target_n) − softmax(logits_n)), zero for ignored rows. */
export function logprobBackward(logits: ArrayLike<number>, targets: ArrayLike<number>, dLogp: ArrayLike<number>, N: number, V: number): Float64Array {
  const d = new Float64Array(N * V);
  for (let n = 0; n < N; n++) {
    const t = targets[n]!;
    if (!valid(t, V)) continue;
    const [max, logS] = rowStats(logits, n, V);
    for (let j = 0; j < V; j++) d[n * V + j] = dLogp[n]! * ((j === t ? 1 : 0) - Math.exp(logits[n * V + j]! - max - logS));
  }
  return d;
}
