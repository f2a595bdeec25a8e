/** Stores a finished generation: one response row per returned choice under the public id, with its conversation. */
import type { NewConversation, Store } from "@forno/db";
import { storedLogprobs } from "./format.ts";
import type { ChoiceResult } from "./generation.ts";
import type { ServedModel } from "./models.ts";
import type { PreparedSampling } from "./request.ts";

export interface SaveInput {
  store: Store;
  conversation: NewConversation;
  id: string;
  model: ServedModel;
  prep: PreparedSampling;
  promptTokens: number;
}

/** `latencyMs`: the whole request's (best_of candidates and reranking included). */
export async function saveGeneration(input: SaveInput, choices: readonly ChoiceResult[], latencyMs: number): Promise<void> {
  const { id, model, prep, promptTokens } = input;
  await input.store.saveResponses(
    input.conversation,
    choices.map((ch) => ({
      id,
      choiceIndex: ch.index,
      model: model.id,
      checkpoint: model.checkpoint,
      sampling: prep.record,
      text: ch.text,
      tokenIds: ch.tokens,
      logprobs: storedLogprobs(model.tokenizer, ch),
      promptTokens,
      completionTokens: ch.tokens.length,
      latencyMs,
      finishReason: ch.finishReason,
    })),
  );
}
