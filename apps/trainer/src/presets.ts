/**
 * Run presets: the model preset, the tokenizer size and the training settings that `bun run train` uses
 * unless flags override them. `tiny` is the default pipeline; `smoke` is the same pipeline in a few steps,
 * for tests and a quick check that everything runs.
 */
import type { ArithmeticOptions, ChatPromptStyle, MixRatios, PresetName, TrainSettings } from "@forno/model";
import { UsageError, type Options } from "./args.ts";

export interface RunPreset {
  model: PresetName;
  /** pretraining */
  settings: TrainSettings;
  /** supervised finetuning, starting from the pretrained weights */
  sft: TrainSettings;
  /** conversations in the SFT mix; held-out problems per evaluation figure */
  sftMix: number;
  /** shares of direct arithmetic, step-by-step arithmetic and instructions in the SFT mix */
  sftRatios: MixRatios;
  /** SFT packing slot in tokens: each conversation starts at a multiple of it (see SftBatcher) */
  sftSlot: number;
  evalProblems: number;
  /** the arithmetic task of SFT, RL and evaluation: operand digits and operations */
  task: ArithmeticOptions;
  rl: RlSettings;
}

/** Reward modeling and RL: steps, batch sizes and rates (each stage also takes --steps and --lr). */
export interface RlSettings {
  rewardSteps: number;
  /** preference pairs per reward-model step */
  rewardBatch: number;
  rewardLr: number;
  dpoSteps: number;
  dpoBatch: number;
  dpoLr: number;
  dpoBeta: number;
  grpoSteps: number;
  /** prompts per GRPO step; each is sampled `groupSize` times */
  grpoPrompts: number;
  groupSize: number;
  grpoLr: number;
  /** steps of linear learning-rate warmup at the start of GRPO */
  grpoWarmup: number;
  grpoKl: number;
  /** leave groups whose answers are all right or all wrong out of GRPO's update (GrpoOptions.dropUniformGroups) */
  grpoDropUniform: boolean;
  /** GRPO's problems have operands of at least this many digits (the task's maxDigits stays): one-digit problems are few, drawn often and mostly solved */
  grpoMinDigits: number;
  /** sampling temperature of GRPO's rollouts */
  grpoTemperature: number;
  /** how GRPO asks its problems: problem i in grpoFormats[i % length] (eval reports GRPO in each) */
  grpoFormats: ChatPromptStyle[];
  ppoSteps: number;
  ppoPrompts: number;
  ppoLr: number;
  /** initial KL coefficient β and the adaptive controller's target KL per response */
  ppoKl: number;
  ppoTargetKl: number;
  /** responses over which the controller may move β by up to 20% (Ziegler et al. use 10,000 over long runs) */
  ppoKlHorizon: number;
  /** how PPO asks its arithmetic problems, as grpoFormats */
  ppoFormats: ChatPromptStyle[];
  /** candidates per prompt for best-of-N in the evaluation */
  bestOf: number;
  /** held-out problems for the evaluation's greedy SFT and RL rows, compared like for like (at least evalProblems) */
  compareProblems: number;
  checkpointEvery: number;
}

/**
 * GRPO asks step by step: there the SFT model is right often enough (about 30% greedy on distinct held-out
 * problems, 6% directly) that a group of 8 answers usually holds both right and wrong ones. Measured with
 * src/experiments/rl-vs-sft.ts on runs/final's 750-step SFT model, 600 distinct held-out problems, step
 * by step, paired difference to SFT: these settings +1.3 ± 1.5 points after 40 steps (−3.5 ± 1.5 after
 * 20), and in a second run −3.0 at 20 and 40, +2.2 at 60, +1.8 at 80 steps; with dropped uniform groups
 * −1.7 (40 steps) and −4.7 (60); with 10 warmup steps −1.0; 20 steps of 16 prompts 0.0; on two-digit
 * problems at temperature 0.7 −5.0; lr 2e-4 and 5e-4 lost accuracy within 20 steps. So at this budget
 * (40 × 64 samples; ~5 s a step on 2 cores, ~0.8 s asked directly) GRPO does not clearly beat SFT, and
 * the report's verdict says so.
 */
const rlTiny: RlSettings = {
  rewardSteps: 150, rewardBatch: 16, rewardLr: 3e-4,
  dpoSteps: 60, dpoBatch: 16, dpoLr: 2e-4, dpoBeta: 0.1,
  grpoSteps: 40, grpoPrompts: 8, groupSize: 8, grpoLr: 1e-4, grpoWarmup: 0, grpoKl: 0.1, grpoMinDigits: 1, grpoTemperature: 1, grpoDropUniform: false, grpoFormats: ["step-by-step"],
  ppoSteps: 30, ppoPrompts: 16, ppoLr: 5e-5, ppoKl: 0.2, ppoTargetKl: 1, ppoKlHorizon: 32, ppoFormats: ["direct"],
  bestOf: 8, compareProblems: 400, checkpointEvery: 20,
};

