/**
 * GPTConfig: the hyperparameters that fix a GPT-2 style model's parameter set, the named presets, and
 * what follows from a config alone: validation, the ordered parameter list with shapes, the parameter
 * count and a training-FLOPs estimate. Everything that stores or moves parameters (init, checkpoints,
 * the Hugging Face bridge, the GPU model) walks `paramShapes(config)`, so names and order live here once.
 *
 * Names follow Hugging Face GPT-2 without the `transformer.` prefix, and linear weights are (in, out)
 * like HF's Conv1D, so `y = x @ W + b` with x (B, T, in). The output head is tied to `wte.weight`.
 */
import { ConfigError } from "./errors.ts";

export interface GPTConfig {
  /** V: vocabulary size, tokens. */
  vocabSize: number;
  /** T max ("block size"): the longest sequence the position embedding covers, tokens. */
  contextLength: number;
  /** L: transformer blocks. */
  nLayer: number;
  /** NH: attention heads; head size HS = C / NH. */
  nHead: number;
  /** C: embedding width (channels). */
  nEmbd: number;
  /** Dropout probability. Kept for config compatibility; forno does not implement dropout, so it must be 0. */
  dropout: number;
  /** true: linears and LayerNorms have biases, as in GPT-2. */
  bias: boolean;
}

export type PresetName = "tiny" | "small" | "gpt2";

/** Named model sizes; parameter counts include the tied embedding once. */
export const PRESETS: Readonly<Record<PresetName, Readonly<GPTConfig>>> = {
  /** ~0.9M parameters: unit tests and CPU smoke runs. */
  tiny: { vocabSize: 512, contextLength: 128, nLayer: 4, nHead: 4, nEmbd: 128, dropout: 0, bias: true },
  /** ~12M parameters: a real run on a small corpus. */
  small: { vocabSize: 4096, contextLength: 256, nLayer: 6, nHead: 6, nEmbd: 384, dropout: 0, bias: true },
  /** 124,439,808 parameters: GPT-2 small, loadable from Hugging Face. */
  gpt2: { vocabSize: 50257, contextLength: 1024, nLayer: 12, nHead: 12, nEmbd: 768, dropout: 0, bias: true },
};

/** A preset (GPT-2 small by default) with some fields overridden, validated. */
export function makeConfig(base: PresetName | GPTConfig = "gpt2", overrides: Partial<GPTConfig> = {}): GPTConfig {
  const from = typeof base === "string" ? PRESETS[base] : base;
  if (!from) throw new ConfigError(`unknown preset "${String(base)}": expected one of ${Object.keys(PRESETS).join(", ")}`);
  return validateConfig({ ...from, ...overrides });
}

const INT_FIELDS = ["vocabSize", "contextLength", "nLayer", "nHead", "nEmbd"] as const;

/** Checks every field and throws one ConfigError listing all problems; returns the config unchanged. */
export function validateConfig(config: GPTConfig): GPTConfig {
  const problems: string[] = [];
  for (const key of INT_FIELDS) {
    const v: unknown = config[key];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v <= 0) problems.push(`${key} must be a positive integer, got ${JSON.stringify(v)}`);
  }
  if (Number.isSafeInteger(config.nEmbd) && Number.isSafeInteger(config.nHead) && config.nHead > 0 && config.nEmbd % config.nHead !== 0) {
    problems.push(`nEmbd (C = ${config.nEmbd}) must be divisible by nHead (NH = ${config.nHead}); pick C a multiple of NH, e.g. C = ${Math.max(1, Math.round(config.nEmbd / config.nHead)) * config.nHead}`);
  }
  if (config.vocabSize > 2 ** 32) problems.push(`vocabSize must be ≤ 2^32 so token ids fit in uint32, got ${config.vocabSize}`);
  if (config.dropout !== 0) problems.push(`dropout must be 0 (forno does not implement dropout yet), got ${JSON.stringify(config.dropout)}; set dropout: 0`);
  if (typeof config.bias !== "boolean") problems.push(`bias must be true or false, got ${JSON.stringify(config.bias)}`);
  const known = new Set<string>([...INT_FIELDS, "dropout", "bias"]);
  for (const key of Object.keys(config)) if (!known.has(key)) problems.push(`unknown field "${key}" (fields: ${[...known].join(", ")})`);
  if (problems.length > 0) throw new ConfigError(`invalid GPTConfig:\n  ${problems.join("\n  ")}`);
  return config;
}

export interface ParamSpec {
  name: string;
  shape: number[];
}

/** Every parameter in canonical order: wte, wpe, the L blocks, ln_f. No bias entries when bias = false. */
export function paramShapes(config: GPTConfig): ParamSpec[] {
  const { vocabSize: V, contextLength: T, nLayer: L, nEmbd: C, bias } = config;
  const specs: ParamSpec[] = [
    { name: "wte.weight", shape: [V, C] }, // (V, C), also the output head
    { name: "wpe.weight", shape: [T, C] }, // (T, C)
  ];
  const linear = (prefix: string, inF: number, outF: number) => {
    specs.push({ name: `${prefix}.weight`, shape: [inF, outF] });
    if (bias) specs.push({ name: `${prefix}.bias`, shape: [outF] });
  };
  const layerNorm = (prefix: string) => {
    specs.push({ name: `${prefix}.weight`, shape: [C] });
    if (bias) specs.push({ name: `${prefix}.bias`, shape: [C] });
  };
  for (let i = 0; i < L; i++) {
    layerNorm(`h.${i}.ln_1`);
    linear(`h.${i}.attn.c_attn`, C, 3 * C); // q, k, v concatenated along the output axis
    linear(`h.${i}.attn.c_proj`, C, C);
    layerNorm(`h.${i}.ln_2`);
    linear(`h.${i}.mlp.c_fc`, C, 4 * C);
    linear(`h.${i}.mlp.c_proj`, 4 * C, C);
  }
  layerNorm("ln_f");
  return specs;
}

/** Total parameters, elements; the tied output head is counted once (as wte). */
export function paramCount(config: GPTConfig): number {
  return paramShapes(config).reduce((sum, p) => sum + p.shape.reduce((a, b) => a * b, 1), 0);
}

/**
 * Training FLOPs per token at sequence length T (PaLM appendix B / nanoGPT's estimate_mfu):
 *
 *   6·N + 12·L·C·T,   N = paramCount − T_max·C (wpe is a lookup, not a matmul)
 *
 * 6·N: each weight does one multiply-add (2 FLOPs) per token forward and two backward (input and weight
 * gradients). wte stays in N because the tied head multiplies by it, (C, V) per token. 12·L·C·T:
 * attention scores Q·Kᵀ and the weighted sum att·V cost 2·C·T each per token per layer forward,
 * ×3 for forward + backward; the causal mask is ignored, as in the references.
 */
export function flopsPerToken(config: GPTConfig, T: number = config.contextLength): number {
  const N = paramCount(config) - config.contextLength * config.nEmbd;
  return 6 * N + 12 * config.nLayer * config.nEmbd * T;
}
