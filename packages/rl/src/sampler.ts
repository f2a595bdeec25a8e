/**
 * Rollouts behind a small interface, so the stages can swap in the generation engine (KV cache, GPU
 * sampling) when it lands. `gptSampler` is the stand-in: batched but without a KV cache, it recomputes
 * the whole window each token for all sequences of the same prompt length at once and reads back only
 * their last rows of logits (one readback per token). Log-probs are reported at temperature 1 (the
 * policy's own distribution); PPO and GRPO recompute them with a full forward anyway.
 */
import { matmul, noGrad, scope, Tensor } from "@forno/gpu";
import { pickToken, type Engine, type GPT, type Rng } from "@forno/model";
import { RlError } from "./errors.ts";
import { gatherRows } from "./ops/sequence.ts";

export interface SampleOptions {
  /** Tokens generated per prompt at most. */
  maxNewTokens: number;
  /** Default 1; 0 is greedy. */
  temperature?: number;
  /** Default 0 (no top-k). */
  topK?: number;
  /** Stop a sequence after any of these ids (the id is kept in its tokens). */
  stopIds?: readonly number[];
}

export interface SampleResult {
  /** Per prompt, the generated tokens. */
  tokens: number[][];
  /** Per prompt, the log-prob of each generated token under the model at temperature 1. */
  logprobs: number[][];
}

export type Sampler = (prompts: number[][], opts: SampleOptions) => Promise<SampleResult>;

function logSoftmaxAt(row: Float32Array, id: number): number {
  let max = -Infinity;
  for (const v of row) max = Math.max(max, v);
  let sum = 0;
  for (const v of row) sum += Math.exp(v - max);
  return row[id]! - max - Math.log(sum);
}

/** A Sampler over `model` drawing from `rng`. */
export function gptSampler(model: GPT, rng: Rng): Sampler {
  const { vocabSize: V, contextLength } = model.config;
  const wte = model.params.get("wte.weight")!;
  return async (prompts, opts) => {
    const tokens: number[][] = prompts.map(() => []);
    const logprobs: number[][] = prompts.map(() => []);
    const byLength = new Map<number, number[]>();
    prompts.forEach((p, i) => byLength.set(p.length, [...(byLength.get(p.length) ?? []), i]));
    for (const group of byLength.values()) {
      const seqs = group.map((i) => [...prompts[i]!]);
      const done = group.map(() => false);
      for (let step = 0; step < opts.maxNewTokens && done.includes(false); step++) {
        const L = Math.min(seqs[0]!.length, contextLength);
        const B = seqs.length;
        const window = Int32Array.from(seqs.flatMap((s) => s.slice(-L)));
        const last = Array.from({ length: B }, (_, b) => b * L + L - 1);
        const logits = await noGrad(() =>
          scope(async () => {
            const h = model.hidden(Tensor.from(window, [B, L])).reshape([B * L, model.config.nEmbd]); // (B·L, C)
            const hLast = gatherRows(h, Tensor.from(Int32Array.from(last)), last); // (B, C)
            return (await matmul(hLast, wte, { transB: true }).read()) as Float32Array; // (B, V)
          }),
        );
        seqs.forEach((s, b) => {
          const row = logits.subarray(b * V, (b + 1) * V);
          const id = pickToken(row, rng, opts);
          s.push(id);
          if (done[b]) return;
          tokens[group[b]!]!.push(id);
          logprobs[group[b]!]!.push(logSoftmaxAt(row, id));
          if (opts.stopIds?.includes(id)) done[b] = true;
        });
      }
    }
    return { tokens, logprobs };
  };
}

/**
 * A Sampler over the generation engine (KV cache, continuous batching, sampling on the GPU). Each call
 * draws with a fresh seed from `rng`, so calls differ but a run repeats. A stop id ends the sequence and
 * is kept in its tokens (with a NaN log-prob: the engine does not return the stop token's), as PPO and
 * GRPO need the policy to learn to stop.
 */
export function engineSampler(engine: Engine, rng: Rng): Sampler {
  return async (prompts, opts) => {
    if ((opts.stopIds?.length ?? 0) > 1) throw new RlError("engineSampler: give at most one stop id (the engine does not report which one matched)");
    const stop = (opts.stopIds ?? []).map((id) => [id]);
    const results = await engine.generate(
      prompts.map((prompt) => ({ prompt, maxTokens: opts.maxNewTokens, temperature: opts.temperature ?? 1, topK: opts.topK ?? 0, stop, seed: rng.int(2 ** 31), logprobs: true })),
    );
    const tokens = results.map((r) => [...r.tokens]);
    const logprobs = results.map((r) => [...(r.logprobs ?? [])]);
    results.forEach((r, i) => {
      if (r.finishReason !== "stop" || stop.length === 0) return;
      tokens[i]!.push(opts.stopIds![0]!); // the engine cuts the stop match off
      logprobs[i]!.push(NaN);
    });
    return { tokens, logprobs };
  };
}
