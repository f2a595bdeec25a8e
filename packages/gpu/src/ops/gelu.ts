/**
 * GELU in GPT-2's tanh form, 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), elementwise on any shape, with
 * the exact derivative of that form as its backward. The kernels evaluate it through sigmoids (see
 * kernels/gelu.wgsl) so that ±1e4 inputs stay finite on every driver.
 */
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { params, runtime } from "../runtime.ts";
import { elementwiseGrid, Tensor } from "../tensor.ts";

/** x (any shape) f32 → gelu(x), same shape. */
export function geluForward(x: Tensor): Tensor {
  x.assertDtype("gelu", "f32");
  const out = Tensor.empty(x.shape);
  const g = elementwiseGrid(x.size);
  runtime().dispatch({ kernel: "gelu", defines: g.defines, bindings: [x, out], params: params([g.units]), workgroups: g.workgroups });
  return out;
}

/** dx = gradOut · gelu'(x); gradOut and x of the same shape, f32. */
export function geluBackward(gradOut: Tensor, x: Tensor): Tensor {
  if (gradOut.size !== x.size) throw new ShapeError("gelu backward", "gradOut shaped like x", [gradOut.shape, x.shape]);
  const dx = Tensor.empty(x.shape);
  const g = elementwiseGrid(x.size);
  runtime().dispatch({ kernel: "gelu.backward", defines: g.defines, bindings: [x, gradOut, dx], params: params([g.units]), workgroups: g.workgroups });
  return dx;
}

/** GPT-2's tanh GELU, elementwise. */
export function gelu(x: Tensor): Tensor {
  return record(geluForward(x), "gelu", [x], (g) => [geluBackward(g, x)]);
}
