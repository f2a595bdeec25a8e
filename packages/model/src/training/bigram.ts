/**
 * The bigram baseline: P(next | current) from counts on the training tokens with add-α smoothing,
 * scored as mean cross-entropy (nats per token) on the validation tokens. A language model that cannot
 * beat it has learned nothing beyond adjacent-token statistics.
 */
export function bigramLoss(train: ArrayLike<number>, val: ArrayLike<number>, V: number, alpha = 0.1): number {
  const counts = new Float64Array(V * V);
  const rows = new Float64Array(V);
  for (let i = 0; i + 1 < train.length; i++) {
    counts[train[i]! * V + train[i + 1]!]++;
    rows[train[i]!]++;
  }
  let nll = 0;
  let n = 0;
  for (let i = 0; i + 1 < val.length; i++) {
    const a = val[i]!;
    const p = (counts[a * V + val[i + 1]!]! + alpha) / (rows[a]! + alpha * V);
    nll -= Math.log(p);
    n++;
  }
  return n > 0 ? nll / n : NaN;
}
