/** Stores a finished generation: one response row per choice under the public id, with its conversation. */
import type { NewConversation, Store } from "@forno/db";
import type { Generation } from "./generation.ts";
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

export async function saveGeneration(input: SaveInput, gen: Generation): Promise<void> {
  const { id, model, prep, promptTokens } = input;
  await input.store.saveResponses(
    input.conversation,
    gen.choices.map((ch) => ({
      id,
      choiceIndex: ch.index,
      model: model.id,
      checkpoint: model.checkpoint,
      sampling: prep.record,
      text: ch.text,
      tokenIds: ch.tokens,
      logprobs: { tokenLogprobs: ch.logprobs },
      promptTokens,
      completionTokens: ch.tokens.length,
      latencyMs: gen.latencyMs,
      finishReason: ch.finishReason,
    })),
  );
}
