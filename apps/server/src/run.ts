/**
 * What completions and chat do once a request is parsed: generate its candidates (or nothing, for an echo
 * with max_tokens 0), record the metrics, pick the n best when best_of asks for more candidates than
 * choices, and store the returned choices, all before the reply (or [DONE]) goes out. Shaping the reply is
 * left to the routes.
 */
import type { NewConversation } from "@forno/db";
import type { Sequence } from "@forno/rl";
import { noRewardModel, pickBest } from "./best-of.ts";
import { tokensOf, usageOf, type Usage } from "./format.ts";
import { emptyGeneration, startGeneration, type ChoiceResult, type GenerationInput } from "./generation.ts";
import { saveGeneration } from "./persist.ts";
import type { PreparedSampling } from "./request.ts";
import type { ServerState } from "./state.ts";

export interface RunInput extends Omit<GenerationInput, "n" | "sampling" | "stopStrings"> {
  state: ServerState;
  prep: PreparedSampling;
  /** The public response id (`cmpl-…` / `chatcmpl-…`) the rows are stored under. */
  id: string;
  conversation: NewConversation;
  /** A candidate as the reward model reads it (rerank "reward"). */
  rewardSequence(ch: ChoiceResult): Sequence;
}

export interface Outcome {
  /** The client went away: nothing was stored and nothing is to be sent. */
  cancelled: boolean;
  /** The n returned choices, best first and renumbered when best_of reranked candidates. */
  choices: ChoiceResult[];
  /** Completion tokens count every candidate generated. */
  usage: Usage;
}

/** Starts the request; throws at once (not through the promise) when the queue is full or closed. */
export function runRequest(input: RunInput): Promise<Outcome> {
  const { state, prep, model, promptIds } = input;
  const reranks = prep.candidates > prep.n;
  if (reranks && prep.rerank === "reward" && !state.reward) throw noRewardModel();
  const started = performance.now();
  const generating =
    prep.sampling.maxTokens === 0
      ? Promise.resolve(emptyGeneration(prep.n))
      : startGeneration({ ...input, n: prep.candidates, sampling: prep.sampling, stopStrings: prep.stopStrings });
  return generating.then(async (gen) => {
    state.metrics.generation(model.id, promptIds.length, gen);
    const usage = usageOf(promptIds.length, tokensOf(gen.choices));
    if (gen.cancelled) return { cancelled: true, choices: [], usage };
    const choices = reranks
      ? (await pickBest({ candidates: gen.choices, n: prep.n, rerank: prep.rerank, reward: state.reward ?? undefined, sequence: input.rewardSequence })).choices
      : gen.choices;
    await saveGeneration({ store: state.store, conversation: input.conversation, id: input.id, model, prep, promptTokens: promptIds.length }, choices, performance.now() - started);
    return { cancelled: false, choices, usage };
  });
}
