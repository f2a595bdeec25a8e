/**
 * Packing prompt + response token sequences into right-padded (B, T) batches, and the per-token
 * log-probabilities of a policy on such a batch. Position t holds token s[t] and predicts s[t + 1];
 * `mask` is 1 where that next token belongs to the response, so a sequence's response log-prob is
 * rowSum(logp, mask). Right padding leaves real positions untouched (causal attention, absolute
 * positions). Truncation to the context is left to callers (`encodePair`, the samplers).
 */
import { logprob } from "@forno/gpu";
import { Tensor } from "@forno/gpu";
import type { GPT } from "@forno/model";
import { RlError } from "./errors.ts";

export interface Sequence {
  prompt: readonly number[];
  response: readonly number[];
}

export interface PackedBatch {
  B: number;
  T: number;
  /** (B·T) token ids, 0 after each sequence's end */
  idx: Int32Array;
  /** (B·T) the next token where it is a response token, else -1 (ignored by logprob) */
  targets: Int32Array;
  /** (B·T) 1 where targets is a response token */
  mask: Float32Array;
  /** (B) b·T + length − 1: each sequence's last real token, in (B·T) row space */
  lastRows: Int32Array;
  /** (B) response lengths, tokens */
  responseLengths: number[];
}

/** Packs sequences into one right-padded batch, T = the longest prompt + response. */
export function packSequences(seqs: readonly Sequence[]): PackedBatch {
  if (seqs.length === 0) throw new RlError("packSequences: no sequences to pack");
  const B = seqs.length;
  const T = Math.max(...seqs.map((s) => s.prompt.length + s.response.length));
  const idx = new Int32Array(B * T);
  const targets = new Int32Array(B * T).fill(-1);
  const mask = new Float32Array(B * T);
  const lastRows = new Int32Array(B);
  seqs.forEach((s, b) => {
    if (s.prompt.length === 0) throw new RlError(`packSequences: sequence ${b} has an empty prompt; every sequence needs at least one context token (e.g. <|endoftext|>)`);
    const all = [...s.prompt, ...s.response];
    idx.set(all, b * T);
    for (let t = s.prompt.length - 1; t < all.length - 1; t++) {
      targets[b * T + t] = all[t + 1]!;
      mask[b * T + t] = 1;
    }
    lastRows[b] = b * T + all.length - 1;
  });
  return { B, T, idx, targets, mask, lastRows, responseLengths: seqs.map((s) => s.response.length) };
}

/** The GPU inputs of a packed batch. */
export interface BatchTensors {
  /** (B, T) i32 */
  idx: Tensor;
  /** (B·T) i32 */
  targets: Tensor;
  /** (B, T) f32 */
  mask: Tensor;
}

export function uploadBatch(batch: PackedBatch): BatchTensors {
  return {
    idx: Tensor.from(batch.idx, [batch.B, batch.T]),
    targets: Tensor.from(batch.targets),
    mask: Tensor.from(batch.mask, [batch.B, batch.T]),
  };
}

/** Per-token log-probs (B·T) f32 of the batch's response tokens under `model` (0 elsewhere), and entropies (B·T) f32. */
export function tokenLogprobs(model: GPT, t: BatchTensors): { logp: Tensor; entropy: Tensor } {
  return logprob(model.forward(t.idx).logits, t.targets);
}
