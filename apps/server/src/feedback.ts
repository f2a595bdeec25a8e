/**
 * Feedback that feeds training: ratings/scores of one choice (POST /v1/feedback), pairwise comparisons
 * (POST /v1/comparisons), and the export the reward stage reads (GET /v1/feedback/export). The store checks
 * that the responses exist (404) and that a comparison's two responses answer the same prompt (400).
 */
import { sha256Hex, toJsonl, type Store } from "@forno/db";
import type { Context } from "hono";
import type { AppEnv } from "./env.ts";
import { ApiError } from "./errors.ts";
import { comparisonSchema, feedbackSchema, parseBody } from "./schemas.ts";

export async function postFeedback(c: Context<AppEnv>, store: Store): Promise<Response> {
  const body = parseBody(feedbackSchema, c.get("body"));
  const row = await store.addFeedback({
    responseId: body.response_id,
    choiceIndex: body.choice_index,
    rating: body.rating ?? null,
    score: body.score ?? null,
    comment: body.comment ?? null,
    userId: body.user ?? null,
    source: body.source ?? "api",
  });
  return c.json(
    { id: row.id, object: "feedback", response_id: row.responseId, choice_index: row.choiceIndex, rating: row.rating, score: row.score, comment: row.comment },
    201,
  );
}

export async function postComparison(c: Context<AppEnv>, store: Store): Promise<Response> {
  const body = parseBody(comparisonSchema, c.get("body"));
  const ref = (r: typeof body.a) => ({ responseId: r.response_id, choiceIndex: r.choice_index });
  const [chosen, rejected] = body.winner === "b" ? [body.b, body.a] : [body.a, body.b];
  const row = await store.addComparison({ chosen: ref(chosen), rejected: ref(rejected), tie: body.winner === "tie", who: body.user ?? null });
  return c.json({ id: row.id, object: "comparison", chosen: chosen, rejected: rejected, tie: row.tie }, 201);
}

/**
 * `?kind=pairs` (default): `{prompt, chosen, rejected, source}` lines, the reward stage's format;
 * `?kind=ratings`: `{prompt, response, rating}` lines for RL. Each export is recorded in the store.
 */
export async function exportFeedback(c: Context<AppEnv>, store: Store): Promise<Response> {
  const kind = c.req.query("kind") ?? "pairs";
  if (kind !== "pairs" && kind !== "ratings") {
    throw new ApiError(400, `kind must be "pairs" or "ratings", got "${kind}"`, { param: "kind", code: "invalid_value" });
  }
  const { pairs, ratings } = await store.exportFeedback();
  const rows = kind === "pairs" ? pairs : ratings;
  const jsonl = toJsonl(rows);
  await store.recordDataset({ kind: kind === "pairs" ? "preferences" : "ratings", rowCount: rows.length, contentHash: sha256Hex(jsonl) });
  return c.body(jsonl, 200, { "Content-Type": "application/jsonl; charset=utf-8", "X-Row-Count": String(rows.length) });
}
