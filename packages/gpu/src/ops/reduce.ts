/**
 * Deterministic reductions: `sum` and `mean` of a whole tensor to a scalar, and `sumRows`, the column sums
 * over leading dims that give a broadcast operand its gradient. All are fixed-order trees of workgroup
 * passes (no atomics), so a training run reproduces bit for bit. Row-wise reductions inside LayerNorm and
 * softmax live in their own kernels; this module only shares how wide their workgroups are.
 */
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { params, runtime } from "../runtime.ts";
import { linearGrid, numel, Tensor } from "../tensor.ts";

/** Elements one `sum` workgroup reduces per pass: 256 invocations × 16 each. */
const SUM_CHUNK = 4096;
/** Rows one `sum.rows` workgroup reduces per pass, unless the grid would pass 65,535 blocks. */
const ROWS_PER_BLOCK = 256;

/**
 * Workgroup size for kernels that give a row of C elements to one workgroup; a power of two, which their
 * tree reductions need. On a GPU: no wider than the row, so short rows (C = 64, 128) leave no lanes idle.
 * On a CPU adapter (llvmpipe runs a workgroup on one core, 8 lanes at a time) every barrier step costs a
 * pass over all invocations, so one lane group is fastest: LayerNorm forward + backward at (2048, 128),
 * process CPU-ms, 18.2 at 32, 14.0 at 16, 11.9 at 8 (32 had been 2–4× faster than 256 at C = 768).
 */
export function rowWorkgroupSize(C: number): 8 | 64 | 128 | 256 {
  if (runtime().info.isCpu) return 8;
  return C <= 64 ? 64 : C <= 128 ? 128 : 256;
}

/** scale · Σ x as a (1) f32 tensor: passes of `sum` over partials until one value is left. */
function reduceAll(x: Tensor, scale: number): Tensor {
  x.assertDtype("sum", "f32");
  if (x.size === 0) return Tensor.zeros([1]);
  const rt = runtime();
  let src = x;
  let n = x.size;
  for (;;) {
    const groups = Math.ceil(n / SUM_CHUNK);
    const out = Tensor.empty([groups]); // (groups) f32 partial sums
    rt.dispatch({ kernel: "sum", bindings: [src, out], params: params([n, SUM_CHUNK], [groups === 1 ? scale : 1]), workgroups: linearGrid(groups, 1) });
    if (src !== x) src.dispose();
    if (groups === 1) return out;
    src = out;
    n = groups;
  }
}

/** d(scale · Σ x)/dx: every element gets scale · gradOut. gradOut (1) f32; returns `shape` f32. */
function reduceAllBackward(gradOut: Tensor, shape: readonly number[], scale: number): Tensor {
  const dx = Tensor.empty(shape);
  runtime().dispatch({ kernel: "sum.backward", bindings: [gradOut, dx], params: params([dx.size], [scale]), workgroups: linearGrid(dx.size) });
  return dx;
}

export function sumForward(x: Tensor): Tensor {
  return reduceAll(x, 1);
}

export function sumBackward(gradOut: Tensor, xShape: readonly number[]): Tensor {
  return reduceAllBackward(gradOut, xShape, 1);
}

export function meanForward(x: Tensor): Tensor {
  return reduceAll(x, 1 / Math.max(1, x.size));
}

export function meanBackward(gradOut: Tensor, xShape: readonly number[]): Tensor {
  return reduceAllBackward(gradOut, xShape, 1 / Math.max(1, numel(xShape)));
}

/** Σ of all elements of x (any shape, f32), as a (1) tensor. */
export function sum(x: Tensor): Tensor {
  return record(sumForward(x), "sum", [x], (g) => [sumBackward(g, x.shape)]);
}

/** Mean of all elements of x (any shape, f32), as a (1) tensor. */
export function mean(x: Tensor): Tensor {
  return record(meanForward(x), "mean", [x], (g) => [meanBackward(g, x.shape)]);
}

/**
 * Sums x over its leading dims down to `shape`, a suffix of x's shape: x viewed as (rows, S) → `shape`
 * (S elements) f32, out[s] = Σ_r x[r, s] (· y[r, s] when y, of x's size, is given: the gradient of a
 * broadcast factor). Record-free; the backward of broadcasting ops uses it. One pass for up to 256 rows,
 * one more per 256× beyond.
 */
export function sumRows(x: Tensor, shape: readonly number[], y?: Tensor): Tensor {
  x.assertDtype("sumRows", "f32");
  const S = numel(shape);
  const offset = x.shape.length - shape.length;
  if (offset < 0 || shape.some((d, i) => d !== x.shape[offset + i]) || S === 0) {
    throw new ShapeError("sumRows", "a target shape that is a non-empty suffix of x's shape", [x.shape, shape]);
  }
  if (y && y.size !== x.size) throw new ShapeError("sumRows", "two tensors of the same size", [x.shape, y.shape]);
  const rt = runtime();
  let src = x;
  let rows = x.size / S;
  let product = y;
  for (;;) {
    const rowsPerBlock = Math.max(ROWS_PER_BLOCK, Math.ceil(rows / 65535));
    const blocks = Math.max(1, Math.ceil(rows / rowsPerBlock));
    const out = Tensor.empty(blocks === 1 ? shape : [blocks, S]); // (blocks, S) f32 partial column sums
    rt.dispatch({
      kernel: "sum.rows",
      entry: product ? "product" : "main",
      bindings: product ? [src, out, product] : [src, out],
      params: params([rows, S, rowsPerBlock]),
      workgroups: [Math.ceil(S / 64), blocks],
    });
    if (src !== x) src.dispose();
    if (blocks === 1) return out;
    src = out;
    rows = blocks;
    product = undefined;
  }
}
