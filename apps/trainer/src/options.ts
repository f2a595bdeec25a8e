/**
 * The options each command reads, so that a mistyped one (`--step 100`, `--data FILE`) stops the command
 * before any work instead of being ignored. Every setting of a preset is also an option (`--lr`,
 * `--grpoKl`, ...); the rest are read by name in the stages. options.test.ts checks these lists against
 * every option the sources read.
 */
import { RUN_PRESETS } from "./presets.ts";

/** Options of `bun run train` that are not preset settings. */
export const TRAINER_FLAGS = [
  "run", "preset", "corpus", "help", "resume", "sampleTokens",
  "vocab", "retrain", "hidden", "from", "mixSize", "hh", "from-db", "db-only", "rewardModel", "problems", "checkpoint", "out",
] as const;

/** Options of `bun run chat`. */
export const CHAT_FLAGS = ["run", "temperature", "seed", "maxTokens"] as const;

/** Every option `bun run train` reads: its flags and each preset's settings. */
export function trainerOptions(): Set<string> {
  const settings = Object.values(RUN_PRESETS).flatMap((p) => [...Object.keys(p.settings), ...Object.keys(p.sft), ...Object.keys(p.rl)]);
  return new Set([...TRAINER_FLAGS, ...settings]);
}
