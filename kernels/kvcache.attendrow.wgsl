// kvcache.attendrow: one row's attention for one head over positions tFirst, tFirst + tStep, … ≤ pos, an
// online softmax in position order: keys and values of earlier positions from the cache texture, those of
// pos itself from kNew and vNew (the row's new ones, not yet stored). kvcache.rows and kvcache.attend take
// every position (tFirst 0, tStep 1), so the two sum in the same order; in kvcache.block each of a head's
// G invocations takes every G-th and the partial states are merged after. In scope there: kv (the cache,
// texture_storage_2d_array<rgba32float, read>), slot, pos, tFirst, tStep, hc = h·HS4, C4, HS4, NEG, and q, kNew, vNew, acc
// (array<vec4f, HS4>, acc zeroed); it declares m and l (the softmax's running max and denominator), and
// acc ends as the unnormalised output.
  var m = NEG;
  var l = 0.0;
  for (var t = tFirst; t <= pos; t += tStep) {
    let now = t == pos;
    var s = 0.0;
    for (var d = 0u; d < HS4; d++) { s += dot(q[d], select(textureLoad(kv, vec2u(hc + d, t), slot), kNew[d], now)); }
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let e = exp(s - mNew);
    l = l * corr + e;
    for (var d = 0u; d < HS4; d++) { acc[d] = acc[d] * corr + e * select(textureLoad(kv, vec2u(C4 + hc + d, t), slot), vNew[d], now); }
    m = mNew;
  }
