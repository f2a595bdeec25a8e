/**
 * Shapes of the JSON columns (`messages`, `sampling`, `logprobs`, `token_ids`). The database stores them as
 * text (SQLite) or jsonb (PostgreSQL) without checking them; the server validates them at its edge.
 */

/** One chat turn as the OpenAI-style API receives it. */
export interface ChatMessage {
  role: "system" | "user" | "assistant";
  content: string;
}

/** The sampling settings a response was generated with; absent fields were the server's defaults. */
export interface SamplingParams {
  temperature?: number;
  topP?: number;
  topK?: number;
  maxTokens?: number;
  seed?: number;
  stop?: string[];
}

/** Per generated token: its log-probability (nats), and optionally the top alternatives by token text. */
export interface Logprobs {
  tokenLogprobs: number[];
  topLogprobs?: Record<string, number>[];
}
