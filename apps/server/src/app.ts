/**
 * The HTTP app: an OpenAI-compatible API over the served models, feedback endpoints over the store,
 * tokenizer helpers, Prometheus metrics and the playground page at `/`. `createApp` wires middleware (metrics, bearer key, body limit +
 * UTF-8 + JSON) and one error handler; generation goes through one Scheduler per model. `app.close()` finishes queued and running
 * generations, then releases the engines' GPU memory and closes the store. Serving it (Bun.serve, signals) is main.ts's job.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Store } from "@forno/db";
import { Hono } from "hono";
import { bearerAuth } from "./auth.ts";
import { jsonBody } from "./body.ts";
import { chatCompletions } from "./chat.ts";
import { completions } from "./completions.ts";
import type { AppEnv } from "./env.ts";
import { errorResponse } from "./error-handler.ts";
import { ApiError } from "./errors.ts";
import { exportFeedback, postComparison, postFeedback } from "./feedback.ts";
import { PROMETHEUS_CONTENT_TYPE } from "./metrics/prometheus.ts";
import { ServerMetrics } from "./metrics/server-metrics.ts";
import type { ServedModel } from "./models.ts";
import type { RewardScorer } from "./reward.ts";
import { Scheduler } from "./scheduler.ts";
import type { ServerState } from "./state.ts";
import { detokenize, tokenize } from "./tokenize.ts";

export interface AppOptions {
  /** Served models; the first is the default for /tokenize and /detokenize. The app owns their engines: `close()` closes them. */
  models: ServedModel[];
  store: Store;
  /** When set, every route but /health and the playground page needs `Authorization: Bearer <apiKey>` (the page asks for the key). */
  apiKey?: string;
  /** Largest request body in bytes. Default 1 MiB. */
  maxBodyBytes?: number;
  /** Requests (choices) waiting per model beyond the running batch; more get 429. Default 64. */
  queueLimit?: number;
  /** Ranks best_of candidates for `rerank: "reward"`; without it such requests get a 400. */
  reward?: RewardScorer | null;
}

/** Static: read once. */
const PLAYGROUND_HTML = readFileSync(join(import.meta.dir, "playground", "index.html"), "utf8");
const OPEN_PATHS = new Set(["/health", "/"]);

export type ServerApp = Hono<AppEnv> & { close(): Promise<void> };

export function createApp(opts: AppOptions): ServerApp {
  if (opts.models.length === 0) throw new Error("createApp: expected at least one model to serve, got none");
  const models = new Map(opts.models.map((m) => [m.id, m]));
  const schedulers = new Map(opts.models.map((m) => [m.id, new Scheduler(m.engine, { queueLimit: opts.queueLimit ?? 64 })]));
  const app = new Hono<AppEnv>();
  const routes = new Set<string>();
  const metrics = new ServerMetrics(schedulers, () => {
    if (routes.size === 0) for (const r of app.routes) if (r.method !== "ALL") routes.add(r.path);
    return routes;
  });
  const state: ServerState = { models, schedulers, store: opts.store, metrics, reward: opts.reward ?? null };

  app.use("*", metrics.http());
  app.onError(errorResponse);
  app.notFound((c) => errorResponse(new ApiError(404, `no route for ${c.req.method} ${c.req.path}; see GET /v1/models and the README`, { code: "not_found" }), c));

  app.get("/health", (c) => c.json({ status: "ok", models: [...models.keys()], queue: Object.fromEntries([...schedulers].map(([id, s]) => [id, s.depth])) }));
  app.get("/", (c) => c.html(PLAYGROUND_HTML));
  if (opts.apiKey) app.use("*", async (c, next) => (OPEN_PATHS.has(c.req.path) ? next() : bearerAuth(opts.apiKey!)(c, next)));
  app.use("*", jsonBody(opts.maxBodyBytes ?? 1 << 20));

  app.get("/metrics", (c) => c.body(metrics.registry.render(), 200, { "Content-Type": PROMETHEUS_CONTENT_TYPE }));
  app.get("/v1/models", (c) =>
    c.json({
      object: "list",
      data: opts.models.map((m) => ({ id: m.id, object: "model", created: m.created, owned_by: "forno", checkpoint: m.checkpoint, max_model_len: m.engine.maxSeqLen })),
    }),
  );
  app.post("/tokenize", (c) => tokenize(c, state));
  app.post("/detokenize", (c) => detokenize(c, state));
  app.post("/v1/completions", (c) => completions(c, state));
  app.post("/v1/chat/completions", (c) => chatCompletions(c, state));
  app.post("/v1/feedback", (c) => postFeedback(c, state.store));
  app.post("/v1/comparisons", (c) => postComparison(c, state.store));
  app.get("/v1/feedback/export", (c) => exportFeedback(c, state.store));

  const close = async () => {
    await Promise.all([...schedulers.values()].map((s) => s.close()));
    // Then the engines: they finish any scoring call still running and release their GPU memory.
    await Promise.all(opts.models.map((m) => m.engine.close?.()));
    await opts.store.close();
  };
  return Object.assign(app, { close });
}
