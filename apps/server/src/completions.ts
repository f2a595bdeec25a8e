/**
 * POST /v1/completions: text in, text out, in OpenAI's `text_completion` shape (streamed or not), with
 * `logprobs: N` alternatives, `echo` (the prompt first, with its teacher-forced logprobs when asked for;
 * max_tokens 0 then only scores it) and `best_of`. Every finished completion is stored under its `cmpl-…` id,
 * one row per returned choice, before the client sees the reply (or `[DONE]`), so feedback can refer to it.
 */
import type { Context } from "hono";
import { ENDOFTEXT } from "@forno/tokenizer";
import type { AppEnv } from "./env.ts";
import { ApiError } from "./errors.ts";
import { choiceTokens, completionLogprobs, type ScoredToken } from "./format.ts";
import type { ServedModel } from "./models.ts";
import { prepareSampling, responseId, unixSeconds } from "./request.ts";
import { runRequest } from "./run.ts";
import { completionSchema, parseBody } from "./schemas.ts";
import { ChunkSink, clientSignal, streamReply } from "./sse.ts";
import { lookupModel, type ServerState } from "./state.ts";

/** OpenAI's default for completions. */
const DEFAULT_MAX_TOKENS = 16;

/** The prompt's tokens with log p(token | earlier ones); the first has none. */
async function scorePrompt(model: ServedModel, ids: number[], topN: number): Promise<ScoredToken[]> {
  const scored = topN > 0 ? (await model.engine.scorePromptsTop([ids], topN))[0]! : { logprobs: (await model.engine.scorePrompts([ids]))[0]!, top: [] };
  return ids.map((id, t) => (t === 0 ? { id, logprob: null } : { id, logprob: scored.logprobs[t - 1]!, top: scored.top[t - 1] }));
}

export async function completions(c: Context<AppEnv>, state: ServerState): Promise<Response> {
  const body = parseBody(completionSchema, c.get("body"));
  const { model, scheduler } = lookupModel(state, body.model);
  const tok = model.tokenizer;
  let promptIds: number[];
  if (typeof body.prompt === "string") {
    // An empty prompt starts a new document, as with OpenAI's models.
    promptIds = body.prompt === "" ? [tok.specialId(ENDOFTEXT)] : tok.encode(body.prompt, { allowedSpecial: "all" });
  } else {
    const bad = body.prompt.find((id) => id >= tok.vocabSize);
    if (bad !== undefined) throw new ApiError(400, `prompt: token id ${bad} is outside this model's vocabulary (0..${tok.vocabSize - 1})`, { param: "prompt", code: "invalid_value" });
    promptIds = body.prompt;
  }
  const promptText = typeof body.prompt === "string" ? body.prompt : tok.decode(promptIds);
  const prep = prepareSampling(body, model, promptIds.length, "prompt", DEFAULT_MAX_TOKENS);
  const wantLogprobs = body.logprobs != null;
  const topN = body.logprobs ?? 0;
  if (topN > 0) prep.sampling.topLogprobs = topN;
  const echo = body.echo === true;
  const echoed = echo && wantLogprobs ? await scorePrompt(model, promptIds, topN) : null;
  const id = responseId("cmpl");
  const head = { id, object: "text_completion", created: unixSeconds(), model: model.id };
  const signal = clientSignal(c);
  const logprobsOf = (tokens: ScoredToken[], offset: number) => (wantLogprobs ? completionLogprobs(tok, tokens, offset, topN > 0) : null);
  const run = (onText?: (choice: number, text: string, tokens: ScoredToken[]) => void) =>
    runRequest({
      state,
      model,
      scheduler,
      promptIds,
      prep,
      id,
      conversation: { prompt: promptText },
      signal: signal.signal,
      rewardSequence: (ch) => ({ prompt: promptIds, response: ch.tokens }),
      onText,
    });
  const prefix = echo ? promptText : "";

  if (!body.stream) {
    const out = await run();
    if (out.cancelled) return c.body(null, 204);
    return c.json({
      ...head,
      choices: out.choices.map((ch) => ({
        text: prefix + ch.text,
        index: ch.index,
        logprobs: wantLogprobs ? completionLogprobs(tok, [...(echoed ?? []), ...choiceTokens(ch)], 0, topN > 0) : null,
        finish_reason: ch.finishReason,
      })),
      usage: out.usage,
    });
  }

  const includeUsage = body.stream_options?.include_usage === true;
  const usageField = includeUsage ? { usage: null } : {};
  const offsets = new Array<number>(prep.n).fill(prefix.length);
  const sink = new ChunkSink();
  const send = (index: number, text: string, logprobs: object | null, finish: string | null) =>
    sink.send({ ...head, choices: [{ text, index, logprobs, finish_reason: finish }], ...usageField });
  if (echo) for (let i = 0; i < prep.n; i++) send(i, prefix, echoed ? logprobsOf(echoed, 0) : null, null);
  const done = run((choice, text, tokens) => {
    send(choice, text, logprobsOf(tokens, offsets[choice]!), null);
    offsets[choice]! += text.length;
  });
  return streamReply(c, sink, {
    done,
    cancel: () => signal.abort(),
    finish(out, emit) {
      for (const ch of out.choices) emit({ ...head, choices: [{ text: "", index: ch.index, logprobs: null, finish_reason: ch.finishReason }], ...usageField });
      if (includeUsage) emit({ ...head, choices: [], usage: out.usage });
    },
  });
}
