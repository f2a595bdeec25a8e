/**
 * The reward model that best_of with `rerank: "reward"` ranks candidates by: the newest checkpoint of the
 * run's `reward` stage (GPT backbone + head.safetensors, as the trainer's reward stage writes them), wrapped
 * as a scorer that fits each prompt + response into the model's context by dropping the prompt's oldest tokens.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { latestCheckpoint, loadCheckpoint, readSafetensors } from "@forno/model";
import { RewardModel, type Sequence } from "@forno/rl";

export interface RewardScorer {
  /** Checkpoint directory it was loaded from. */
  checkpoint: string;
  /** One reward per prompt + response sequence. */
  score(seqs: readonly Sequence[]): Promise<number[]>;
}

/** Keeps the response (up to context − 1 tokens) and as much of the prompt's end as still fits. */
export function fitContext(seq: Sequence, context: number): Sequence {
  const response = seq.response.slice(0, context - 1);
  return { prompt: seq.prompt.slice(Math.max(0, seq.prompt.length - (context - response.length))), response };
}

export function rewardScorer(rm: RewardModel, checkpoint: string): RewardScorer {
  const context = rm.gpt.config.contextLength;
  return { checkpoint, score: (seqs) => rm.score(seqs.map((s) => fitContext(s, context))) };
}

/** The reward model of `<runDir>/reward`, or null when the run has none (initRuntime() must have run). */
export function loadRunRewardModel(runDir: string): RewardScorer | null {
  const dir = latestCheckpoint(join(runDir, "reward"));
  if (!dir) return null;
  const headFile = join(dir, "head.safetensors");
  if (!existsSync(headFile)) throw new Error(`${dir}: a reward checkpoint needs head.safetensors beside its weights; retrain with bun run train reward`);
  const ck = loadCheckpoint(dir);
  const t = readSafetensors(headFile).tensors;
  const head = { weight: t.get("head.weight")!.data as Float32Array, bias: (t.get("head.bias")!.data as Float32Array)[0]! };
  return rewardScorer(new RewardModel(ck.config, new Map([...ck.params].map(([k, v]) => [k, v.data])), head), dir);
}
