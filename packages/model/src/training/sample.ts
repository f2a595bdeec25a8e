/**
 * Simple sampling for training-time previews: recomputes the whole window each token and reads back only
 * the last row of logits. The generation engine (KV cache, batching, penalties, streaming) is separate.
 */
import { noGrad, runtime, scope, Tensor } from "@forno/gpu";
import type { GPT } from "../gpt.ts";
import type { Rng } from "../rng.ts";

export interface SampleOptions {
  temperature?: number;
  topK?: number;
  /** Stop after emitting any of these ids (included in the output). */
  stopIds?: readonly number[];
  /** Called with each new token as it is chosen (streaming). */
  onToken?: (id: number) => void;
}

/** Picks a token from logits: argmax at temperature 0, else softmax(logits / temperature) over the top k. */
export function pickToken(logits: Float32Array, rng: Rng, { temperature = 1, topK = 0 }: SampleOptions = {}): number {
  if (temperature <= 0) return logits.reduce((best, v, i) => (v > logits[best]! ? i : best), 0);
  let ids = Array.from(logits.keys());
  if (topK > 0 && topK < ids.length) ids = ids.sort((a, b) => logits[b]! - logits[a]! || a - b).slice(0, topK);
  const max = Math.max(...ids.map((i) => logits[i]!));
  const weights = ids.map((i) => Math.exp((logits[i]! - max) / temperature));
  let r = rng.float() * weights.reduce((a, b) => a + b, 0);
  for (let k = 0; k < ids.length; k++) {
    r -= weights[k]!;
    if (r <= 0) return ids[k]!;
  }
  return ids[ids.length - 1]!;
}

/** Continues `prompt` by `count` tokens. */
export async function sampleTokens(model: GPT, prompt: readonly number[], count: number, rng: Rng, opts: SampleOptions = {}): Promise<number[]> {
  const V = model.config.vocabSize;
  const out = [...prompt];
  for (let i = 0; i < count; i++) {
    const window = out.slice(-model.config.contextLength);
    const row = await noGrad(() =>
      scope(async () => {
        const { logits } = model.forward(Tensor.from(Int32Array.from(window), [1, window.length]));
        return new Float32Array(await runtime().read(logits.buffer, (window.length - 1) * V * 4, V * 4));
      }),
    );
    const id = pickToken(row, rng, opts);
    out.push(id);
    opts.onToken?.(id);
    if (opts.stopIds?.includes(id)) break;
  }
  return out.slice(prompt.length);
}
