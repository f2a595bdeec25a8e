/** The generation engine: KV-cached batched decoding with GPU sampling, and teacher-forced scoring. */
export { Engine, type EngineOptions, type GenerateRequest, type GenerateResult, type GenerateOptions, type FinishReason, type TokenLogprob } from "./engine.ts";
