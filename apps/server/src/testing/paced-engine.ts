/**
 * Test fixture: an engine that decodes its batch in lockstep, one token per sequence every `stepMs`, so
 * tests can act while a batch runs (disconnect a client, scrape the gauges). Tokens cycle through a few
 * ids that decode to text; like the real engine, each request honours its own signal between steps,
 * reports its end through onFinish, and queued requests join through `more`. Every call's results are
 * kept for the test to inspect.
 */
import type { GenerateOptions, GenerateRequest, GenerateResult } from "@forno/model";
import type { ServedModel } from "../models.ts";

export class PacedEngine {
  readonly calls: GenerateResult[][] = [];

  constructor(
    readonly maxBatch: number,
    readonly maxSeqLen: number,
    private readonly tokens: readonly number[],
    private readonly stepMs: number,
  ) {}

  async generate(requests: readonly GenerateRequest[], opts: GenerateOptions = {}): Promise<GenerateResult[]> {
    const all = [...requests];
    const results: GenerateResult[] = all.map(() => ({ tokens: [], logprobs: [], finishReason: "length" }));
    this.calls.push(results);
    const open = new Set(all.keys());
    const end = (i: number, reason: GenerateResult["finishReason"]) => {
      results[i]!.finishReason = reason;
      open.delete(i);
      opts.onFinish?.(i, results[i]!);
    };
    while (open.size > 0) {
      await Bun.sleep(this.stepMs);
      for (const i of open) {
        const req = all[i]!;
        const r = results[i]!;
        if (req.signal?.aborted) {
          end(i, "cancelled");
          continue;
        }
        const id = this.tokens[r.tokens.length % this.tokens.length]!;
        r.tokens.push(id);
        r.logprobs!.push(-1);
        opts.onToken?.(i, id, -1);
        if (r.tokens.length >= req.maxTokens) end(i, "length");
      }
      for (const req of opts.more?.(this.maxBatch - open.size) ?? []) {
        open.add(all.push(req) - 1);
        results.push({ tokens: [], logprobs: [], finishReason: "length" });
      }
    }
    return results;
  }

  scorePrompts(): never {
    throw new Error("PacedEngine does not score prompts");
  }

  scorePromptsTop(): never {
    throw new Error("PacedEngine does not score prompts");
  }
}

/** `model` served through a PacedEngine (same tokenizer and id). */
export function pacedModel(model: ServedModel, stepMs: number, maxBatch = 4): { model: ServedModel; engine: PacedEngine } {
  const ids = model.tokenizer.encode("hello world ");
  const engine = new PacedEngine(maxBatch, model.engine.maxSeqLen, ids, stepMs);
  return { model: { ...model, engine }, engine };
}
