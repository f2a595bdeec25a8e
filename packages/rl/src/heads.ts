/**
 * Scalar heads on a GPT's final hidden states (C → 1): the reward model's head, read at each sequence's
 * last token, and PPO's value head, read at every token. Weights start at zero so a fresh head predicts
 * 0 and the first updates come from the loss alone.
 */
import { linear, Tensor } from "@forno/gpu";

export class ScalarHead {
  /** (C, 1) f32 */
  readonly weight: Tensor;
  /** (1) f32 */
  readonly bias: Tensor;

  constructor(C: number, weight?: Float32Array, bias = 0) {
    this.weight = Tensor.from(weight ?? new Float32Array(C), [C, 1]).keep();
    this.bias = Tensor.from([bias]).keep();
    for (const t of this.parameters()) t.requiresGrad = true;
    this.weight.name = "head.weight";
    this.bias.name = "head.bias";
  }

  parameters(): Tensor[] {
    return [this.weight, this.bias];
  }

  /** h (N, C) f32 → (N) f32 */
  forward(h: Tensor): Tensor {
    return linear(h, this.weight, this.bias).reshape([h.shape[0]!]);
  }

  async toHost(): Promise<{ weight: Float32Array; bias: number }> {
    return { weight: (await this.weight.read()) as Float32Array, bias: (await this.bias.read())[0]! };
  }
}
