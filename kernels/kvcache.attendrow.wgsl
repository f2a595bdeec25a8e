// kvcache.attendrow: one row's attention for one head over positions 0 ..= pos, an online softmax in
// position order: keys and values of earlier positions from the cache texture, those of pos itself from
// kNew and vNew (the row's new ones, not yet stored). Included by kvcache.rows and kvcache.attend, so the
// two sum in the same order. In scope there: kv (the cache, texture_2d_array<f32>), slot, pos, hc = h·HS4,
// C4, HS4, NEG, and q, kNew, vNew, acc (array<vec4f, HS4>, acc zeroed); it declares l (the softmax's
// denominator), and acc ends as the unnormalised output.
  var m = NEG;
  var l = 0.0;
  for (var t = 0u; t <= pos; t++) {
    let now = t == pos;
    var s = 0.0;
    for (var d = 0u; d < HS4; d++) { s += dot(q[d], select(textureLoad(kv, vec2u(hc + d, t), slot, 0), kNew[d], now)); }
    let mNew = max(m, s);
    let corr = exp(m - mNew);
    let e = exp(s - mNew);
    l = l * corr + e;
    for (var d = 0u; d < HS4; d++) { acc[d] = acc[d] * corr + e * select(textureLoad(kv, vec2u(C4 + hc + d, t), slot, 0), vNew[d], now); }
    m = mNew;
  }
