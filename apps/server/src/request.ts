/**
 * What completions and chat share between the validated body and the engine: picking the model, checking
 * the prompt and max_tokens against the context, turning OpenAI sampling fields into an engine request and
 * stop strings into token sequences, and the record of the sampling settings that the store keeps.
 */
import type { GenerateRequest } from "@forno/model";
import type { SamplingParams } from "@forno/db";
import type { Rerank } from "./best-of.ts";
import { ApiError } from "./errors.ts";
import type { ServedModel } from "./models.ts";
import type { ChatBody, CompletionBody } from "./schemas.ts";

type SamplingBody = Omit<CompletionBody & ChatBody, "prompt" | "messages" | "logprobs">;

export interface PreparedSampling {
  /** For every candidate; `maxTokens` is 0 only for an echo that just scores the prompt. */
  sampling: Omit<GenerateRequest, "prompt" | "logprobs" | "signal">;
  stopStrings: string[];
  /** Choices returned. */
  n: number;
  /** Candidates generated (best_of, else n); the n best are returned. */
  candidates: number;
  rerank: Rerank;
  /** What the store records with each response. */
  record: SamplingParams & { presencePenalty?: number; frequencyPenalty?: number; n?: number; bestOf?: number; rerank?: Rerank };
}

export function findModel(models: ReadonlyMap<string, ServedModel>, id: string): ServedModel {
  const model = models.get(id);
  if (model) return model;
  throw new ApiError(404, `the model "${id}" does not exist; this server has ${[...models.keys()].join(", ")} (GET /v1/models)`, {
    param: "model",
    code: "model_not_found",
  });
}

/**
 * `defaultMaxTokens`: used when the body gives none (OpenAI: 16 for completions, the rest of the context
 * for chat), capped by what the context leaves.
 */
export function prepareSampling(
  body: Partial<SamplingBody>,
  model: ServedModel,
  promptTokens: number,
  promptParam: string,
  defaultMaxTokens: number,
): PreparedSampling {
  const context = model.engine.maxSeqLen;
  if (promptTokens > context - 1) {
    throw new ApiError(
      400,
      `this model's maximum context length is ${context} tokens, and the ${promptParam} has ${promptTokens}; shorten it to at most ${context - 1} tokens so one can be generated`,
      { param: promptParam, code: "context_length_exceeded" },
    );
  }
  const room = context - promptTokens;
  const asked = body.max_completion_tokens ?? body.max_tokens;
  if (asked != null && asked > room) {
    throw new ApiError(
      400,
      `max_tokens is ${asked}, but the ${promptParam} has ${promptTokens} of this model's ${context} context tokens, leaving ${room}; ask for at most ${room}`,
      { param: body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens", code: "context_length_exceeded" },
    );
  }
  const maxTokens = asked ?? Math.min(defaultMaxTokens, room);
  const stopStrings = body.stop == null ? [] : typeof body.stop === "string" ? [body.stop] : body.stop;
  const sampling = {
    maxTokens,
    temperature: body.temperature ?? 1,
    topP: body.top_p ?? 1,
    topK: Math.max(0, body.top_k ?? 0),
    presencePenalty: body.presence_penalty ?? 0,
    frequencyPenalty: body.frequency_penalty ?? 0,
    seed: body.seed ?? undefined,
    stop: stopStrings.map((s) => model.tokenizer.encodeOrdinary(s)).filter((ids) => ids.length > 0),
  };
  const n = body.n ?? 1;
  const candidates = body.best_of ?? n;
  const rerank = body.rerank ?? "logprob";
  const record = {
    maxTokens,
    temperature: sampling.temperature,
    topP: sampling.topP,
    topK: sampling.topK,
    presencePenalty: sampling.presencePenalty,
    frequencyPenalty: sampling.frequencyPenalty,
    n,
    ...(candidates > n ? { bestOf: candidates, rerank } : {}),
    ...(sampling.seed !== undefined ? { seed: sampling.seed } : {}),
    ...(stopStrings.length > 0 ? { stop: stopStrings } : {}),
  };
  return { sampling, stopStrings, n, candidates, rerank, record };
}

export const responseId = (prefix: "cmpl" | "chatcmpl") => `${prefix}-${crypto.randomUUID().replaceAll("-", "")}`;

export const unixSeconds = () => Math.floor(Date.now() / 1000);
