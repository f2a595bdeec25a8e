/**
 * Global gradient-norm clipping without a readback. Each gradient adds a few partial sums of squares
 * to a small buffer (one dispatch per tensor), one final dispatch reduces them into the norm and the
 * clip scale min(1, maxNorm / (norm + 1e-6)). The gradients are left as they are: the scale stays on the
 * GPU and the optimizer applies it (`AdamW.step({ gradScale: scale })`), which saves a pass over every
 * gradient. The split into partials depends only on tensor sizes, so the norm is deterministic.
 */
import { DtypeError, GpuError } from "../errors.ts";
import { bindingChunks, params, runtime } from "../runtime.ts";
import { Tensor } from "../tensor.ts";

/** Elements per workgroup before the cap: enough work per workgroup to hide its reduction. */
const PER_GROUP = 4096;
const MAX_GROUPS = 256;

export interface GradNorm {
  /** (1) f32: the L2 norm over all gradients together (for logging; read it when you want it). */
  norm: Tensor;
  /** (1) f32: min(1, maxNorm / (norm + 1e-6)), for `AdamW.step({ gradScale })`. */
  scale: Tensor;
}

/** The global L2 norm of the `.grad` of `parameters` (those without one are skipped) and its clip scale. */
export function clipGradNorm(parameters: Iterable<Tensor>, maxNorm: number): GradNorm {
  if (!(maxNorm > 0)) throw new GpuError(`clipGradNorm: maxNorm must be a positive number, got ${maxNorm}`);
  const rt = runtime();
  // 32 threads on a CPU adapter, where each barrier switches between all of a workgroup's invocations.
  const WG = rt.info.isCpu ? 32 : 256;
  const grads = [...parameters].flatMap((p) => (p.grad ? [p.grad] : []));
  const plan = grads.flatMap((g) => {
    if (g.dtype !== "f32") throw new DtypeError(`clipGradNorm: gradients must be f32, got ${g.dtype} [${g.shape.join(", ")}]${g.name ? ` for '${g.name}'` : ""}`);
    return bindingChunks(g.size, 4).map((c) => ({ g, ...c, groups: Math.min(MAX_GROUPS, Math.ceil(c.count / PER_GROUP)) }));
  });
  const P = plan.reduce((sum, c) => sum + c.groups, 0);
  const partials = Tensor.empty([Math.max(1, P)]); // (P) f32
  let slotBase = 0;
  for (const { g, start, count, groups } of plan) {
    // Chunks start at multiples of 64 elements, so a size divisible by 4 gives vec4 chunks throughout.
    const vec4 = g.size % 4 === 0;
    rt.dispatch({
      kernel: "gradnorm",
      overrides: { WG },
      defines: vec4 ? { T: "vec4f", SQUARES: "dot(e, e)" } : { T: "f32", SQUARES: "e * e" },
      bindings: [{ buffer: g.buffer, byteOffset: start * 4, byteLength: count * 4 }, partials],
      params: params([vec4 ? count / 4 : count, slotBase]),
      workgroups: groups,
    });
    slotBase += groups;
  }
  const norm = Tensor.empty([1]); // (1) f32
  const scale = Tensor.empty([1]); // (1) f32
  rt.dispatch({ kernel: "gradnorm.final", overrides: { WG }, bindings: [partials, norm, scale], params: params([P], [maxNorm]), workgroups: 1 });
  partials.dispose();
  return { norm, scale };
}
