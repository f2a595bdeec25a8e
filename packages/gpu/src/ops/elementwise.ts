/**
 * Elementwise arithmetic: `add` (the residual add, or a bias broadcast over leading dims), `mul` (same
 * broadcasting) and `scale` by a JS number. A broadcast operand's shape must be a suffix of the other's
 * (e.g. (C) over (B, T, C)); its gradient is the deterministic column sum over the broadcast dims
 * (`sumRows`). Each forward is one dispatch; fusing longer elementwise chains is left to the ops that
 * need them (GELU, LayerNorm).
 */
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { params, runtime } from "../runtime.ts";
import { elementwiseGrid, Tensor } from "../tensor.ts";
import { sumRows } from "./reduce.ts";

/** Throws unless b's shape equals a's or is a suffix of it (the only broadcasting these ops do). */
function checkBroadcast(op: string, a: Tensor, b: Tensor): void {
  a.assertDtype(op, "f32");
  b.assertDtype(op, "f32");
  const offset = a.shape.length - b.shape.length;
  if (offset < 0 || b.shape.some((d, i) => d !== a.shape[offset + i]) || (b.size === 0 && a.size > 0)) {
    throw new ShapeError(op, "b's shape equal to a's or a suffix of it (broadcast along leading dims)", [a.shape, b.shape]);
  }
}

/** out = a ⊕ b[broadcast], a (…, S) f32, b (S) f32 → out shaped like a. */
function binary(kernel: "add" | "mul", a: Tensor, b: Tensor): Tensor {
  checkBroadcast(kernel, a, b);
  const out = Tensor.empty(a.shape);
  const nb = Math.max(1, b.size);
  const g = elementwiseGrid(a.size, nb);
  runtime().dispatch({ kernel, defines: g.defines, bindings: [a, b, out], params: params([g.units, nb / g.scale]), workgroups: g.workgroups });
  return out;
}

export function addForward(a: Tensor, b: Tensor): Tensor {
  return binary("add", a, b);
}

/** d(a + b): gradOut itself for a; for b too when shapes match, else gradOut summed over leading dims. */
export function addBackward(gradOut: Tensor, aShape: readonly number[], bShape: readonly number[]): [Tensor, Tensor] {
  const db = bShape.length === aShape.length ? gradOut : sumRows(gradOut, bShape);
  return [gradOut, db];
}

export function mulForward(a: Tensor, b: Tensor): Tensor {
  return binary("mul", a, b);
}

/** d(a ∘ b): da = gradOut ∘ b (broadcast as in the forward), db = Σ over broadcast dims of gradOut ∘ a. */
export function mulBackward(gradOut: Tensor, a: Tensor, b: Tensor): [Tensor, Tensor] {
  const da = binary("mul", gradOut, b);
  const db = b.shape.length === a.shape.length ? binary("mul", gradOut, a) : sumRows(gradOut, b.shape, a);
  return [da, db];
}

export function scaleForward(x: Tensor, s: number): Tensor {
  x.assertDtype("scale", "f32");
  const out = Tensor.empty(x.shape);
  const g = elementwiseGrid(x.size);
  runtime().dispatch({ kernel: "scale", defines: g.defines, bindings: [x, out], params: params([g.units], [s]), workgroups: g.workgroups });
  return out;
}

/** d(s · x) = s · gradOut. */
export function scaleBackward(gradOut: Tensor, s: number): Tensor {
  return scaleForward(gradOut, s);
}

/** a + b, with b (S) broadcast over a's leading dims when its shape is a suffix of a's (e.g. a bias). */
export function add(a: Tensor, b: Tensor): Tensor {
  return record(addForward(a, b), "add", [a, b], (g) => addBackward(g, a.shape, b.shape));
}

/** a ∘ b elementwise, broadcasting b as in `add`. */
export function mul(a: Tensor, b: Tensor): Tensor {
  return record(mulForward(a, b), "mul", [a, b], (g) => mulBackward(g, a, b));
}

/** s · x for a JS number s. */
export function scale(x: Tensor, s: number): Tensor {
  return record(scaleForward(x, s), "scale", [x], (g) => [scaleBackward(g, s)]);
}
