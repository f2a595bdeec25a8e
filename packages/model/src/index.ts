/** @forno/model — host-side model I/O: config and presets, init, safetensors, checkpoints, the HF GPT-2 bridge, token shards. */
export { PRESETS, makeConfig, validateConfig, paramShapes, paramCount, flopsPerToken, type GPTConfig, type PresetName, type ParamSpec } from "./config.ts";
export { ModelError, ConfigError, CheckpointError, EngineClosedError, ShardError } from "./errors.ts";
export { Rng, type RngState } from "./rng.ts";
export { initParams, INIT_STD } from "./init.ts";
export { readSafetensors, writeSafetensors, type HostTensor, type SafeTensor, type SafeDtype, type SafetensorsContents } from "./safetensors.ts";
export {
  saveCheckpoint,
  loadCheckpoint,
  recoverCheckpoint,
  latestCheckpoint,
  resolveCheckpoint,
  checkpointName,
  FORNO_VERSION,
  type TrainingState,
  type CheckpointContents,
  type SaveCheckpointInput,
  type LoadedCheckpoint,
  type SaveStep,
  type SaveOptions,
} from "./checkpoint.ts";
export { exportHf, importHf, type HfExportOptions } from "./hf.ts";
export { writeShard, openShard, SHARD_MAGIC, SHARD_VERSION, SHARD_HEADER_BYTES, type Shard } from "./shards.ts";
export { TokenDataset, TokenSplit, type Batch, type SplitCursor, type SplitName, type TokenDatasetOptions } from "./token-dataset.ts";
export { GPT, type GPTOutput } from "./gpt.ts";
export { gptReference, type ReferenceResult } from "./gpt-reference.ts";
export { pretrain, evaluate, windowBatches, writeLossPlot, type TrainBatch, type BatchSource, type TrainData, type TrainSettings, type StepRecord, type PretrainOptions, type PretrainResult } from "./training/pretrain.ts";
export { learningRate, type Schedule } from "./training/schedule.ts";
export { bigramLoss } from "./training/bigram.ts";
export { lossPlotSvg, type Series } from "./training/loss-plot.ts";
export { sampleTokens, pickToken, type SampleOptions } from "./training/sample.ts";
export { writePretrainReport, type PretrainReport } from "./training/report.ts";
export { SftDataError, SftBatchError } from "./sft/errors.ts";
export { parseConversationLine, loadConversations } from "./sft/formats.ts";
export { prepareSequences, SftBatcher, type SftSequence, type SftStats, type SftMode, type SftBatcherOptions, type SftBatch, type SftCursor } from "./sft/batches.ts";
export { buildDefaultMix, DEFAULT_MIX_RATIOS, type MixRatios, type DefaultMixOptions, type DefaultMix } from "./sft/default-mix.ts";
export { TaskError } from "./tasks/errors.ts";
export { lastNumber, numbersClose } from "./tasks/answers.ts";
export {
  answerOf, splitOf, sampleProblem, enumerateProblems, questionText, directAnswer, stepByStepAnswer, extractAnswer, isArithmeticCorrect,
  type ArithmeticProblem, type ArithmeticOp, type ArithmeticOptions, type TaskSplit,
} from "./tasks/arithmetic.ts";
export { loadSvamp, loadGsm8k, gsm8kFinalAnswer, extractNumber, isWordProblemCorrect, type WordProblem } from "./tasks/word-problems.ts";
export { zeroShotPrompt, fewShotPrompt, pickShots, baseModelAnswer, chatQuestion, chatPromptIds, STEP_BY_STEP_HINT, type SolvedExample, type ChatPromptStyle } from "./tasks/few-shot.ts";
export { evaluateTask, type EvaluateTaskOptions, type EvaluatedExample, type TaskResult } from "./tasks/evaluate.ts";
export { Engine, type EngineOptions, type GenerateRequest, type GenerateResult, type GenerateOptions, type FinishReason, type TokenLogprob } from "./engine/index.ts";
