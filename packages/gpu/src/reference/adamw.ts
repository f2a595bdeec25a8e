/**
 * Float64 references of the optimizer kernels: one AdamW update (`kernels/adamw.wgsl`) and the global
 * gradient norm with its clip scale (`kernels/gradnorm*.wgsl`).
 */

export interface AdamWReferenceStep {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  /** Decoupled weight decay for this tensor (0 for tensors excluded from decay). */
  weightDecay: number;
  /** 1-based step count, for bias correction. */
  step: number;
  /** Multiplies the gradient first (the clip scale); 1 for none. */
  gradScale: number;
}

/** Updates p, m and v in place, as PyTorch's AdamW does. */
export function adamwStep(p: Float64Array, g: ArrayLike<number>, m: Float64Array, v: Float64Array, s: AdamWReferenceStep): void {
  const bc1 = 1 - s.beta1 ** s.step;
  const bc2 = 1 - s.beta2 ** s.step;
  for (let i = 0; i < p.length; i++) {
    const gi = g[i]! * s.gradScale;
    m[i] = s.beta1 * m[i]! + (1 - s.beta1) * gi;
    v[i] = s.beta2 * v[i]! + (1 - s.beta2) * gi * gi;
    const decayed = p[i]! - s.lr * s.weightDecay * p[i]!;
    p[i] = decayed - (s.lr * (m[i]! / bc1)) / (Math.sqrt(v[i]! / bc2) + s.eps);
  }
}

/** The L2 norm over all gradients together, and the clip scale min(1, maxNorm / (norm + 1e-6)). */
export function gradNorm(grads: readonly ArrayLike<number>[], maxNorm: number): { norm: number; scale: number } {
  let sq = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sq += g[i]! * g[i]!;
  const norm = Math.sqrt(sq);
  return { norm, scale: Math.min(1, maxNorm / (norm + 1e-6)) };
}
