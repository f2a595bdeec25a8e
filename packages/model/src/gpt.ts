/**
 * The GPT-2 transformer on the GPU: parameters as tensors, a forward pass built from @forno/gpu ops (so
 * backward comes from the autograd tape), and host copies for checkpoints. The output head is tied to
 * the token embedding: logits = ln_f(x) · wteᵀ.
 */
import { add, attention, crossEntropy, embedding, gelu, layerNorm, linear, matmul, Tensor } from "@forno/gpu";
import { paramShapes, validateConfig, type GPTConfig } from "./config.ts";
import { ConfigError } from "./errors.ts";
import type { HostTensor } from "./safetensors.ts";

export interface GPTOutput {
  /** (B·T, V) f32 */
  logits: Tensor;
  /** [1] f32 mean (or weighted mean) cross-entropy, when targets were given */
  loss: Tensor | null;
}

export class GPT {
  readonly params: Map<string, Tensor>;
  private readonly positions = new Map<number, Tensor>();
  private zeroBias: Tensor | null = null;

  /** Uploads `host` (names and shapes as paramShapes(config)) as trainable, kept tensors. */
  constructor(
    readonly config: GPTConfig,
    host: Map<string, Float32Array>,
  ) {
    validateConfig(config);
    this.params = new Map();
    for (const { name, shape } of paramShapes(config)) {
      const data = host.get(name);
      if (!data) throw new ConfigError(`GPT: parameter '${name}' is missing from the given weights`);
      const t = Tensor.from(data, shape).keep();
      t.requiresGrad = true;
      t.name = name;
      this.params.set(name, t);
    }
  }

  parameters(): Tensor[] {
    return [...this.params.values()];
  }

  private p(name: string): Tensor {
    return this.params.get(name)!;
  }

  private maybe(name: string): Tensor | undefined {
    return this.config.bias ? this.params.get(name) : undefined;
  }

  /** LayerNorm's shift: the parameter, or a constant zero vector in a model without biases. */
  private lnBias(name: string): Tensor {
    if (this.config.bias) return this.p(name);
    return (this.zeroBias ??= Tensor.zeros([this.config.nEmbd]).keep());
  }

  /** (T) i32 0..T-1, made once per T. */
  private positionIds(T: number): Tensor {
    let pos = this.positions.get(T);
    if (!pos) {
      pos = Tensor.from(Int32Array.from({ length: T }, (_, i) => i)).keep();
      this.positions.set(T, pos);
    }
    return pos;
  }

  /**
   * idx (B, T) i32 token ids → logits (B·T, V), and the loss against targets (B, T) i32 when given,
   * weighted per token by `weights` (B, T) f32 (e.g. 0/1 masks for assistant-only SFT loss).
   */
  forward(idx: Tensor, targets?: Tensor, weights?: Tensor): GPTOutput {
    const [B, T] = idx.shape as [number, number];
    const xf = this.hidden(idx).reshape([B * T, this.config.nEmbd]);
    const logits = matmul(xf, this.p("wte.weight"), { transB: true }); // (B·T, V)
    const loss = targets ? crossEntropy(logits, targets.reshape([B * T]), weights?.reshape([B * T])) : null;
    return { logits, loss };
  }

  /** idx (B, T) i32 → the final LayerNorm's output (B, T, C): what the output head (or a reward head) reads. */
  hidden(idx: Tensor): Tensor {
    const { nLayer: L, nHead: NH, contextLength } = this.config;
    if (idx.shape.length !== 2) throw new ConfigError(`GPT.forward: idx must be (B, T), got [${idx.shape.join(", ")}]`);
    const T = idx.shape[1]!;
    if (T > contextLength) throw new ConfigError(`GPT.forward: sequence of ${T} tokens exceeds the context length ${contextLength}`);
    // x = wte[idx] + wpe[0..T)   (B, T, C)
    let x = add(embedding(this.p("wte.weight"), idx), embedding(this.p("wpe.weight"), this.positionIds(T)));
    for (let l = 0; l < L; l++) {
      const h = `h.${l}.`;
      // x = x + c_proj(attention(c_attn(ln_1(x))))
      const a = layerNorm(x, this.p(h + "ln_1.weight"), this.lnBias(h + "ln_1.bias"));
      const qkv = linear(a, this.p(h + "attn.c_attn.weight"), this.maybe(h + "attn.c_attn.bias")); // (B, T, 3C)
      x = add(x, linear(attention(qkv, NH), this.p(h + "attn.c_proj.weight"), this.maybe(h + "attn.c_proj.bias")));
      // x = x + c_proj(gelu(c_fc(ln_2(x))))
      const m = layerNorm(x, this.p(h + "ln_2.weight"), this.lnBias(h + "ln_2.bias"));
      const f = gelu(linear(m, this.p(h + "mlp.c_fc.weight"), this.maybe(h + "mlp.c_fc.bias"))); // (B, T, 4C)
      x = add(x, linear(f, this.p(h + "mlp.c_proj.weight"), this.maybe(h + "mlp.c_proj.bias")));
    }
    return layerNorm(x, this.p("ln_f.weight"), this.lnBias("ln_f.bias"));
  }

  /** Copies every parameter to the host, in paramShapes order (for checkpoints). */
  async toHost(): Promise<Map<string, HostTensor>> {
    const out = new Map<string, HostTensor>();
    for (const [name, t] of this.params) out.set(name, { shape: [...t.shape], data: (await t.read()) as Float32Array });
    return out;
  }
}
