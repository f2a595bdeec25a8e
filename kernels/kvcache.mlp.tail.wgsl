// kvcache.mlp.tail: the statements that end the main of kvcache.mlp.wgsl and kvcache.rows.wgsl (both
// include this file): for the workgroup's R rows, ln_2 statistics, f = gelu(ln_2(x)·Wfc + b) and
// x += f·Wfc2 + b, with the same sums in the same order in both kernels. Barriers stay in the entry point
// this text lands in (on llvmpipe a barrier inside a helper function does not synchronise).
// In scope there: p, x, vecs, wfc, wfc2, part, stat, R, WG, CPI, SQRT_2_OVER_PI, lid, C4, F4, K, row0,
// b (the rows, clamped), fLoad(row, n4) / fStore(row, n4, v) for the hidden activations f, weightTexels
// and accumulate (kvcache.rowsmac), and addResidual (kvcache.residual); it declares mean and rstd
// (kvcache.rowstats).
  // ln_2 statistics of the updated rows.
  // #include kvcache.rowstats

  // f = gelu(ln_2(x)·Wfc + b): stored first, GELU applied in a second pass (see kvcache.linear.wgsl).
  for (var n0 = lid * CPI; n0 < F4; n0 += WG * CPI) {
    var acc: array<vec4f, R * CPI>;
    for (var i = 0u; i < R * CPI; i++) { acc[i] = vec4f(0.0); }
    for (var k4 = 0u; k4 < C4; k4++) {
      let wv = weightTexels(wfc, n0, F4, 4u * k4);
      let g = vecs[6u * C4 + k4];
      let sh = vecs[7u * C4 + k4];
      for (var r = 0u; r < R; r++) {
        let xv = (x[b[r] * C4 + k4] - mean[r]) * rstd[r] * g + sh;
        accumulate(&acc, r, xv, wv);
      }
    }
    for (var c = 0u; c < CPI; c++) {
      let n4 = n0 + c;
      let b4 = vecs[8u * C4 + min(n4, F4 - 1u)];
      for (var r = 0u; r < R; r++) {
        if (n4 < F4 && row0 + r < p.rows) { fStore(row0 + r, n4, acc[r * CPI + c] + b4); }
      }
    }
    for (var c = 0u; c < CPI; c++) {
      let n4 = n0 + c;
      for (var r = 0u; r < R; r++) {
        if (n4 < F4 && row0 + r < p.rows) {
          let v = fLoad(row0 + r, n4);
          let u = SQRT_2_OVER_PI * (v + 0.044715 * v * v * v);
          fStore(row0 + r, n4, v / (1.0 + exp(clamp(-2.0 * u, vec4f(-80.0), vec4f(80.0)))));
        }
      }
    }
  }
  storageBarrier();
  workgroupBarrier();

  // x += f·Wfc2 + b
  for (var n0 = lid * CPI; n0 < C4; n0 += WG * CPI) {
    var acc: array<vec4f, R * CPI>;
    for (var i = 0u; i < R * CPI; i++) { acc[i] = vec4f(0.0); }
    for (var k4 = 0u; k4 < F4; k4++) {
      let wv = weightTexels(wfc2, n0, C4, 4u * k4);
      for (var r = 0u; r < R; r++) {
        let xv = fLoad(b[r], k4);
        accumulate(&acc, r, xv, wv);
      }
    }
    addResidual(acc, n0, row0, 12u * C4);
  }
