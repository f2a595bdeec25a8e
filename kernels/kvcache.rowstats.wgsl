// kvcache.rowstats: LayerNorm statistics of the workgroup's R rows of x, two passes like layernorm.wgsl,
// into `mean` and `rstd` (arrays of R, declared here). Statements for an entry point to include (its
// barriers must stay there: on llvmpipe a barrier inside a helper function does not synchronise); kvcache.rows
// includes it twice (ln_1 in a block of its own, ln_2 through kvcache.mlp.tail), kvcache.mlp, kvcache.attend and
// kvcache.linear once.
// In scope there: p (with eps), x, b (the rows, clamped), C4, K = f32(4·C4), part, stat, R, WG, lid.
  for (var r = 0u; r < R; r++) {
    var s = 0.0;
    for (var k = lid; k < C4; k += WG) { s += dot(x[b[r] * C4 + k], vec4f(1.0)); }
    part[r * WG + lid] = s;
  }
  workgroupBarrier();
  if (lid < R) {
    var s = 0.0;
    for (var i = 0u; i < WG; i++) { s += part[lid * WG + i]; }
    stat[lid] = s / K;
  }
  workgroupBarrier();
  var mean: array<f32, R>;
  for (var r = 0u; r < R; r++) {
    mean[r] = stat[r];
    var v = 0.0;
    for (var k = lid; k < C4; k += WG) { let d = x[b[r] * C4 + k] - mean[r]; v += dot(d, d); }
    part[r * WG + lid] = v;
  }
  workgroupBarrier();
  if (lid < R) {
    var v = 0.0;
    for (var i = 0u; i < WG; i++) { v += part[lid * WG + i]; }
    stat[R + lid] = 1.0 / sqrt(v / K + p.eps);
  }
  workgroupBarrier();
  var rstd: array<f32, R>;
  for (var r = 0u; r < R; r++) { rstd[r] = stat[R + r]; }
