// kvcache.residual: the store that ends the residual matrix products of kvcache.rows and kvcache.mlp (attn
// c_proj, and mlp c_proj in kvcache.mlp.tail): x += acc + bias for the workgroup's real rows and the
// invocation's columns n0 .. n0 + CPI − 1 below C4, the bias at vecs[b0 + n4]. Module-scope text for a
// kernel to include; it uses the kernel's p (rows, C4), x, vecs, R and CPI, and holds no barrier.
fn addResidual(acc: array<vec4f, R * CPI>, n0: u32, row0: u32, b0: u32) {
  for (var c = 0u; c < CPI; c++) {
    let n4 = n0 + c;
    let b4 = vecs[b0 + min(n4, p.C4 - 1u)];
    for (var r = 0u; r < R; r++) {
      if (n4 < p.C4 && row0 + r < p.rows) { let o = (row0 + r) * p.C4 + n4; x[o] = x[o] + (acc[r * CPI + c] + b4); }
    }
  }
}
