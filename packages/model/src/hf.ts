/**
 * The bridge to Hugging Face's GPT-2 layout (`GPT2LMHeadModel`): a directory with `config.json` and
 * `model.safetensors` whose names carry the `transformer.` prefix. forno's names are HF's without the
 * prefix and its linear weights are already (in, out) like HF's Conv1D, so no tensor is transposed.
 *
 * Export omits `lm_head.weight` (tied to wte; HF re-ties it on load) and writes zero biases for a
 * bias = false model, marking it `"forno_bias": false` so import can drop them again. Import accepts
 * names with or without the prefix (the hub's gpt2 file has none), ignores the `attn.bias` /
 * `attn.masked_bias` mask buffers, checks that an `lm_head.weight` equals wte, and converts F16/BF16 to
 * f32. HF's *_pdrop fields are training-time dropout and are not imported (forno's dropout is 0).
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { writeTextAtomic } from "./atomic-file.ts";
import { paramShapes, validateConfig, type GPTConfig } from "./config.ts";
import { CheckpointError, ConfigError } from "./errors.ts";
import { checkParams } from "./param-check.ts";
import { readSafetensors, writeSafetensors, type HostTensor, type SafeTensor } from "./safetensors.ts";

/** forno's LayerNorm epsilon; HF configs with another value describe a different function. */
const LAYER_NORM_EPS = 1e-5;
const PREFIX = "transformer.";

export interface HfExportOptions {
  /** Written as bos_token_id and eos_token_id (HF's default, 50256, only fits the GPT-2 vocabulary). */
  eosTokenId?: number;
}

/** Writes `dir/config.json` and `dir/model.safetensors` in the HF GPT-2 layout. */
export function exportHf(dir: string, config: GPTConfig, params: ReadonlyMap<string, HostTensor>, options: HfExportOptions = {}): void {
  validateConfig(config);
  checkParams("exportHf params", config, params, { of: (t) => (t.data instanceof Float32Array ? "F32" : "non-f32"), allowed: ["F32"] });
  const out = new Map<string, HostTensor>();
  for (const { name, shape } of paramShapes({ ...config, bias: true })) {
    const t = params.get(name) ?? { shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) }; // bias = false: zeros
    out.set(PREFIX + name, t);
  }
  mkdirSync(dir, { recursive: true });
  writeSafetensors(join(dir, "model.safetensors"), out, { format: "pt" });
  const T = config.contextLength;
  const hf: Record<string, unknown> = {
    architectures: ["GPT2LMHeadModel"],
    model_type: "gpt2",
    vocab_size: config.vocabSize,
    n_positions: T,
    n_ctx: T,
    n_embd: config.nEmbd,
    n_layer: config.nLayer,
    n_head: config.nHead,
    n_inner: null,
    activation_function: "gelu_new",
    layer_norm_epsilon: LAYER_NORM_EPS,
    initializer_range: 0.02,
    resid_pdrop: config.dropout,
    embd_pdrop: config.dropout,
    attn_pdrop: config.dropout,
    scale_attn_weights: true,
    tie_word_embeddings: true,
    torch_dtype: "float32",
    forno_bias: config.bias,
  };
  if (options.eosTokenId !== undefined) hf.bos_token_id = hf.eos_token_id = options.eosTokenId;
  writeTextAtomic(join(dir, "config.json"), JSON.stringify(hf, null, 2) + "\n");
}

