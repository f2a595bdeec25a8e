/**
 * POST /v1/chat/completions: messages in, an assistant message out, in OpenAI's `chat.completion` shape
 * (streamed as `chat.completion.chunk`s or not), with `logprobs` / `top_logprobs` and `best_of`. The prompt
 * is the chat template of @forno/tokenizer ending in <|assistant_start|>; a reply ends at <|assistant_end|>
 * (or <|endoftext|>). Stored like completions, under the `chatcmpl-…` id with the messages as the conversation.
 */
import type { ChatMessage } from "@forno/db";
import type { Context } from "hono";
import { renderPrompt, ROLE_TOKENS } from "@forno/tokenizer";
import type { AppEnv } from "./env.ts";
import { chatLogprobs, choiceTokens } from "./format.ts";
import { prepareSampling, responseId, unixSeconds } from "./request.ts";
import { runRequest } from "./run.ts";
import { chatSchema, parseBody, type ChatBody } from "./schemas.ts";
import { ChunkSink, clientSignal, streamReply } from "./sse.ts";
import { lookupModel, type ServerState } from "./state.ts";

/** OpenAI's content parts are joined; "developer" is the newer name of "system". */
export function toChatMessages(messages: ChatBody["messages"]): ChatMessage[] {
  return messages.map((m) => ({
    role: m.role === "developer" ? "system" : m.role,
    content: typeof m.content === "string" ? m.content : m.content.map((p) => p.text).join(""),
  }));
}

export async function chatCompletions(c: Context<AppEnv>, state: ServerState): Promise<Response> {
  const body = parseBody(chatSchema, c.get("body"));
  const { model, scheduler } = lookupModel(state, body.model);
  const tok = model.tokenizer;
  const messages = toChatMessages(body.messages);
  const promptIds = renderPrompt(tok, { messages });
  const prep = prepareSampling(body, model, promptIds.length, "messages", Infinity);
  const end = tok.specialId(ROLE_TOKENS.assistant.end);
  prep.sampling.stop = [...(prep.sampling.stop ?? []), [end]];
  if (body.logprobs && body.top_logprobs) prep.sampling.topLogprobs = body.top_logprobs;
  const id = responseId("chatcmpl");
  const head = { id, object: "chat.completion", created: unixSeconds(), model: model.id };
  const signal = clientSignal(c);
  const run = (onText?: Parameters<typeof runRequest>[0]["onText"]) =>
    runRequest({
      state,
      model,
      scheduler,
      promptIds,
      prep,
      id,
      conversation: { messages },
      signal: signal.signal,
      // The reward model learned on whole assistant turns, which end with <|assistant_end|>.
      rewardSequence: (ch) => ({ prompt: promptIds, response: [...ch.tokens, end] }),
      onText,
    });

  if (!body.stream) {
    const out = await run();
    if (out.cancelled) return c.body(null, 204);
    return c.json({
      ...head,
      choices: out.choices.map((ch) => ({
        index: ch.index,
        message: { role: "assistant", content: ch.text, refusal: null },
        logprobs: body.logprobs ? chatLogprobs(tok, choiceTokens(ch)) : null,
        finish_reason: ch.finishReason,
      })),
      usage: out.usage,
    });
  }

  const chunkHead = { ...head, object: "chat.completion.chunk" };
  const includeUsage = body.stream_options?.include_usage === true;
  const usageField = includeUsage ? { usage: null } : {};
  const chunk = (index: number, delta: object, logprobs: object | null, finish: string | null) => ({
    ...chunkHead,
    choices: [{ index, delta, logprobs, finish_reason: finish }],
    ...usageField,
  });
  const sink = new ChunkSink();
  for (let i = 0; i < prep.n; i++) sink.send(chunk(i, { role: "assistant", content: "" }, null, null));
  const done = run((choice, text, tokens) => sink.send(chunk(choice, { content: text }, body.logprobs ? chatLogprobs(tok, tokens) : null, null)));
  return streamReply(c, sink, {
    done,
    cancel: () => signal.abort(),
    finish(out, send) {
      for (const ch of out.choices) send(chunk(ch.index, {}, null, ch.finishReason));
      if (includeUsage) send({ ...chunkHead, choices: [], usage: out.usage });
    },
  });
}
