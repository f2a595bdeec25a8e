/**
 * Float64 references of the engine's kernels, for tests: the KV-cache write, single-query decode
 * attention, the decode linear with its fused LayerNorm and epilogues, and the sampler's distribution
 * (penalties, temperature, top-k, top-p) with its counter-based random draw. Plain arrays in, plain
 * arrays out; caches are (slots, Tmax, C) row-major, qkv rows (…, 3C) as c_attn writes them.
 */

/** kc/vc[slot_b, t, :] = k/v of qkv (B, T, 3C) for t < len_b, in place. */
export function kvCacheWriteRef(qkv: ArrayLike<number>, B: number, T: number, C: number, slots: readonly number[], lens: readonly number[], kc: Float64Array, vc: Float64Array, Tmax: number): void {
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < lens[b]!; t++) {
      for (let c = 0; c < C; c++) {
        const src = (b * T + t) * 3 * C + c;
        kc[(slots[b]! * Tmax + t) * C + c] = qkv[src + C]!;
        vc[(slots[b]! * Tmax + t) * C + c] = qkv[src + 2 * C]!;
      }
    }
  }
}

/**
 * Decode attention for qkv (rows, 3C): writes each row's k, v at (slot_b, pos_b) in place, then returns
 * y (rows, C) = Σ_{t ≤ pos_b} softmax_t(q·k_t/√HS) v_t per head.
 */
export function attentionDecodeRef(qkv: ArrayLike<number>, rows: number, C: number, NH: number, slots: readonly number[], pos: readonly number[], kc: Float64Array, vc: Float64Array, Tmax: number): Float64Array {
  const HS = C / NH;
  const y = new Float64Array(rows * C);
  for (let b = 0; b < rows; b++) {
    const base = slots[b]! * Tmax * C;
    for (let c = 0; c < C; c++) {
      kc[base + pos[b]! * C + c] = qkv[b * 3 * C + C + c]!;
      vc[base + pos[b]! * C + c] = qkv[b * 3 * C + 2 * C + c]!;
    }
    for (let h = 0; h < NH; h++) {
      const s = Array.from({ length: pos[b]! + 1 }, (_, t) => {
        let d = 0;
        for (let i = 0; i < HS; i++) d += qkv[b * 3 * C + h * HS + i]! * kc[base + t * C + h * HS + i]!;
        return d / Math.sqrt(HS);
      });
      const m = Math.max(...s);
      const e = s.map((v) => Math.exp(v - m));
      const z = e.reduce((a, v) => a + v, 0);
      for (let i = 0; i < HS; i++) y[b * C + h * HS + i] = e.reduce((a, w, t) => a + w * vc[base + t * C + h * HS + i]!, 0) / z;
    }
  }
  return y;
}

export interface SampleSettings {
  temperature: number;
  topK: number;
  topP: number;
  presencePenalty: number;
  frequencyPenalty: number;
}

/** log softmax(logits)[token]. */
export function logprobRef(logits: ArrayLike<number>, token: number): number {
  const m = Math.max(...Array.from(logits));
  const z = Array.from(logits).reduce((a, v) => a + Math.exp(v - m), 0);
  return logits[token]! - m - Math.log(z);
}

/** The distribution the sampler draws from: (V) probabilities, 0 outside the allowed set; one-hot when greedy. */
export function sampleDistributionRef(logits: ArrayLike<number>, counts: ArrayLike<number>, s: SampleSettings): Float64Array {
  const V = logits.length;
  const z = Array.from({ length: V }, (_, j) => logits[j]! - s.frequencyPenalty * counts[j]! - (counts[j]! > 0 ? s.presencePenalty : 0));
  const out = new Float64Array(V);
  const zMax = Math.max(...z);
  if (s.temperature === 0) {
    out[z.indexOf(zMax)] = 1;
    return out;
  }
  const sorted = [...z].sort((a, b) => b - a);
  let th = s.topK > 0 && s.topK < V ? sorted[s.topK - 1]! : -Infinity;
  const w = z.map((v) => (v >= th ? Math.exp((v - zMax) / s.temperature) : 0));
  const total = w.reduce((a, v) => a + v, 0);
  if (s.topP < 1) {
    // The largest threshold among the values whose kept mass still reaches topP.
    let mass = 0;
    for (const v of sorted.filter((v) => v >= th)) {
      mass = z.reduce((a, zj, j) => a + (zj >= v ? w[j]! : 0), 0);
      if (mass >= s.topP * total) {
        th = v;
        break;
      }
    }
  }
  z.forEach((v, j) => (out[j] = v >= th ? w[j]! : 0));
  const kept = out.reduce((a, v) => a + v, 0);
  return out.map((v) => v / kept);
}

function pcg(v: number): number {
  const s = (Math.imul(v >>> 0, 747796405) + 2891336453) >>> 0;
  const w = Math.imul(((s >>> ((s >>> 28) + 4)) ^ s) >>> 0, 277803737) >>> 0;
  return ((w >>> 22) ^ w) >>> 0;
}

/** The sampler's uniform draw in [0, 1) for a sequence's seed and step (24 bits of a PCG hash). */
export function uniformRef(seed: number, step: number): number {
  return (pcg((seed ^ pcg(step)) >>> 0) >>> 8) / 16777216;
}

/** epilogue(ln?(x) · w + bias) for x (rows, K), w (K, N); "residual" returns residual + (…). */
export function decodeLinearRef(x: ArrayLike<number>, rows: number, K: number, N: number, w: ArrayLike<number>, bias: ArrayLike<number>, ln: [ArrayLike<number>, ArrayLike<number>] | null, epilogue: "none" | "gelu" | "residual", residual?: ArrayLike<number>): Float64Array {
  const out = new Float64Array(rows * N);
  for (let r = 0; r < rows; r++) {
    let xr = Array.from({ length: K }, (_, k) => x[r * K + k]!);
    if (ln) {
      const m = xr.reduce((a, v) => a + v, 0) / K;
      const rstd = 1 / Math.sqrt(xr.reduce((a, v) => a + (v - m) ** 2, 0) / K + 1e-5);
      xr = xr.map((v, k) => (v - m) * rstd * ln[0][k]! + ln[1][k]!);
    }
    for (let n = 0; n < N; n++) {
      let y = bias[n]!;
      for (let k = 0; k < K; k++) y += xr[k]! * w[k * N + n]!;
      if (epilogue === "gelu") y = 0.5 * y * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (y + 0.044715 * y ** 3)));
      if (epilogue === "residual") y += residual![r * N + n]!;
      out[r * N + n] = y;
    }
  }
  return out;
}

/** The n most likely tokens of a logits row as [token, log softmax], largest logit first, lower index on ties. */
export function topLogprobsRef(logits: ArrayLike<number>, n: number): [number, number][] {
  const order = Array.from({ length: logits.length }, (_, j) => j).sort((a, b) => logits[b]! - logits[a]! || a - b);
  return order.slice(0, n).map((j) => [j, logprobRef(logits, j)]);
}
