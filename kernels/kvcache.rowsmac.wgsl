// kvcache.rowsmac: the two steps of the decode kernels' row-blocked matrix products (kvcache.linear,
// kvcache.rows, kvcache.mlp and its tail), where an invocation owns CPI vec4 output columns n0 .. n0 + CPI − 1
// for the workgroup's R rows and, per 4 steps of K, loads 4·CPI weight texels once for all R rows.
// Module-scope text for a kernel to include; it uses the kernel's R and CPI. The functions hold no
// barriers (llvmpipe does not synchronise a barrier inside a helper function).

// The texels (col, k .. k + 3) of each of the invocation's columns, from a weight packed as kvcache.pack.wgsl
// does: weight rows k .. k + 3, 4 columns each. Columns past N4 repeat the last, so loads stay in bounds
// (their sums are not stored).
fn weightTexels(w: texture_storage_2d<rgba32float, read>, n0: u32, N4: u32, k: u32) -> array<vec4f, 4u * CPI> {
  var wv: array<vec4f, 4u * CPI>;
  for (var c = 0u; c < CPI; c++) {
    let col = min(n0 + c, N4 - 1u);
    wv[4u * c] = textureLoad(w, vec2u(col, k));
    wv[4u * c + 1u] = textureLoad(w, vec2u(col, k + 1u));
    wv[4u * c + 2u] = textureLoad(w, vec2u(col, k + 2u));
    wv[4u * c + 3u] = textureLoad(w, vec2u(col, k + 3u));
  }
  return wv;
}

// Row r's accumulators += its input vec4 xv (elements k .. k + 3) times the texels weightTexels loaded.
fn accumulate(acc: ptr<function, array<vec4f, R * CPI>>, r: u32, xv: vec4f, wv: array<vec4f, 4u * CPI>) {
  for (var c = 0u; c < CPI; c++) {
    (*acc)[r * CPI + c] += xv.x * wv[4u * c] + xv.y * wv[4u * c + 1u] + xv.z * wv[4u * c + 2u] + xv.w * wv[4u * c + 3u];
  }
}
