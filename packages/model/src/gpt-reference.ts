/**
 * The same GPT as gpt.ts in plain TypeScript, accumulating in float64, forward and backward, built from the
 * kernels' references. It is slow and exists to check the GPU model: logits and every parameter gradient.
 */
import { attention, crossentropy, elementwise, embedding, gelu, layernorm, matmul } from "@forno/gpu/reference";
import type { GPTConfig } from "./config.ts";

type Params = Map<string, ArrayLike<number>>;

export interface ReferenceResult {
  /** (B·T, V) */
  logits: Float64Array;
  loss: number;
  /** d loss / d parameter, by parameter name */
  grads: Map<string, Float64Array>;
}

interface LayerCache {
  x: Float64Array;
  ln1: { out: Float64Array; mean: Float64Array; rstd: Float64Array };
  qkv: Float64Array;
  att: Float64Array;
  x1: Float64Array;
  ln2: { out: Float64Array; mean: Float64Array; rstd: Float64Array };
  fc: Float64Array;
  act: Float64Array;
}

function addInto(dst: Float64Array, src: ArrayLike<number>): void {
  for (let i = 0; i < dst.length; i++) dst[i] += src[i]!;
}

/** Forward and backward of the whole model on one batch: idx, targets (B·T) ids. */
export function gptReference(config: GPTConfig, params: Params, idx: ArrayLike<number>, targets: ArrayLike<number>, B: number, T: number, weights: ArrayLike<number> | null = null): ReferenceResult {
  const { vocabSize: V, nLayer: L, nHead: NH, nEmbd: C } = config;
  const N = B * T;
  const p = (name: string) => params.get(name)!;
  const zeros = (n: number) => new Float64Array(n);
  const bias = (name: string, n: number) => (config.bias ? p(name) : zeros(n));
  const pos = Int32Array.from({ length: N }, (_, i) => i % T);

  // Forward, keeping what backward needs.
  let x = elementwise.addForward(embedding.embeddingForward(p("wte.weight"), idx, V, C), embedding.embeddingForward(p("wpe.weight"), pos, config.contextLength, C));
  const caches: LayerCache[] = [];
  for (let l = 0; l < L; l++) {
    const h = `h.${l}.`;
    const ln1 = layernorm.layerNormForward(x, p(h + "ln_1.weight"), bias(h + "ln_1.bias", C), N, C);
    const qkv = matmul.linearRef(ln1.out, p(h + "attn.c_attn.weight"), bias(h + "attn.c_attn.bias", 3 * C), N, C, 3 * C);
    const att = attention.attentionForwardRef(qkv, B, T, C, NH).y;
    const x1 = elementwise.addForward(x, matmul.linearRef(att, p(h + "attn.c_proj.weight"), bias(h + "attn.c_proj.bias", C), N, C, C));
    const ln2 = layernorm.layerNormForward(x1, p(h + "ln_2.weight"), bias(h + "ln_2.bias", C), N, C);
    const fc = matmul.linearRef(ln2.out, p(h + "mlp.c_fc.weight"), bias(h + "mlp.c_fc.bias", 4 * C), N, C, 4 * C);
    const act = gelu.geluForward(fc);
    const x2 = elementwise.addForward(x1, matmul.linearRef(act, p(h + "mlp.c_proj.weight"), bias(h + "mlp.c_proj.bias", C), N, 4 * C, C));
    caches.push({ x, ln1, qkv, att, x1, ln2, fc, act });
    x = x2;
  }
  const lnf = layernorm.layerNormForward(x, p("ln_f.weight"), bias("ln_f.bias", C), N, C);
  const logits = matmul.matmulRef(lnf.out, p("wte.weight"), { Z: 1, M: N, K: C, N: V, transB: true });
  const loss = crossentropy.crossEntropyForward(logits, targets, weights, N, V);

  // Backward, in reverse.
  const grads = new Map<string, Float64Array>();
  const acc = (name: string, g: Float64Array) => {
    const prev = grads.get(name);
    if (prev) addInto(prev, g);
    else grads.set(name, Float64Array.from(g));
  };
  const dLogits = crossentropy.crossEntropyBackward(logits, targets, weights, N, V);
  const head = matmul.matmulBackwardRef(lnf.out, p("wte.weight"), dLogits, { Z: 1, M: N, K: C, N: V, transB: true });
  acc("wte.weight", head.dB);
  const f = layernorm.layerNormBackward(head.dA, x, p("ln_f.weight"), lnf.mean, lnf.rstd, N, C);
  acc("ln_f.weight", f.dw);
  if (config.bias) acc("ln_f.bias", f.db);
  let dx = f.dx;
  for (let l = L - 1; l >= 0; l--) {
    const h = `h.${l}.`;
    const c = caches[l]!;
    // x2 = x1 + proj(gelu(fc(ln2(x1))))
    const proj = matmul.linearBackwardRef(c.act, p(h + "mlp.c_proj.weight"), dx, N, 4 * C, C);
    acc(h + "mlp.c_proj.weight", proj.dw);
    if (config.bias) acc(h + "mlp.c_proj.bias", proj.dbias);
    const dFc = gelu.geluBackward(proj.dx, c.fc);
    const fcB = matmul.linearBackwardRef(c.ln2.out, p(h + "mlp.c_fc.weight"), dFc, N, C, 4 * C);
    acc(h + "mlp.c_fc.weight", fcB.dw);
    if (config.bias) acc(h + "mlp.c_fc.bias", fcB.dbias);
    const ln2 = layernorm.layerNormBackward(fcB.dx, c.x1, p(h + "ln_2.weight"), c.ln2.mean, c.ln2.rstd, N, C);
    acc(h + "ln_2.weight", ln2.dw);
    if (config.bias) acc(h + "ln_2.bias", ln2.db);
    const dx1 = Float64Array.from(dx);
    addInto(dx1, ln2.dx);
    // x1 = x + c_proj(attention(c_attn(ln1(x))))
    const cproj = matmul.linearBackwardRef(c.att, p(h + "attn.c_proj.weight"), dx1, N, C, C);
    acc(h + "attn.c_proj.weight", cproj.dw);
    if (config.bias) acc(h + "attn.c_proj.bias", cproj.dbias);
    const dQkv = attention.attentionBackwardRef(cproj.dx, c.qkv, B, T, C, NH);
    const cattn = matmul.linearBackwardRef(c.ln1.out, p(h + "attn.c_attn.weight"), dQkv, N, C, 3 * C);
    acc(h + "attn.c_attn.weight", cattn.dw);
    if (config.bias) acc(h + "attn.c_attn.bias", cattn.dbias);
    const ln1 = layernorm.layerNormBackward(cattn.dx, c.x, p(h + "ln_1.weight"), c.ln1.mean, c.ln1.rstd, N, C);
    acc(h + "ln_1.weight", ln1.dw);
    if (config.bias) acc(h + "ln_1.bias", ln1.db);
    dx = dx1;
    addInto(dx, ln1.dx);
  }
  acc("wte.weight", embedding.embeddingBackward(dx, idx, V, C));
  acc("wpe.weight", embedding.embeddingBackward(dx, pos, config.contextLength, C));
  return { logits, loss, grads };
}
