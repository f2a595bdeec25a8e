/**
 * Greedy or sampled completions for evaluation: prompts in, token ids out, each stopping at a stop id or
 * after maxTokens. Runs prompts one at a time through the simple sampler (a full forward per token).
 */
import { Rng, sampleTokens, type GPT } from "@forno/model";

export interface GenerateOptions {
  maxTokens: number;
  stopIds: readonly number[];
  temperature?: number;
  seed?: number;
}

export async function generateIds(model: GPT, prompts: readonly number[][], o: GenerateOptions): Promise<number[][]> {
  const out: number[][] = [];
  for (const p of prompts) {
    const room = model.config.contextLength - p.length;
    const ids = room > 0 ? await sampleTokens(model, p, Math.min(o.maxTokens, room), Rng.fromSeed(o.seed ?? 1), { temperature: o.temperature ?? 0, stopIds: o.stopIds }) : [];
    out.push(ids.filter((id) => !o.stopIds.includes(id)));
  }
  return out;
}
