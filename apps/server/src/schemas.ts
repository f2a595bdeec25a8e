/**
 * Request bodies, validated with zod at the edge. Field names and ranges follow OpenAI's API (snake_case);
 * `parseBody` turns the first problem into a 400 naming the field. Features this server does not have
 * (`suffix`, `logit_bias`) are refused with a clear 400 rather than silently ignored. `best_of` (with
 * forno's `rerank`) is taken by completions and chat alike; OpenAI's rules for it hold: best_of ≥ n, and
 * no streaming when best_of > n.
 */
import { z } from "zod";
import { ApiError } from "./errors.ts";

const nullish = <T extends z.ZodType>(t: T) => t.nullish();

const unsupported = (what: string) => ({ message: `${what} is not supported by this server` });

const sampling = {
  model: z.string().min(1),
  max_tokens: nullish(z.number().int().min(1)),
  temperature: nullish(z.number().min(0).max(2)),
  top_p: nullish(z.number().gt(0).max(1)),
  /** 0 or -1 (vLLM's spelling) turn it off. */
  top_k: nullish(z.number().int().min(-1)),
  n: nullish(z.number().int().min(1).max(16)),
  stop: nullish(z.union([z.string().min(1), z.array(z.string().min(1)).max(4)])),
  seed: nullish(z.number().int()),
  presence_penalty: nullish(z.number().min(-2).max(2)),
  frequency_penalty: nullish(z.number().min(-2).max(2)),
  stream: nullish(z.boolean()),
  stream_options: nullish(z.object({ include_usage: z.boolean().optional() })),
  user: nullish(z.string()),
  logit_bias: nullish(z.record(z.string(), z.number())).refine((v) => !v || Object.keys(v).length === 0, unsupported("logit_bias")),
  /** Candidates generated per request; the `n` best are returned. */
  best_of: nullish(z.number().int().min(1).max(16)),
  /** How best_of candidates are ranked: mean token logprob (default) or the run's reward model. */
  rerank: nullish(z.enum(["logprob", "reward"])),
};

type BestOfFields = { n?: number | null; best_of?: number | null; stream?: boolean | null };

/** OpenAI's rules for best_of, as issues on the body. */
function checkBestOf(b: BestOfFields, ctx: z.RefinementCtx): void {
  const n = b.n ?? 1;
  if (b.best_of == null) return;
  if (b.best_of < n) ctx.addIssue({ code: "custom", path: ["best_of"], message: `best_of (${b.best_of}) must be at least n (${n}): it is how many candidates the n choices are picked from` });
  else if (b.stream && b.best_of > n) ctx.addIssue({ code: "custom", path: ["best_of"], message: "best_of > n cannot be streamed (the best choices are known only when every candidate has finished); set stream: false" });
}

export const completionSchema = z.object({
  ...sampling,
  prompt: z.union([z.string(), z.array(z.number().int().min(0)).min(1)], {
    message: "prompt must be a string or an array of token ids (one prompt per request)",
  }),
  /** 0: the sampled tokens' logprobs; N > 0: also the N most likely tokens at each position. */
  logprobs: nullish(z.number().int().min(0).max(5)),
  /** The prompt comes back before the completion (with its logprobs when asked for); then max_tokens may be 0. */
  echo: nullish(z.boolean()),
  max_tokens: nullish(z.number().int().min(0)),
  suffix: nullish(z.string()).refine((v) => !v, unsupported("suffix")),
})
  .superRefine(checkBestOf)
  .refine((b) => b.max_tokens !== 0 || b.echo === true, { path: ["max_tokens"], message: "max_tokens must be at least 1 (0 only with echo: true, to score the prompt)" });
export type CompletionBody = z.infer<typeof completionSchema>;

const content = z.union([z.string(), z.array(z.object({ type: z.literal("text"), text: z.string() }))]);

export const chatSchema = z.object({
  ...sampling,
  messages: z.array(z.object({ role: z.enum(["system", "developer", "user", "assistant"]), content, name: nullish(z.string()) })).min(1),
  max_completion_tokens: nullish(z.number().int().min(1)),
  logprobs: nullish(z.boolean()),
  top_logprobs: nullish(z.number().int().min(0).max(20)),
})
  .superRefine(checkBestOf)
  .refine((b) => !b.top_logprobs || b.logprobs === true, { path: ["top_logprobs"], message: "top_logprobs needs logprobs: true" });
export type ChatBody = z.infer<typeof chatSchema>;

export const tokenizeSchema = z
  .object({ model: nullish(z.string()), prompt: nullish(z.string()), messages: chatSchema.shape.messages.nullish() })
  .refine((b) => (b.prompt == null) !== (b.messages == null), { message: "send exactly one of prompt (text) or messages (chat)" });

export const detokenizeSchema = z.object({ model: nullish(z.string()), tokens: z.array(z.number().int().min(0)) });

const ref = z.object({ response_id: z.string().min(1), choice_index: z.number().int().min(0).default(0) });

export const feedbackSchema = ref
  .extend({
    rating: nullish(z.union([z.literal(1), z.literal(-1)], { message: "rating must be 1 (good) or -1 (bad)" })),
    score: nullish(z.number()),
    comment: nullish(z.string().max(10_000)),
    user: nullish(z.string().max(200)),
    source: nullish(z.string().max(50)),
  })
  .refine((b) => b.rating != null || b.score != null, { message: "send a rating (1 or -1), a score, or both", path: ["rating"] });

export const comparisonSchema = z.object({
  a: ref,
  b: ref,
  winner: z.enum(["a", "b", "tie"]),
  user: nullish(z.string().max(200)),
});

/** Validates `body` or throws a 400 in the OpenAI error shape that names the first bad field. */
export function parseBody<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  const result = schema.safeParse(body);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.join(".") || null;
  throw new ApiError(400, param ? `${param}: ${issue.message}` : issue.message, { param, code: "invalid_value" });
}
