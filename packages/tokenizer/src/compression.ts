/**
 * Compression of a tokenizer on text: UTF-8 bytes per token, the figure the trainer and CLI report
 * on held-out text (higher means shorter sequences for the model).
 */

import type { Tokenizer } from "./tokenizer.ts";

export function bytesPerToken(tokenizer: Tokenizer, text: string): number {
  const tokens = tokenizer.encodeOrdinary(text).length;
  return tokens === 0 ? 0 : Buffer.byteLength(text, "utf8") / tokens;
}
