/**
 * LayerNorm over the last dim C of x (N, C) or (B, T, C), with weight w and bias b (C). The forward is
 * one dispatch (a row per workgroup) and saves mean and rstd (N) for the backward; the backward is two:
 * dx with per-workgroup partial sums of dw and db, then a pass that adds the partials in a fixed order
 * (deterministic, no atomics). Weight initialisation and the model's use of it are left to the model.
 */
import { record } from "../autograd.ts";
import { ShapeError } from "../errors.ts";
import { params, runtime } from "../runtime.ts";
import { linearGrid, Tensor } from "../tensor.ts";
import { rowWorkgroupSize } from "./reduce.ts";

/** Workgroups of the backward's first pass: enough to fill a GPU, few enough that `finish` adds few partials. */
const BACKWARD_GROUPS = 128;

/** Rows as vec4s when C allows, else f32s: llvmpipe pays per load, not per byte (forward + backward at (2048, 128): 6.8 CPU-ms against 11.9). */
function rowDefines(C: number): Record<string, string | number> {
  return C % 4 === 0 ? { E: "vec4f", VEC: 4, TOTAL: "return v.x + v.y + v.z + v.w;" } : { E: "f32", VEC: 1, TOTAL: "return v;" };
}

export interface LayerNormSaved {
  /** (N) f32, the row means. */
  mean: Tensor;
  /** (N) f32, 1 / √(variance + eps) per row. */
  rstd: Tensor;
}

function checkShapes(op: string, x: Tensor, w: Tensor, b?: Tensor): [number, number] {
  for (const t of [x, w, b]) t?.assertDtype(op, "f32");
  const C = x.shape.at(-1) ?? 0;
  if (x.shape.length < 2 || x.shape.length > 3 || C === 0) throw new ShapeError(op, "x (N, C) or (B, T, C) with C > 0", [x.shape]);
  if (w.shape.length !== 1 || w.shape[0] !== C) throw new ShapeError(op, `w (C) with C = ${C}, the last dim of x`, [x.shape, w.shape]);
  if (b && (b.shape.length !== 1 || b.shape[0] !== C)) throw new ShapeError(op, `b (C) with C = ${C}, the last dim of x`, [x.shape, b.shape]);
  return [x.size / C, C];
}

/** x (N, C) or (B, T, C), w (C), b (C) → out shaped like x, plus the saved mean and rstd (N). */
export function layerNormForward(x: Tensor, w: Tensor, b: Tensor, eps = 1e-5): { out: Tensor } & LayerNormSaved {
  const [N, C] = checkShapes("layerNorm", x, w, b);
  const out = Tensor.empty(x.shape);
  const mean = Tensor.empty([N]);
  const rstd = Tensor.empty([N]);
  runtime().dispatch({
    kernel: "layernorm",
    defines: rowDefines(C),
    overrides: { WG: rowWorkgroupSize(C) },
    bindings: [x, w, b, out, mean, rstd],
    params: params([N, C], [eps]),
    workgroups: linearGrid(N, 1),
  });
  return { out, mean, rstd };
}

/** Gradients of out = (x − mean) · rstd · w + b: dx shaped like x, dw and db (C). gradOut shaped like x. */
export function layerNormBackward(gradOut: Tensor, x: Tensor, w: Tensor, saved: LayerNormSaved): { dx: Tensor; dw: Tensor; db: Tensor } {
  const [N, C] = checkShapes("layerNorm backward", x, w);
  if (gradOut.size !== x.size) throw new ShapeError("layerNorm backward", "gradOut shaped like x", [gradOut.shape, x.shape]);
  const rt = runtime();
  const G = Math.max(1, Math.min(N, BACKWARD_GROUPS));
  const dx = Tensor.empty(x.shape);
  const partial = Tensor.empty([G, 2, C]); // (G, 2, C) f32: per-workgroup Σ dout·xhat and Σ dout
  rt.dispatch({
    kernel: "layernorm.backward",
    defines: rowDefines(C),
    overrides: { WG: rowWorkgroupSize(C) },
    bindings: [x, w, saved.mean, saved.rstd, gradOut, dx, partial],
    params: params([N, C, G]),
    workgroups: G,
  });
  const dw = Tensor.empty([C]);
  const db = Tensor.empty([C]);
  rt.dispatch({ kernel: "layernorm.backward", entry: "finish", defines: rowDefines(C), bindings: [partial, dw, db], params: params([N, C, G]), workgroups: Math.ceil(C / 64) });
  partial.dispose();
  return { dx, dw, db };
}

/** LayerNorm over the last dim: x (N, C) or (B, T, C), w and b (C). */
export function layerNorm(x: Tensor, w: Tensor, b: Tensor, eps = 1e-5): Tensor {
  const { out, ...saved } = layerNormForward(x, w, b, eps);
  record(out, "layerNorm", [x, w, b], (g) => {
    const { dx, dw, db } = layerNormBackward(g, x, w, saved);
    saved.mean.dispose();
    saved.rstd.dispose();
    return [dx, dw, db];
  });
  if (!out.node) {
    saved.mean.dispose();
    saved.rstd.dispose();
  }
  return out;
}