/** Reads an HF GPT-2 directory into a forno config and f32 parameters in paramShapes order. */
export function importHf(dir: string): { config: GPTConfig; params: Map<string, HostTensor> } {
  const configPath = join(dir, "config.json");
  const config = configFromHf(configPath);
  const modelPath = join(dir, "model.safetensors");
  if (!existsSync(modelPath)) {
    throw new CheckpointError(`${modelPath} is missing; forno reads only safetensors (convert pytorch_model.bin with transformers' save_pretrained(safe_serialization=True))`);
  }
  const tensors = new Map<string, SafeTensor>();
  let lmHead: SafeTensor | undefined;
  for (const [key, t] of readSafetensors(modelPath).tensors) {
    if (key === "lm_head.weight") lmHead = t;
    else if (!/\.attn\.(bias|masked_bias)$/.test(key)) tensors.set(key.startsWith(PREFIX) ? key.slice(PREFIX.length) : key, t);
  }
  const wte = tensors.get("wte.weight");
  if (lmHead && wte && !sameValues(lmHead, wte)) {
    throw new CheckpointError(`${modelPath}: lm_head.weight differs from wte.weight; forno ties the output head to the token embedding and cannot load an untied model`);
  }
  if (!config.bias) {
    for (const { name } of paramShapes({ ...config, bias: true })) {
      const t = tensors.get(name);
      if (!name.endsWith(".bias") || !t) continue;
      if ((t.data as Float32Array).some((x) => x !== 0)) throw new CheckpointError(`${modelPath}: config.json says forno_bias: false but ${name} is not all zeros; remove forno_bias to import with biases`);
      tensors.delete(name);
    }
  }
  checkParams(modelPath, config, tensors, { of: (t) => t.dtype, allowed: ["F32", "F16", "BF16"] });
  const params = new Map(paramShapes(config).map(({ name }) => [name, { shape: tensors.get(name)!.shape, data: tensors.get(name)!.data as Float32Array }]));
  return { config, params };
}

function sameValues(a: SafeTensor, b: SafeTensor): boolean {
  if (a.shape.join(",") !== b.shape.join(",") || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

/** HF GPT2Config JSON → GPTConfig, listing every field forno cannot honour. */
function configFromHf(path: string): GPTConfig {
  let hf: Record<string, unknown>;
  try {
    hf = JSON.parse(readFileSync(path, "utf8"));
  } catch (err) {
    throw new CheckpointError(`${path}: cannot read a Hugging Face config.json (${(err as Error).message}); the directory should come from save_pretrained`);
  }
  const problems: string[] = [];
  if (hf.model_type !== "gpt2") problems.push(`model_type: expected "gpt2", got ${JSON.stringify(hf.model_type)}`);
  const act = hf.activation_function ?? "gelu_new";
  if (act !== "gelu_new" && act !== "gelu_pytorch_tanh") problems.push(`activation_function: expected "gelu_new" (tanh GELU), got ${JSON.stringify(act)}`);
  const eps = hf.layer_norm_epsilon ?? LAYER_NORM_EPS;
  if (typeof eps !== "number" || Math.abs(eps - LAYER_NORM_EPS) > 1e-12) problems.push(`layer_norm_epsilon: expected ${LAYER_NORM_EPS}, got ${JSON.stringify(eps)}`);
  if (hf.n_inner != null && hf.n_inner !== 4 * (hf.n_embd as number)) problems.push(`n_inner: expected null or 4·n_embd, got ${JSON.stringify(hf.n_inner)}`);
  if (hf.scale_attn_weights === false) problems.push("scale_attn_weights: expected true (attention scaled by 1/sqrt(HS)), got false");
  if (hf.scale_attn_by_inverse_layer_idx === true) problems.push("scale_attn_by_inverse_layer_idx: expected false, got true");
  if (problems.length > 0) throw new CheckpointError(`${path}: this GPT-2 variant is not supported by forno:\n  ${problems.join("\n  ")}`);
  const config = {
    vocabSize: hf.vocab_size,
    contextLength: hf.n_positions ?? hf.n_ctx,
    nLayer: hf.n_layer,
    nHead: hf.n_head,
    nEmbd: hf.n_embd,
    dropout: 0,
    bias: hf.forno_bias !== false,
  } as GPTConfig;
  try {
    return validateConfig(config);
  } catch (err) {
    if (err instanceof ConfigError) throw new CheckpointError(`${path}: ${err.message}`);
    throw err;
  }
}
