/** Logprobs and usage in OpenAI's reply shapes. */
import type { TokenLogprob } from "@forno/model";
import type { Tokenizer } from "@forno/tokenizer";
import type { ChoiceResult } from "./generation.ts";

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** `completionTokens`: every generated token, best_of candidates that were not returned included. */
export function usageOf(promptTokens: number, completionTokens: number): Usage {
  return { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
}

export const tokensOf = (choices: readonly ChoiceResult[]) => choices.reduce((sum, ch) => sum + ch.tokens.length, 0);

/** A token in a logprobs reply; a prompt's first token (echo) has no logprob, so `logprob` is null there. */
export interface ScoredToken {
  id: number;
  logprob: number | null;
  /** The most likely tokens at its position, most likely first. */
  top?: readonly TokenLogprob[];
}

/** A choice's tokens with their logprobs and alternatives. */
export const choiceTokens = (ch: ChoiceResult): ScoredToken[] => ch.tokens.map((id, i) => ({ id, logprob: ch.logprobs[i]!, top: ch.topLogprobs[i] }));

const entry = (tok: Tokenizer, id: number, logprob: number) => ({ token: tok.decode([id]), logprob, bytes: Array.from(tok.decodeBytes([id])) });

/** Chat: `{ content: [{ token, logprob, bytes, top_logprobs: [{ token, logprob, bytes }] }], refusal }`. */
export function chatLogprobs(tok: Tokenizer, tokens: readonly ScoredToken[]) {
  return {
    content: tokens.map(({ id, logprob, top }) => ({ ...entry(tok, id, logprob!), top_logprobs: (top ?? []).map((a) => entry(tok, a.id, a.logprob)) })),
    refusal: null,
  };
}

/**
 * Completions' text-keyed alternatives: the top tokens, plus the sampled one as OpenAI always adds it (so up
 * to N + 1 entries). Two ids that decode to the same text (e.g. partial UTF-8) keep the likelier one.
 */
function topByText(tok: Tokenizer, t: ScoredToken): Record<string, number> {
  const out: Record<string, number> = {};
  for (const a of t.top ?? []) out[tok.decode([a.id])] ??= a.logprob;
  out[tok.decode([t.id])] ??= t.logprob!;
  return out;
}

/**
 * Completions: `{ tokens, token_logprobs, top_logprobs, text_offset }`, offsets in characters from `offset`;
 * `top_logprobs` is null unless alternatives were asked for (`withTop`), and null for a token with no logprob.
 */
export function completionLogprobs(tok: Tokenizer, tokens: readonly ScoredToken[], offset: number, withTop: boolean) {
  const texts = tokens.map(({ id }) => tok.decode([id]));
  const textOffset: number[] = [];
  for (const t of texts) {
    textOffset.push(offset);
    offset += t.length;
  }
  return {
    tokens: texts,
    token_logprobs: tokens.map((t) => t.logprob),
    top_logprobs: withTop ? tokens.map((t) => (t.logprob === null ? null : topByText(tok, t))) : null,
    text_offset: textOffset,
  };
}

/** What the store keeps of a choice's logprobs: the alternatives by text when there were any. */
export function storedLogprobs(tok: Tokenizer, ch: ChoiceResult): { tokenLogprobs: number[]; topLogprobs?: Record<string, number>[] } {
  if (!ch.topLogprobs.some((t) => t.length > 0)) return { tokenLogprobs: ch.logprobs };
  return { tokenLogprobs: ch.logprobs, topLogprobs: choiceTokens(ch).map((t) => topByText(tok, t)) };
}
