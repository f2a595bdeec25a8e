/**
 * The SFT mix of the default pipeline: arithmetic problems from the train split in both answer formats
 * (the step-by-step user turn carries "Think step by step." unless `stepHint` is off) plus short
 * instruction pairs (the trainer ships them in apps/trainer/data; the caller loads them with
 * loadConversations). Everything is rendered with the run's tokenizer and kept only when the whole
 * conversation fits the context (T + 1 tokens), because a cut step-by-step answer would teach the model
 * to stop before "Answer:". Ratios are shares of the mix; instruction pairs repeat, reshuffled, when
 * the mix asks for more than there are. Batching and shuffling across epochs are the batcher's job.
 */
import { renderConversation, type Conversation, type Tokenizer } from "@forno/tokenizer";
import type { Rng } from "../rng.ts";
import { directAnswer, questionText, sampleProblem, stepByStepAnswer, type ArithmeticOptions } from "../tasks/arithmetic.ts";
import { chatQuestion } from "../tasks/few-shot.ts";
import { SftDataError } from "./errors.ts";

export interface MixRatios {
  /** "What is 47 + 85?" → "132". */
  direct: number;
  /** The same question (with the step-by-step hint) → column arithmetic then "Answer: 132". */
  stepByStep: number;
  /** General instruction pairs. */
  instructions: number;
}

export const DEFAULT_MIX_RATIOS: MixRatios = { direct: 0.35, stepByStep: 0.35, instructions: 0.3 };

export interface DefaultMixOptions {
  tokenizer: Tokenizer;
  /** Context length, tokens; conversations longer than T + 1 tokens are left out. */
  T: number;
  /** Instruction conversations to draw from (e.g. loadConversations of apps/trainer/data/sft-*.jsonl). */
  instructions: readonly Conversation[];
  rng: Rng;
  /** Conversations in the mix (before leaving out ones that do not fit). Default 20,000. */
  size?: number;
  /** Shares of the mix; normalised by their sum. Default DEFAULT_MIX_RATIOS. */
  ratios?: MixRatios;
  /** Problem range and held-out fraction; default 2–3 digits, + and −, 10 % held out. */
  arithmetic?: ArithmeticOptions;
  /** Add "Think step by step." to step-by-step questions. Default true. */
  stepHint?: boolean;
}

export interface DefaultMix {
  conversations: Conversation[];
  /** Conversations of each kind in the mix. */
  counts: MixRatios;
  /** Conversations of each kind left out because they did not fit T + 1 tokens. */
  tooLong: MixRatios;
}

const pair = (user: Conversation, answer: string): Conversation => ({ messages: [...user.messages, { role: "assistant", content: answer }] });

export function buildDefaultMix(options: DefaultMixOptions): DefaultMix {
  const { tokenizer, T, instructions, rng, size = 20_000, ratios = DEFAULT_MIX_RATIOS, stepHint = true } = options;
  const shares = [ratios.direct, ratios.stepByStep, ratios.instructions];
  const sum = shares.reduce((a, b) => a + b, 0);
  if (shares.some((r) => !(r >= 0)) || !(sum > 0)) throw new SftDataError(`mix ratios: expected non-negative shares with a positive sum, got ${JSON.stringify(ratios)}`);
  if (!Number.isInteger(size) || size < 0) throw new SftDataError(`mix size: expected a non-negative integer, got ${size}`);
  const want: MixRatios = {
    direct: Math.round((size * ratios.direct) / sum),
    stepByStep: Math.round((size * ratios.stepByStep) / sum),
    instructions: Math.round((size * ratios.instructions) / sum),
  };
  if (want.instructions > 0 && instructions.length === 0) {
    throw new SftDataError("mix: expected instruction conversations for a non-zero instructions share, got none; load apps/trainer/data/sft-*.jsonl or set ratios.instructions to 0");
  }
  const counts: MixRatios = { direct: 0, stepByStep: 0, instructions: 0 };
  const tooLong: MixRatios = { direct: 0, stepByStep: 0, instructions: 0 };
  const conversations: Conversation[] = [];
  const add = (kind: keyof MixRatios, c: Conversation) => {
    if (renderConversation(tokenizer, c).ids.length > T + 1) tooLong[kind]++;
    else {
      conversations.push(c);
      counts[kind]++;
    }
  };
  for (let i = 0; i < want.direct + want.stepByStep; i++) {
    const p = sampleProblem(rng, options.arithmetic ?? {}, "train");
    if (i < want.direct) add("direct", pair(chatQuestion(questionText(p), "direct"), directAnswer(p)));
    else add("stepByStep", pair(chatQuestion(questionText(p), stepHint ? "step-by-step" : "direct"), stepByStepAnswer(p)));
  }
  // Instruction pairs in shuffled passes, so repeats only begin once every pair has been used.
  const order = instructions.map((_, i) => i);
  for (let i = 0; i < want.instructions; i++) {
    const k = i % order.length;
    if (k === 0) {
      for (let j = order.length - 1; j > 0; j--) {
        const r = rng.int(j + 1);
        [order[j], order[r]] = [order[r], order[j]];
      }
    }
    add("instructions", instructions[order[k]]);
  }
  return { conversations, counts, tooLong };
}
