/**
 * Float64 references of the RL kernels (`kernels/rl.*.wgsl`), written plainly from the formulas: the
 * ground truth the kernel tests compare against, themselves checked by finite differences.
 */

const softplus = (y: number): number => Math.max(y, 0) + Math.log1p(Math.exp(-Math.abs(y)));
const sigmoid = (y: number): number => 1 / (1 + Math.exp(-y));

/** out[b] = Σ_t mask[b, t]·x[b, t] over (B, T). */
export function rowSum(x: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number): Float64Array {
  const out = new Float64Array(B);
  for (let i = 0; i < B * T; i++) if (mask[i] !== 0) out[Math.floor(i / T)]! += mask[i]! * x[i]!;
  return out;
}

/** Mean softplus(−z_b), z_b = scale·(s[b] − s[B + b]) − offset[b]; d/ds (2B); accuracy and mean margin. */
export function pairwise(s: ArrayLike<number>, offset: ArrayLike<number>, scale: number): { loss: number; grad: Float64Array; accuracy: number; margin: number } {
  const B = offset.length;
  const grad = new Float64Array(2 * B);
  let loss = 0;
  let accuracy = 0;
  let margin = 0;
  for (let b = 0; b < B; b++) {
    const m = scale * (s[b]! - s[B + b]!);
    const z = m - offset[b]!;
    loss += softplus(-z) / B;
    accuracy += (m > 0 ? 1 : 0) / B;
    margin += m / B;
    grad[b] = (-sigmoid(-z) * scale) / B;
    grad[B + b] = -grad[b]!;
  }
  return { loss, grad, accuracy, margin };
}

/** Clipped surrogate + klCoef·k3 as a masked mean; d/d logp; clip fraction and mean k3. */
export function policyLoss(
  logp: ArrayLike<number>,
  oldLogp: ArrayLike<number>,
  adv: ArrayLike<number>,
  refLogp: ArrayLike<number>,
  mask: ArrayLike<number>,
  eps: number,
  klCoef: number,
): { loss: number; grad: Float64Array; clipFraction: number; kl: number } {
  const N = logp.length;
  const sw = Array.from(mask).reduce((a, w) => a + w, 0);
  const inv = sw > 0 ? 1 / sw : 0;
  const grad = new Float64Array(N);
  let loss = 0;
  let clipFraction = 0;
  let kl = 0;
  for (let n = 0; n < N; n++) {
    const w = mask[n]!;
    if (w === 0) continue;
    const r = Math.exp(logp[n]! - oldLogp[n]!);
    const a = adv[n]!;
    const unclipped = r * a;
    const clipped = Math.min(Math.max(r, 1 - eps), 1 + eps) * a;
    const d = refLogp[n]! - logp[n]!;
    const k3 = Math.exp(d) - d - 1;
    loss += w * inv * (klCoef * k3 - Math.min(unclipped, clipped));
    clipFraction += Math.abs(r - 1) > eps ? w * inv : 0;
    kl += w * inv * k3;
    grad[n] = w * inv * (klCoef * (1 - Math.exp(d)) - (unclipped <= clipped ? r * a : 0));
  }
  return { loss, grad, clipFraction, kl };
}

/** ½ masked mean of max((v − R)², (vc − R)²), vc = oldV + clamp(v − oldV, ±eps); d/dv; clip fraction. */
export function valueLoss(
  v: ArrayLike<number>,
  oldV: ArrayLike<number>,
  returns: ArrayLike<number>,
  mask: ArrayLike<number>,
  eps: number,
): { loss: number; grad: Float64Array; clipFraction: number } {
  const N = v.length;
  const sw = Array.from(mask).reduce((a, w) => a + w, 0);
  const inv = sw > 0 ? 1 / sw : 0;
  const grad = new Float64Array(N);
  let loss = 0;
  let clipFraction = 0;
  for (let n = 0; n < N; n++) {
    const w = mask[n]!;
    if (w === 0) continue;
    const delta = v[n]! - oldV[n]!;
    const vc = oldV[n]! + Math.min(Math.max(delta, -eps), eps);
    const e1 = v[n]! - returns[n]!;
    const e2 = vc - returns[n]!;
    loss += w * inv * 0.5 * Math.max(e1 * e1, e2 * e2);
    clipFraction += Math.abs(delta) > eps ? w * inv : 0;
    grad[n] = w * inv * (e1 * e1 >= e2 * e2 ? e1 : Math.abs(delta) < eps ? e2 : 0);
  }
  return { loss, grad, clipFraction };
}
