/**
 * Softmax over the last dim of any-rank input, one row per workgroup, stable for large logits (the row
 * max is subtracted). The backward uses the saved output: dx = y ∘ (dy − rowsum(dy ∘ y)). Masking (as in
 * causal attention) is left to the attention kernels.
 */
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { params, runtime } from "../runtime.ts";
import { linearGrid, Tensor } from "../tensor.ts";
import { rowWorkgroupSize } from "./reduce.ts";

/** x viewed as (rows, C) with C its last dim. */
function rowsOf(op: string, x: Tensor): [number, number] {
  x.assertDtype(op, "f32");
  const C = x.shape.at(-1);
  if (C === undefined || C === 0) throw new ShapeError(op, "at least one dim and a non-empty last dim", [x.shape]);
  return [x.size / C, C];
}

/** x (…, C) f32 → softmax over C, same shape. */
export function softmaxForward(x: Tensor): Tensor {
  const [rows, C] = rowsOf("softmax", x);
  const out = Tensor.empty(x.shape);
  runtime().dispatch({
    kernel: "softmax",
    overrides: { WG: rowWorkgroupSize(C) },
    bindings: [x, out],
    params: params([rows, C]),
    workgroups: linearGrid(rows, 1),
  });
  return out;
}

/** dx (…, C) from gradOut (…, C) and the forward output y (…, C). */
export function softmaxBackward(gradOut: Tensor, y: Tensor): Tensor {
  const [rows, C] = rowsOf("softmax backward", y);
  if (gradOut.size !== y.size || gradOut.shape.at(-1) !== C) throw new ShapeError("softmax backward", "gradOut shaped like the output", [gradOut.shape, y.shape]);
  const dx = Tensor.empty(y.shape);
  runtime().dispatch({
    kernel: "softmax.backward",
    overrides: { WG: rowWorkgroupSize(C) },
    bindings: [y, gradOut, dx],
    params: params([rows, C]),
    workgroups: linearGrid(rows, 1),
  });
  return dx;
}

/** Softmax over the last dim. */
export function softmax(x: Tensor): Tensor {
  const y = softmaxForward(x);
  return record(y, "softmax", [x], (g) => [softmaxBackward(g, y)]);
}