const pretrainTiny: TrainSettings = {
  steps: 300, batchSize: 16, seqLen: 128, gradAccum: 1, lr: 2e-3, minLr: 2e-4, warmupSteps: 20,
  weightDecay: 0.1, gradClip: 1, evalEvery: 50, evalBatches: 8, checkpointEvery: 50, seed: 1337,
};

/**
 * The tiny model learns held-out sums only after tens of thousands of direct problems (measured by
 * src/experiments/sft-learning-curve.ts with direct-only SFT, one problem per row: 3% right after 8k problems, 10% after 25k, 22% after 50k, from a
 * base that saw arithmetic in pretraining; with free packing its loss fell markedly slower). So the default
 * spends most of its 20 minutes in SFT, on a mix weighted to direct answers, each conversation at a slot
 * start so its digits sit at a few absolute positions; pretraining is short (300 steps: at 150 it was still
 * above the bigram baseline). With the 2026-11-28 kernels an SFT step of 21×96 tokens takes ~0.6 s on 2
 * cores (the run before them: 600 steps, evaluations included, in 11.5 min, ~1.15 s a step), so SFT runs
 * 1,000 steps over 80,000 conversations (600 over 40,000 before) in about the same time.
 */
const tiny: RunPreset = {
  model: "tiny",
  settings: pretrainTiny,
  sft: { ...pretrainTiny, steps: 1000, batchSize: 21, seqLen: 96, lr: 3e-3, minLr: 3e-4, warmupSteps: 20, evalEvery: 200, checkpointEvery: 200 },
  sftMix: 80_000,
  sftRatios: { direct: 0.75, stepByStep: 0.2, instructions: 0.05 },
  sftSlot: 24,
  evalProblems: 200,
  task: { minDigits: 1, maxDigits: 2 },
  rl: rlTiny,
};

const smokeSettings: TrainSettings = { ...pretrainTiny, steps: 8, batchSize: 4, seqLen: 64, warmupSteps: 2, evalEvery: 4, evalBatches: 2, checkpointEvery: 4 };

export const RUN_PRESETS: Record<string, RunPreset> = {
  tiny,
  smoke: { model: "tiny", settings: smokeSettings, sft: { ...smokeSettings, seqLen: 96, steps: 6, evalEvery: 3, checkpointEvery: 3 }, sftMix: 400, sftRatios: tiny.sftRatios, sftSlot: tiny.sftSlot, evalProblems: 4, task: tiny.task,
    rl: { ...rlTiny, rewardSteps: 3, rewardBatch: 4, dpoSteps: 2, dpoBatch: 4, grpoSteps: 2, grpoPrompts: 2, groupSize: 2, ppoSteps: 2, ppoPrompts: 2, bestOf: 2, compareProblems: 4, checkpointEvery: 2 } },
  small: { ...tiny, model: "small", settings: { ...pretrainTiny, steps: 1000, batchSize: 8, seqLen: 256, lr: 1e-3, minLr: 1e-4, warmupSteps: 50 } },
};

/**
 * The preset named by --preset (default tiny) with any --<setting> flags applied to the settings of the
 * stage being run (`pretrain` or `sft`).
 */
export function resolvePreset(opts: Options, stage: "pretrain" | "sft" = "pretrain"): RunPreset {
  const name = String(opts.preset ?? "tiny");
  const preset = RUN_PRESETS[name];
  if (!preset) throw new UsageError(`unknown --preset '${name}': expected one of ${Object.keys(RUN_PRESETS).join(", ")}`);
  const settings = { ...(stage === "sft" ? preset.sft : preset.settings) };
  for (const key of Object.keys(settings) as (keyof TrainSettings)[]) {
    if (opts[key] === undefined) continue;
    const v = Number(opts[key]);
    if (!Number.isFinite(v) || v < 0) throw new UsageError(`--${key} must be a non-negative number, got '${opts[key]}'`);
    settings[key] = v;
  }
  for (const key of ["steps", "batchSize", "seqLen", "gradAccum", "evalEvery", "evalBatches", "checkpointEvery"] as const) {
    if (!Number.isInteger(settings[key]) || settings[key] < 1) throw new UsageError(`--${key} must be a positive integer, got ${settings[key]}`);
  }
  return stage === "sft" ? { ...preset, sft: settings } : { ...preset, settings };
}
