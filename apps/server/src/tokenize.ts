/**
 * POST /tokenize and POST /detokenize (vLLM's shapes): text or chat messages to token ids with the model's
 * tokenizer and context length, and ids back to text. `model` is optional; the first served model is used.
 */
import type { Context } from "hono";
import { renderPrompt } from "@forno/tokenizer";
import { toChatMessages } from "./chat.ts";
import type { AppEnv } from "./env.ts";
import { ApiError } from "./errors.ts";
import { detokenizeSchema, parseBody, tokenizeSchema } from "./schemas.ts";
import { lookupModel, type ServerState } from "./state.ts";

const pick = (state: ServerState, id: string | null | undefined) => lookupModel(state, id ?? state.models.keys().next().value!).model;

export function tokenize(c: Context<AppEnv>, state: ServerState): Response {
  const body = parseBody(tokenizeSchema, c.get("body"));
  const model = pick(state, body.model);
  const tokens = body.messages ? renderPrompt(model.tokenizer, { messages: toChatMessages(body.messages) }) : model.tokenizer.encode(body.prompt!, { allowedSpecial: "all" });
  return c.json({ model: model.id, tokens, count: tokens.length, max_model_len: model.engine.maxSeqLen });
}

export function detokenize(c: Context<AppEnv>, state: ServerState): Response {
  const body = parseBody(detokenizeSchema, c.get("body"));
  const model = pick(state, body.model);
  const bad = body.tokens.find((id) => id >= model.tokenizer.vocabSize);
  if (bad !== undefined) {
    throw new ApiError(400, `tokens: id ${bad} is outside this model's vocabulary (0..${model.tokenizer.vocabSize - 1})`, { param: "tokens", code: "invalid_value" });
  }
  return c.json({ model: model.id, prompt: model.tokenizer.decode(body.tokens) });
}
