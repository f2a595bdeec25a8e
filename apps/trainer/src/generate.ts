/**
 * Greedy or sampled completions for evaluation through the generation engine: prompts in, token ids out,
 * each stopping at a stop id (not returned) or after maxTokens, batched over the engine's cache slots.
 */
import { Engine, type GPT } from "@forno/model";

export interface GenerateOptions {
  maxTokens: number;
  stopIds: readonly number[];
  temperature?: number;
  seed?: number;
}

export async function generateIds(model: GPT, prompts: readonly number[][], o: GenerateOptions): Promise<number[][]> {
  const engine = new Engine(model, { maxBatch: 16 });
  try {
    const requests = prompts.map((prompt, i) => ({
      prompt: prompt.slice(-(model.config.contextLength - 1)),
      maxTokens: Math.max(1, Math.min(o.maxTokens, model.config.contextLength - Math.min(prompt.length, model.config.contextLength - 1))),
      temperature: o.temperature ?? 0,
      stop: o.stopIds.map((id) => [id]),
      seed: (o.seed ?? 1) + i,
    }));
    return (await engine.generate(requests)).map((r) => r.tokens);
  } finally {
    engine.dispose();
  }
}
