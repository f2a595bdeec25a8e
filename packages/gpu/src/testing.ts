/**
 * Helpers for kernel tests: seeded random data, closeness checks that never let NaN pass, and a
 * finite-difference gradient check for float64 references. Exported as `@forno/gpu/testing`.
 */
import { expect } from "bun:test";

export { randint, randn, rng } from "./random.ts";

export interface Closeness {
  maxAbs: number;
  maxRel: number;
  worst: number;
}

/**
 * Checks |a - e| ≤ atol + rtol·|e| elementwise; NaN or ±Inf in `actual` always fails (unless expected
 * holds the same infinity). On failure the message names the worst index and both values.
 */
export function expectClose(actual: ArrayLike<number>, expected: ArrayLike<number>, rtol = 1e-4, atol = 1e-5, what = "values"): Closeness {
  expect(actual.length).toBe(expected.length);
  let maxAbs = 0;
  let maxRel = 0;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    if (Number.isNaN(a) || (!Number.isFinite(a) && a !== e)) {
      throw new Error(`${what}[${i}] is ${a}, expected ${e}`);
    }
    if (a === e) continue;
    const d = Math.abs(a - e);
    const excess = d - (atol + rtol * Math.abs(e));
    maxAbs = Math.max(maxAbs, d);
    maxRel = Math.max(maxRel, d / Math.max(Math.abs(e), 1e-30));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) {
    throw new Error(
      `${what}[${worst}] = ${actual[worst]} but expected ${expected[worst]} ` +
        `(|diff| ${Math.abs(actual[worst]! - expected[worst]!).toExponential(3)} > atol ${atol} + rtol ${rtol}·|e|); max abs diff ${maxAbs.toExponential(3)}`,
    );
  }
  return { maxAbs, maxRel, worst };
}

/**
 * Central finite differences of a scalar float64 function, for checking analytic gradients of the
 * references: d f / d x[i] ≈ (f(x + h e_i) - f(x - h e_i)) / 2h.
 */
export function numericGrad(f: (x: Float64Array) => number, x: Float64Array, h = 1e-5): Float64Array {
  const g = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    x[i] = v + h;
    const up = f(x);
    x[i] = v - h;
    const down = f(x);
    x[i] = v;
    g[i] = (up - down) / (2 * h);
  }
  return g;
}

/** Float64 copy of any numeric array. */
export function f64(a: ArrayLike<number>): Float64Array {
  return Float64Array.from(a as ArrayLike<number>);
}
