/**
 * Prompt builders for evaluating models on question → number tasks. A base model (no chat template)
 * gets plain text: zero-shot "Q: <question>\nA:" or k solved examples before it, and its completion is
 * cut where it starts inventing the next question. An SFT model gets a chat conversation whose user
 * turn is the question, plus "Think step by step." in the step-by-step style; the SFT mix renders its
 * training questions with the same builder, so evaluation asks exactly the way training taught.
 * Pure string and id builders: sampling the model is the caller's job.
 */
import { renderPrompt, type Conversation, type Tokenizer } from "@forno/tokenizer";
import type { Rng } from "../rng.ts";
import { TaskError } from "./errors.ts";

export interface SolvedExample {
  question: string;
  /** The answer text written after "A: " (a number, or a worked solution ending in one). */
  answer: string;
}

/** "Q: What is 47 + 85?\nA:" */
export function zeroShotPrompt(question: string): string {
  return `Q: ${question}\nA:`;
}

/** k solved examples ("Q: …\nA: …", separated by blank lines), then the question in zero-shot form. */
export function fewShotPrompt(shots: readonly SolvedExample[], question: string): string {
  return [...shots.map((s) => `Q: ${s.question}\nA: ${s.answer}`), zeroShotPrompt(question)].join("\n\n");
}

/**
 * k distinct items of `pool` in random order (draw shots from the train split only). `exclude` skips
 * items such as the question being asked.
 */
export function pickShots<T>(pool: readonly T[], k: number, rng: Rng, exclude: (item: T) => boolean = () => false): T[] {
  const candidates = pool.filter((x) => !exclude(x));
  if (!Number.isInteger(k) || k < 0 || k > candidates.length) {
    throw new TaskError(`pickShots: expected 0 ≤ k ≤ ${candidates.length} (the usable pool), got k = ${k}; use a larger pool or fewer shots`);
  }
  for (let i = 0; i < k; i++) {
    const j = i + rng.int(candidates.length - i);
    [candidates[i], candidates[j]] = [candidates[j], candidates[i]];
  }
  return candidates.slice(0, k);
}

/** A base model's answer: its completion up to the first blank line or the next "Q:". */
export function baseModelAnswer(completion: string): string {
  const cut = completion.search(/\n\s*\n|\nQ:/);
  return (cut >= 0 ? completion.slice(0, cut) : completion).trim();
}

export type ChatPromptStyle = "direct" | "step-by-step";

export const STEP_BY_STEP_HINT = "Think step by step.";

/** The user turn for a question in a style: the question, or the question and the step-by-step hint. */
export function chatQuestion(question: string, style: ChatPromptStyle): Conversation {
  return { messages: [{ role: "user", content: style === "step-by-step" ? `${question} ${STEP_BY_STEP_HINT}` : question }] };
}

/** Token ids of the chat prompt, ending in `<|assistant_start|>`, ready for generation. */
export function chatPromptIds(tokenizer: Tokenizer, question: string, style: ChatPromptStyle): number[] {
  return renderPrompt(tokenizer, chatQuestion(question, style));
}
