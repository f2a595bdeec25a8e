/** @forno/rl — reward model, DPO, PPO and GRPO losses and learners, best-of-N and voting, on @forno/gpu. */
export { RlError, PreferenceDataError, NonFiniteError, assertFinite } from "./errors.ts";
export { packSequences, uploadBatch, tokenLogprobs, type Sequence, type PackedBatch, type BatchTensors } from "./sequences.ts";
export { rowSum, rowSumForward, rowSumBackward, gatherRows, gatherRowsForward, gatherRowsBackward } from "./ops/sequence.ts";
export { pairwiseLoss, clippedPolicyLoss, clippedValueLoss, type PairwiseResult, type PolicyLossInputs, type PolicyLossResult, type ValueLossResult } from "./ops/losses.ts";
export { gptSampler, engineSampler, type Sampler, type SampleOptions, type SampleResult } from "./sampler.ts";
export { parsePreferenceLine, parsePreferenceRecord, loadPreferences, encodePair, type PreferencePair } from "./preferences.ts";
export { ScalarHead } from "./heads.ts";
export { latestRewardCheckpoint, loadRewardModel, readRewardHead, REWARD_HEAD_FILE, RewardCheckpointError } from "./reward-checkpoint.ts";
export { RewardModel, packPairs, rewardModelLoss, rewardModelStep, evaluateRewardModel, type EncodedPair, type RewardStepStats, type RewardMetrics } from "./reward-model.ts";
export { pairLogprobs, referenceLogprobs, dpoLoss, dpoRewards, dpoStep, type DpoStats } from "./dpo.ts";
export { collectRollout, clippedUpdate, rolloutKl, rewardModelFn, type RewardFn, type Rollout, type TrainerState, type UpdateTargets, type UpdateOptions, type UpdateStats } from "./rollout.ts";
export { gae, whiten, AdaptiveKlController, FixedKlController, PpoTrainer, type KlController, type PpoOptions, type PpoStats } from "./ppo.ts";
export { groupAdvantages, k3, GrpoTrainer, type GrpoOptions, type GrpoStats } from "./grpo.ts";
export { bestOfN, majority, majorityVote, type BestOfN } from "./best-of-n.ts";
export { compareAccuracy, type AccuracyComparison } from "./compare.ts";
export * as reference from "./reference.ts";
