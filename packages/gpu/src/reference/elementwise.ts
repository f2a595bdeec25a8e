/**
 * Float64 references of the elementwise kernels (`kernels/{add,mul,scale}.wgsl`). b has nb elements and
 * nb divides a's length: b is broadcast along a's leading dims (b[i % nb]); nb = a.length is the
 * same-shape case.
 */
import { sumRows } from "./reduce.ts";

export function addForward(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => a[i]! + b[i % b.length]!);
}

/** d(a + b): da = dout; db = dout summed over the broadcast dims (nb elements). */
export function addBackward(dout: ArrayLike<number>, nb: number): { da: Float64Array; db: Float64Array } {
  return { da: Float64Array.from(dout), db: sumRows(dout, nb) };
}

export function mulForward(a: ArrayLike<number>, b: ArrayLike<number>): Float64Array {
  return Float64Array.from({ length: a.length }, (_, i) => a[i]! * b[i % b.length]!);
}

/** d(a ∘ b): da = dout ∘ b (broadcast), db = Σ over the broadcast dims of dout ∘ a. */
export function mulBackward(dout: ArrayLike<number>, a: ArrayLike<number>, b: ArrayLike<number>): { da: Float64Array; db: Float64Array } {
  return { da: mulForward(dout, b), db: sumRows(dout, b.length, a) };
}

export function scaleForward(x: ArrayLike<number>, s: number): Float64Array {
  return Float64Array.from(x, (v) => s * v);
}

/** d(s · x) = s · dout. */
export function scaleBackward(dout: ArrayLike<number>, s: number): Float64Array {
  return scaleForward(dout, s);
}
