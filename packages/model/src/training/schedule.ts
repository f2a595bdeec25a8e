/** Learning rate: linear warmup from 0 to `lr`, then cosine decay to `minLr` at `total` steps. */
export interface Schedule {
  lr: number;
  minLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/** The rate for 1-based `step`. */
export function learningRate(step: number, s: Schedule): number {
  if (step <= s.warmupSteps) return (s.lr * step) / Math.max(1, s.warmupSteps);
  const progress = Math.min(1, (step - s.warmupSteps) / Math.max(1, s.totalSteps - s.warmupSteps));
  return s.minLr + 0.5 * (s.lr - s.minLr) * (1 + Math.cos(Math.PI * progress));
}
