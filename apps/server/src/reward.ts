/**
 * The reward model that best_of with `rerank: "reward"` ranks candidates by: the newest checkpoint of the
 * run's `reward` stage (GPT backbone + head.safetensors, as the trainer's reward stage writes them), wrapped
 * as a scorer that fits each prompt + response into the model's context by dropping the prompt's oldest tokens.
 */
import { join } from "node:path";
import { latestRewardCheckpoint, loadRewardModel, type RewardModel, type Sequence } from "@forno/rl";

export interface RewardScorer {
  /** Checkpoint directory it was loaded from. */
  checkpoint: string;
  /** One reward per prompt + response sequence. */
  score(seqs: readonly Sequence[]): Promise<number[]>;
}

/** Keeps the response (up to context − 1 tokens) and as much of the prompt's end as still fits. */
function fitContext(seq: Sequence, context: number): Sequence {
  const response = seq.response.slice(0, context - 1);
  return { prompt: seq.prompt.slice(Math.max(0, seq.prompt.length - (context - response.length))), response };
}

function rewardScorer(rm: RewardModel, checkpoint: string): RewardScorer {
  const context = rm.gpt.config.contextLength;
  return { checkpoint, score: (seqs) => rm.score(seqs.map((s) => fitContext(s, context))) };
}

/** The reward model of `<runDir>/reward`, or null when the run has none (initRuntime() must have run). */
export function loadRunRewardModel(runDir: string): RewardScorer | null {
  const dir = latestRewardCheckpoint(join(runDir, "reward"));
  return dir ? rewardScorer(loadRewardModel(dir), dir) : null;
}
