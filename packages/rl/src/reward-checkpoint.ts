/**
 * Loading a trained reward model: a GPT checkpoint directory with `head.safetensors` (the scalar head,
 * `head.weight` (C, 1) and `head.bias` (1)) beside its weights, as the trainer's reward stage writes it.
 * Used by the trainer (PPO, evaluation) and the server (best_of with rerank "reward"). Checkpoint writing
 * and resuming stay with the stage that trains the model.
 */
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadCheckpoint, readSafetensors } from "@forno/model";
import { RlError } from "./errors.ts";
import { RewardModel } from "./reward-model.ts";

export const REWARD_HEAD_FILE = "head.safetensors";

/** A checkpoint that is not a usable reward model; the message names the file and the fix. */
export class RewardCheckpointError extends RlError {
  override name = "RewardCheckpointError";
}

/** The scalar head saved in `dir`, checked against the backbone's width C. */
export function readRewardHead(dir: string, C: number): { weight: Float32Array; bias: number } {
  const file = join(dir, REWARD_HEAD_FILE);
  if (!existsSync(file)) throw new RewardCheckpointError(`${dir}: a reward model needs ${REWARD_HEAD_FILE} beside its weights; retrain with \`bun run train reward\``);
  const t = readSafetensors(file).tensors;
  const weight = t.get("head.weight");
  const bias = t.get("head.bias");
  if (!weight || !bias || weight.data.length !== C || bias.data.length !== 1) {
    const got = [...t].map(([name, v]) => `${name} [${v.shape.join(", ")}]`).join(", ") || "no tensors";
    throw new RewardCheckpointError(`${file}: expected head.weight [${C}, 1] and head.bias [1], got ${got}; retrain with \`bun run train reward\``);
  }
  return { weight: weight.data as Float32Array, bias: (bias.data as Float32Array)[0]! };
}

/** The reward model in checkpoint directory `dir`. */
export function loadRewardModel(dir: string): RewardModel {
  const ck = loadCheckpoint(dir);
  const head = readRewardHead(dir, ck.config.nEmbd);
  return new RewardModel(ck.config, new Map([...ck.params].map(([k, v]) => [k, v.data as Float32Array])), head);
}

/**
 * The newest `ckpt-NNNNNN` under a reward stage's directory that has its head file (a crash can cut a
 * checkpoint short), or null when there is none.
 */
export function latestRewardCheckpoint(stageDir: string): string | null {
  if (!existsSync(stageDir)) return null;
  const dirs = readdirSync(stageDir).filter((n) => /^ckpt-\d+$/.test(n)).sort().reverse();
  const found = dirs.map((n) => join(stageDir, n)).find((d) => [REWARD_HEAD_FILE, "config.json", "model.safetensors"].every((f) => existsSync(join(d, f))));
  return found ?? null;
}
