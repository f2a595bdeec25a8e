/**
 * Float64 reference of GPT-2's tanh GELU (`kernels/gelu*.wgsl`), written in the tanh form the kernels'
 * sigmoid form must agree with: gelu(x) = 0.5·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³).
 */

const K = Math.sqrt(2 / Math.PI);

export function geluForward(x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v) => 0.5 * v * (1 + Math.tanh(K * (v + 0.044715 * v ** 3))));
}

/** dx = dout · [0.5·(1 + tanh u) + 0.5·x·(1 − tanh² u)·√(2/π)·(1 + 3·0.044715·x²)]. */
export function geluBackward(dout: ArrayLike<number>, x: ArrayLike<number>): Float64Array {
  return Float64Array.from(x, (v, i) => {
    const t = Math.tanh(K * (v + 0.044715 * v ** 3));
    const sech2 = 1 - t * t;
    // sech² is exactly 0 for |u| > ~19 while x² may be huge: skip the product so 0 · ∞ never happens.
    const tail = sech2 === 0 ? 0 : 0.5 * v * sech2 * K * (1 + 3 * 0.044715 * v * v);
    return dout[i]! * (0.5 * (1 + t) + tail);
  });
}
