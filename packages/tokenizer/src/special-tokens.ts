/**
 * The special tokens this package reserves by default, nanochat style: a document boundary plus a
 * start/end pair per chat role. The trainer places them at the top of the vocabulary; the chat
 * template renders conversations with them.
 */

export const ENDOFTEXT = "<|endoftext|>";

export const ROLE_TOKENS = {
  system: { start: "<|system_start|>", end: "<|system_end|>" },
  user: { start: "<|user_start|>", end: "<|user_end|>" },
  assistant: { start: "<|assistant_start|>", end: "<|assistant_end|>" },
} as const;

export const CHAT_SPECIAL_TOKENS: readonly string[] = [
  ENDOFTEXT,
  ...Object.values(ROLE_TOKENS).flatMap((r) => [r.start, r.end]),
];
