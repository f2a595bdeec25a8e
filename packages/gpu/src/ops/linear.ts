/**
 * linear: y = x·w + bias, the GPT layer, with w stored (Cin, Cout) like GPT-2's Conv1D. x may have any
 * leading axes (B, T, Cin); they are flattened into B·T rows of one 2-D matmul whose epilogue adds the
 * bias (no extra dispatch). Backward: dx = dy·wᵀ, dw = xᵀ·dy (both matmuls with a transposed operand,
 * nothing materialised) and dbias = column sum of dy (`columnSum`, deterministic, no atomics).
 */
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { Tensor } from "../tensor.ts";
import { matmulDispatch, matmulForward, columnSum, type MatmulVariant } from "./matmul.ts";

function linearShape(x: Tensor, w: Tensor, bias: Tensor | null): [number, number, number] {
  x.assertDtype("linear", "f32");
  w.assertDtype("linear", "f32");
  const Cin = x.shape.at(-1) ?? 0;
  if (x.shape.length < 1 || w.shape.length !== 2 || w.shape[0] !== Cin) {
    throw new ShapeError("linear", "x (..., Cin) and w (Cin, Cout)", [x.shape, w.shape]);
  }
  const Cout = w.shape[1]!;
  if (bias && (bias.shape.length !== 1 || bias.shape[0] !== Cout)) {
    throw new ShapeError("linear", "w (Cin, Cout) and bias (Cout)", [w.shape, bias.shape]);
  }
  return [x.size / Math.max(Cin, 1), Cin, Cout];
}

/** x (..., Cin) · w (Cin, Cout) + bias (Cout) → (..., Cout) f32, without autograd. */
export function linearForward(x: Tensor, w: Tensor, bias: Tensor | null = null, variant?: MatmulVariant): Tensor {
  const [rows, Cin, Cout] = linearShape(x, w, bias);
  const y = Tensor.empty([...x.shape.slice(0, -1), Cout]); // (..., Cout) f32
  const problem = { Z: 1, M: rows, N: Cout, K: Cin, sAb: 0, sAm: Cin, sAk: 1, sBb: 0, sBk: Cout, sBn: 1 };
  matmulDispatch({ a: x, b: w, c: y, bias, ...problem }, variant);
  return y;
}

/** Gradients of y = x·w + bias given dy (..., Cout): [dx (..., Cin), dw (Cin, Cout), dbias (Cout) | null]. */
export function linearBackward(x: Tensor, w: Tensor, dy: Tensor, hasBias: boolean, variant?: MatmulVariant): [Tensor, Tensor, Tensor | null] {
  const [rows, Cin, Cout] = linearShape(x, w, null);
  const x2 = x.reshape([rows, Cin]); // (B·T, Cin)
  const dy2 = dy.reshape([rows, Cout]); // (B·T, Cout)
  const dx = matmulForward(dy2, w, { transB: true, variant }).reshape(x.shape); // dy·wᵀ
  const dw = matmulForward(x2, dy2, { transA: true, variant }); // xᵀ·dy
  return [dx, dw, hasBias ? columnSum(dy2) : null];
}

/** y = x·w + bias with autograd. x (..., Cin), w (Cin, Cout), bias (Cout) or none → (..., Cout). */
export function linear(x: Tensor, w: Tensor, bias: Tensor | null = null, variant?: MatmulVariant): Tensor {
  const y = linearForward(x, w, bias, variant);
  const inputs = bias ? [x, w, bias] : [x, w];
  return record(y, "linear", inputs, (dy) => linearBackward(x, w, dy, bias !== null, variant));
}
