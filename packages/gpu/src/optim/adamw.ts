/**
 * AdamW with decoupled weight decay, one dispatch per parameter tensor for the whole update (moments,
 * bias correction, decay, step), the gradient scaled inside the kernel by a number or by the clip-scale
 * tensor from `clipGradNorm` (read on the GPU, no readback). The moments m and v are f32 tensors kept
 * across scopes; `state()` / `loadState()` hand them and the step count to checkpoints, which do the I/O.
 * Learning-rate schedules are left to the caller (`step({ lr })`).
 */
import { DtypeError, GpuError, ShapeError } from "../errors.ts";
import { bindingChunks, params, runtime } from "../runtime.ts";
import { linearGrid, Tensor } from "../tensor.ts";

export interface AdamWOptions {
  lr: number;
  /** β1, β2: decay rates of the first and second moments. Default [0.9, 0.95]. */
  betas?: [number, number];
  /** Added to sqrt(v̂) in the denominator. Default 1e-8. */
  eps?: number;
  /** Decoupled decay: param -= lr · weightDecay · param each step. Default 0.1. */
  weightDecay?: number;
  /** Tensors to exclude from weight decay. Default: those with fewer than 2 dims (biases, norm gains), as in GPT-2 training. */
  noDecay?: (p: Tensor) => boolean;
}

export interface AdamWStepOptions {
  /** This step's learning rate (default: the constructor's). */
  lr?: number;
  /** Multiplies every gradient: a number, or the (1) f32 clip scale from `clipGradNorm`. */
  gradScale?: number | Tensor;
}

/** The optimizer state for checkpoints: the live moment tensors, one per parameter, in parameter order. */
export interface AdamWState {
  step: number;
  m: Tensor[];
  v: Tensor[];
}

export class AdamW {
  readonly params: readonly Tensor[];
  private readonly m: Tensor[];
  private readonly v: Tensor[];
  private readonly decays: boolean[];
  private readonly lr: number;
  private readonly betas: [number, number];
  private readonly eps: number;
  private readonly weightDecay: number;
  private stepCount = 0;

  constructor(parameters: Iterable<Tensor>, options: AdamWOptions) {
    this.params = [...parameters];
    for (const p of this.params) {
      if (p.dtype !== "f32") throw new DtypeError(`AdamW: parameters must be f32, got ${p.dtype} [${p.shape.join(", ")}]${p.name ? ` for '${p.name}'` : ""}`);
    }
    this.lr = options.lr;
    this.betas = options.betas ?? [0.9, 0.95];
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.1;
    const noDecay = options.noDecay ?? ((p: Tensor) => p.shape.length < 2);
    this.decays = this.params.map((p) => !noDecay(p));
    this.m = this.params.map((p) => Tensor.zeros(p.shape).keep());
    this.v = this.params.map((p) => Tensor.zeros(p.shape).keep());
  }

  /** Updates every parameter that has a `.grad`; parameters without one keep their value and moments. */
  step(options: AdamWStepOptions = {}): void {
    const { lr = this.lr, gradScale = 1 } = options;
    const scaleTensor = gradScale instanceof Tensor ? gradScale : null;
    if (scaleTensor && (scaleTensor.size !== 1 || scaleTensor.dtype !== "f32")) {
      throw new ShapeError("AdamW.step", "gradScale as a one-element f32 tensor (the clip scale)", [scaleTensor.shape]);
    }
    this.params.forEach((p) => {
      if (p.grad && p.grad.size !== p.size) throw new ShapeError("AdamW.step", `a gradient shaped like its parameter${p.name ? ` '${p.name}'` : ""}`, [p.shape, p.grad.shape]);
    });
    const rt = runtime();
    this.stepCount++;
    this.params.forEach((p, i) => {
      const g = p.grad;
      if (!g) return;
      const wd = this.decays[i] ? this.weightDecay : 0;
      const numericScale = scaleTensor ? 1 : (gradScale as number);
      // Chunks start at multiples of 64 elements, so a size divisible by 4 gives vec4 chunks throughout.
      const width = p.size % 4 === 0 ? 4 : 1;
      for (const { start, count } of bindingChunks(p.size, 4)) {
        const range = (t: Tensor) => ({ buffer: t.buffer, byteOffset: start * 4, byteLength: count * 4 });
        const bindings = [range(p), range(g), range(this.m[i]!), range(this.v[i]!)];
        rt.dispatch({
          kernel: "adamw",
          entry: scaleTensor ? "scaled" : "main",
          defines: { T: width === 4 ? "vec4f" : "f32" },
          bindings: scaleTensor ? [...bindings, scaleTensor] : bindings,
          params: params([count / width, this.stepCount], [lr, this.betas[0], this.betas[1], this.eps, wd, numericScale]),
          workgroups: linearGrid(count / width),
        });
      }
    });
  }

  /** The step count and the live moment tensors (not copies): read them to save a checkpoint. */
  state(): AdamWState {
    return { step: this.stepCount, m: [...this.m], v: [...this.v] };
  }

  /** Copies moments (shaped like the parameters, in parameter order) and the step count into this optimizer. */
  loadState(state: AdamWState): void {
    if (state.m.length !== this.params.length || state.v.length !== this.params.length) {
      throw new GpuError(`AdamW.loadState: expected moments for ${this.params.length} parameters, got ${state.m.length} m and ${state.v.length} v; was the checkpoint saved for another model?`);
    }
    const rt = runtime();
    this.params.forEach((p, i) => {
      for (const [src, dst] of [[state.m[i]!, this.m[i]!], [state.v[i]!, this.v[i]!]] as const) {
        if (src.size !== p.size) throw new ShapeError("AdamW.loadState", `moments shaped like parameter ${p.name || i}`, [p.shape, src.shape]);
        if (src !== dst) rt.copy(src.buffer, 0, dst.buffer, 0, p.size * 4);
      }
    });
    this.stepCount = state.step;
  }
}
