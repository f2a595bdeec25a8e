/** Logprobs and usage in OpenAI's reply shapes. */
import type { Tokenizer } from "@forno/tokenizer";
import type { ChoiceResult, TokenLogprob } from "./generation.ts";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

export function usageOf(promptTokens: number, choices: readonly ChoiceResult[]): Usage {
  const completion = choices.reduce((sum, ch) => sum + ch.tokens.length, 0);
  return { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion };
}

/** A choice's tokens with their logprobs. */
export const choiceTokens = (ch: ChoiceResult): TokenLogprob[] => ch.tokens.map((id, i) => ({ id, logprob: ch.logprobs[i]! }));

/** Chat: `{ content: [{ token, logprob, bytes, top_logprobs }], refusal }` (no alternatives: the engine has none). */
export function chatLogprobs(tok: Tokenizer, tokens: readonly TokenLogprob[]) {
  return {
    content: tokens.map(({ id, logprob }) => ({ token: tok.decode([id]), logprob, bytes: Array.from(tok.decodeBytes([id])), top_logprobs: [] })),
    refusal: null,
  };
}

/** Completions: `{ tokens, token_logprobs, top_logprobs: null, text_offset }`, offsets in characters from `offset`. */
export function completionLogprobs(tok: Tokenizer, tokens: readonly TokenLogprob[], offset = 0) {
  const texts = tokens.map(({ id }) => tok.decode([id]));
  const textOffset: number[] = [];
  for (const t of texts) {
    textOffset.push(offset);
    offset += t.length;
  }
  return { tokens: texts, token_logprobs: tokens.map((t) => t.logprob), top_logprobs: null, text_offset: textOffset };
}
