/**
 * Float64 reference of LayerNorm over the last dim (`kernels/layernorm*.wgsl`): x (N, C), w and b (C),
 * out = (x − mean) · rstd · w + b with rstd = 1 / √(var + eps), var the biased row variance.
 */

export function layerNormForward(x: ArrayLike<number>, w: ArrayLike<number>, b: ArrayLike<number>, N: number, C: number, eps = 1e-5): { out: Float64Array; mean: Float64Array; rstd: Float64Array } {
  const out = new Float64Array(N * C);
  const mean = new Float64Array(N);
  const rstd = new Float64Array(N);
  for (let n = 0; n < N; n++) {
    let m = 0;
    for (let c = 0; c < C; c++) m += x[n * C + c]!;
    m /= C;
    let v = 0;
    for (let c = 0; c < C; c++) v += (x[n * C + c]! - m) ** 2;
    const rs = 1 / Math.sqrt(v / C + eps);
    for (let c = 0; c < C; c++) out[n * C + c] = (x[n * C + c]! - m) * rs * w[c]! + b[c]!;
    mean[n] = m;
    rstd[n] = rs;
  }
  return { out, mean, rstd };
}

/**
 * With xhat = (x − mean) · rstd and dn = dout · w:
 * dx = rstd · (dn − mean_c(dn) − xhat · mean_c(dn · xhat)), dw = Σ_n dout · xhat, db = Σ_n dout.
 */
export function layerNormBackward(dout: ArrayLike<number>, x: ArrayLike<number>, w: ArrayLike<number>, mean: ArrayLike<number>, rstd: ArrayLike<number>, N: number, C: number): { dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const dx = new Float64Array(N * C);
  const dw = new Float64Array(C);
  const db = new Float64Array(C);
  for (let n = 0; n < N; n++) {
    const m = mean[n]!;
    const rs = rstd[n]!;
    let sdn = 0;
    let sdnx = 0;
    for (let c = 0; c < C; c++) {
      const dn = dout[n * C + c]! * w[c]!;
      sdn += dn;
      sdnx += dn * (x[n * C + c]! - m) * rs;
    }
    for (let c = 0; c < C; c++) {
      const dy = dout[n * C + c]!;
      const xhat = (x[n * C + c]! - m) * rs;
      dx[n * C + c] = rs * (dy * w[c]! - sdn / C - xhat * (sdnx / C));
      dw[c] += dy * xhat;
      db[c] += dy;
    }
  }
  return { dx, dw, db };
}
