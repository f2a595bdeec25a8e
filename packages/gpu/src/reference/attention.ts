/**
 * Float64 reference of fused causal self-attention: the naive algorithm, materialising each head's
 * (T, T) scores and softmax, and its analytic backward. Layouts match the kernels: qkv (B, T, 3C) with
 * q, k, v in thirds and head h at channels h·HS .. (h+1)·HS of each; y (B, T, C); lse (B, NH, T).
 */

export interface AttentionRefForward {
  /** (B, T, C) */
  y: Float64Array;
  /** (B, NH, T): logsumexp of each query row's scaled, causal scores. */
  lse: Float64Array;
}

/** Softmax rows (T, T) of one head, causal (row t uses keys 0..t), and their logsumexp. */
function headProbs(qkv: ArrayLike<number>, b: number, h: number, T: number, C: number, HS: number) {
  const C3 = 3 * C;
  const scale = 1 / Math.sqrt(HS);
  const P = new Float64Array(T * T);
  const lse = new Float64Array(T);
  for (let t = 0; t < T; t++) {
    const qi = (b * T + t) * C3 + h * HS;
    let max = -Infinity;
    for (let j = 0; j <= t; j++) {
      const kj = (b * T + j) * C3 + C + h * HS;
      let s = 0;
      for (let d = 0; d < HS; d++) s += qkv[qi + d]! * qkv[kj + d]!;
      P[t * T + j] = s * scale;
      max = Math.max(max, s * scale);
    }
    let sum = 0;
    for (let j = 0; j <= t; j++) sum += Math.exp(P[t * T + j]! - max);
    for (let j = 0; j <= t; j++) P[t * T + j] = Math.exp(P[t * T + j]! - max) / sum;
    lse[t] = max + Math.log(sum);
  }
  return { P, lse };
}

/** y = softmax(q kᵀ / sqrt(HS), causal) v per head, from qkv (B, T, 3C). */
export function attentionForwardRef(qkv: ArrayLike<number>, B: number, T: number, C: number, NH: number): AttentionRefForward {
  const HS = C / NH;
  const y = new Float64Array(B * T * C);
  const lse = new Float64Array(B * NH * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const head = headProbs(qkv, b, h, T, C, HS);
      lse.set(head.lse, (b * NH + h) * T);
      for (let t = 0; t < T; t++) {
        const yi = (b * T + t) * C + h * HS;
        for (let j = 0; j <= t; j++) {
          const pij = head.P[t * T + j]!;
          const vj = (b * T + j) * 3 * C + 2 * C + h * HS;
          for (let d = 0; d < HS; d++) y[yi + d] += pij * qkv[vj + d]!;
        }
      }
    }
  }
  return { y, lse };
}

/** dqkv (B, T, 3C) from dy (B, T, C), through the softmax of the forward (recomputed). */
export function attentionBackwardRef(dy: ArrayLike<number>, qkv: ArrayLike<number>, B: number, T: number, C: number, NH: number): Float64Array {
  const HS = C / NH;
  const C3 = 3 * C;
  const scale = 1 / Math.sqrt(HS);
  const dqkv = new Float64Array(B * T * C3);
  const dS = new Float64Array(T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < NH; h++) {
      const { P } = headProbs(qkv, b, h, T, C, HS);
      for (let t = 0; t < T; t++) {
        const gi = (b * T + t) * C + h * HS;
        const qi = (b * T + t) * C3 + h * HS;
        // y_t = Σ_j P_tj v_j: dv_j += P_tj dy_t and dP_tj = dy_t · v_j.
        let rowDot = 0;
        for (let j = 0; j <= t; j++) {
          const vj = (b * T + j) * C3 + 2 * C + h * HS;
          let dP = 0;
          for (let d = 0; d < HS; d++) {
            dP += dy[gi + d]! * qkv[vj + d]!;
            dqkv[vj + d] += P[t * T + j]! * dy[gi + d]!;
          }
          dS[j] = dP;
          rowDot += P[t * T + j]! * dP;
        }
        // P_t = softmax(S_t): dS_tj = P_tj (dP_tj - Σ_k P_tk dP_tk); S_tj = scale · q_t · k_j.
        for (let j = 0; j <= t; j++) {
          const g = P[t * T + j]! * (dS[j]! - rowDot) * scale;
          const kj = (b * T + j) * C3 + C + h * HS;
          for (let d = 0; d < HS; d++) {
            dqkv[qi + d] += g * qkv[kj + d]!;
            dqkv[kj + d] += g * qkv[qi + d]!;
          }
        }
      }
    }
  }
  return dqkv;
}
