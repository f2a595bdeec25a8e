/**
 * Renders chat conversations into token ids for SFT and inference. A conversation becomes
 * `<|endoftext|>` then, per message, `<|role_start|> content <|role_end|>`. Content is encoded as
 * ordinary text, so a user typing "<|assistant_end|>" cannot forge a role marker. The loss mask is 1
 * exactly on assistant content and `<|assistant_end|>` (what the model must learn to produce).
 */

import { ChatFormatError } from "./errors.ts";
import { ENDOFTEXT, ROLE_TOKENS } from "./special-tokens.ts";
import type { Tokenizer } from "./tokenizer.ts";

export type ChatRole = keyof typeof ROLE_TOKENS;

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

export interface Conversation {
  messages: readonly ChatMessage[];
}

export interface RenderedConversation {
  ids: number[];
  /** 1 where the token is a training target (assistant content and its end token), else 0. */
  mask: number[];
}

function validate(conversation: unknown): readonly ChatMessage[] {
  const messages = (conversation as Conversation | null)?.messages;
  if (!Array.isArray(messages) || messages.length === 0) {
    throw new ChatFormatError(`expected { messages: [{ role, content }, ...] } with at least one message, got ${JSON.stringify(conversation)?.slice(0, 80)}`);
  }
  messages.forEach((m: Partial<ChatMessage>, i) => {
    if (!m || !(typeof m.role === "string" && m.role in ROLE_TOKENS) || typeof m.content !== "string") {
      throw new ChatFormatError(`expected messages[${i}] to be { role: "system" | "user" | "assistant", content: string }, got ${JSON.stringify(m)?.slice(0, 80)}`);
    }
    if (m.role === "system" && i !== 0) {
      throw new ChatFormatError(`expected a system message only as messages[0], got one at messages[${i}]; merge it into the first system message`);
    }
  });
  return messages;
}

function render(tokenizer: Tokenizer, messages: readonly ChatMessage[]): RenderedConversation {
  const ids = [tokenizer.specialId(ENDOFTEXT)];
  const mask = [0];
  for (const { role, content } of messages) {
    const target = role === "assistant" ? 1 : 0;
    ids.push(tokenizer.specialId(ROLE_TOKENS[role].start));
    mask.push(0);
    for (const id of tokenizer.encodeOrdinary(content)) {
      ids.push(id);
      mask.push(target);
    }
    ids.push(tokenizer.specialId(ROLE_TOKENS[role].end));
    mask.push(target);
  }
  return { ids, mask };
}

/** Ids and loss mask for a whole conversation (SFT). */
export function renderConversation(tokenizer: Tokenizer, conversation: Conversation): RenderedConversation {
  return render(tokenizer, validate(conversation));
}

/**
 * The prompt that asks the model for the next assistant reply: the conversation (minus a trailing
 * assistant message, so a dataset answer can be held back for evaluation) ending in
 * `<|assistant_start|>`.
 */
export function renderPrompt(tokenizer: Tokenizer, conversation: Conversation): number[] {
  const messages = validate(conversation);
  const history = messages[messages.length - 1].role === "assistant" ? messages.slice(0, -1) : messages;
  const { ids } = render(tokenizer, history);
  ids.push(tokenizer.specialId(ROLE_TOKENS.assistant.start));
  return ids;
}
