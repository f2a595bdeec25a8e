/**
 * GPT-2 initialisation on the host, so a run is reproducible from its seed and testable without a GPU:
 * N(0, 0.02) for embeddings and linear weights, the two residual projections (attn.c_proj, mlp.c_proj)
 * scaled by 1/sqrt(2·L) so the residual stream's variance does not grow with depth (GPT-2 paper §2.3),
 * zeros for biases and ones for LayerNorm weights. The GPU model uploads the result tensor by tensor.
 */
import { paramShapes, validateConfig, type GPTConfig } from "./config.ts";
import { Rng } from "./rng.ts";

/** Standard deviation of every normally initialised weight. */
export const INIT_STD = 0.02;

/** One Float32Array per parameter, in paramShapes order, drawn from one stream seeded by `seed`. */
export function initParams(config: GPTConfig, seed = 1337): Map<string, Float32Array> {
  validateConfig(config);
  const rng = Rng.fromSeed(seed);
  const residualStd = INIT_STD / Math.sqrt(2 * config.nLayer);
  const params = new Map<string, Float32Array>();
  for (const { name, shape } of paramShapes(config)) {
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    if (/\.ln_(1|2)\.weight$|^ln_f\.weight$/.test(name)) data.fill(1);
    else if (name.endsWith(".bias")) data.fill(0);
    else {
      const std = /\.c_proj\.weight$/.test(name) ? residualStd : INIT_STD;
      for (let i = 0; i < data.length; i++) data[i] = rng.normal() * std;
    }
    params.set(name, data);
  }
  return params;
}
