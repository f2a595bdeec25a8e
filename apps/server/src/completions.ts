/**
 * POST /v1/completions: text in, text out, in OpenAI's `text_completion` shape (streamed or not). Every
 * finished completion is stored under its `cmpl-…` id, one row per choice, before the client sees the
 * reply (or `[DONE]`), so feedback can refer to it at once.
 */
import type { Context } from "hono";
import { ENDOFTEXT } from "@forno/tokenizer";
import type { AppEnv } from "./env.ts";
import { ApiError } from "./errors.ts";
import { choiceTokens, completionLogprobs, usageOf } from "./format.ts";
import { startGeneration, type Generation } from "./generation.ts";
import { saveGeneration } from "./persist.ts";
import { prepareSampling, responseId, unixSeconds } from "./request.ts";
import { completionSchema, parseBody } from "./schemas.ts";
import { ChunkSink, streamReply } from "./sse.ts";
import { lookupModel, type ServerState } from "./state.ts";

/** OpenAI's default for completions. */
const DEFAULT_MAX_TOKENS = 16;

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
  const id = responseId("cmpl");
  const created = unixSeconds();
  const wantLogprobs = body.logprobs != null;
  const saved = { store: state.store, conversation: { prompt: promptText }, id, model, prep, promptTokens: promptIds.length };
  const save = (gen: Generation) => saveGeneration(saved, gen);
  const head = { id, object: "text_completion", created, model: model.id };
  const input = { model, scheduler, promptIds, n: prep.n, sampling: prep.sampling, stopStrings: prep.stopStrings, signal: c.req.raw.signal };

  if (!body.stream) {
    const gen = await startGeneration(input);
    if (gen.cancelled) return c.body(null, 204);
    await save(gen);
    return c.json({
      ...head,
      choices: gen.choices.map((ch) => ({
        text: ch.text,
        index: ch.index,
        logprobs: wantLogprobs ? completionLogprobs(tok, choiceTokens(ch)) : null,
        finish_reason: ch.finishReason,
      })),
      usage: usageOf(promptIds.length, gen.choices),
    });
  }

  const includeUsage = body.stream_options?.include_usage === true;
  const usageField = includeUsage ? { usage: null } : {};
  const offsets = new Array<number>(prep.n).fill(0);
  const sink = new ChunkSink();
  const done = startGeneration({
    ...input,
    onText(choice, text, tokens) {
      const logprobs = wantLogprobs ? completionLogprobs(tok, tokens, offsets[choice]) : null;
      offsets[choice]! += text.length;
      sink.send({ ...head, choices: [{ text, index: choice, logprobs, finish_reason: null }], ...usageField });
    },
  });
  return streamReply(c, sink, {
    done,
    async finish(gen, send) {
      for (const ch of gen.choices) send({ ...head, choices: [{ text: "", index: ch.index, logprobs: null, finish_reason: ch.finishReason }], ...usageField });
      if (includeUsage) send({ ...head, choices: [], usage: usageOf(promptIds.length, gen.choices) });
      await save(gen);
    },
  });
}
