/**
 * What `GET /metrics` reports: HTTP requests by route, method and status with their durations (to the last
 * byte, so a stream counts until [DONE]), prompt and generated tokens, time to first token and generation
 * finishes per model, and each model's queue depth and running batch size read from its scheduler when
 * scraped. The routes report generations through `generation()`; the HTTP side is the `http()` middleware.
 */
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env.ts";
import type { Generation } from "../generation.ts";
import type { Scheduler } from "../scheduler.ts";
import { Counter, Gauge, Histogram, Registry } from "./prometheus.ts";

/** Seconds: from a fast 404 (ms) to a long streamed completion on a CPU adapter (minutes). */
const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

export class ServerMetrics {
  readonly registry = new Registry();
  readonly requests = this.registry.register(new Counter("forno_http_requests_total", "HTTP requests by route, method and status."));
  readonly requestSeconds = this.registry.register(
    new Histogram("forno_http_request_duration_seconds", "Time from a request's arrival to the last byte of its reply (streams included), by route.", LATENCY_BUCKETS),
  );
  readonly promptTokens = this.registry.register(new Counter("forno_prompt_tokens_total", "Prompt tokens of generation requests, by model."));
  readonly generationTokens = this.registry.register(
    new Counter("forno_generation_tokens_total", "Tokens generated, by model (every choice and best_of candidate, cancelled ones included)."),
  );
  readonly firstTokenSeconds = this.registry.register(
    new Histogram("forno_time_to_first_token_seconds", "Time from queueing a generation to its first generated token, by model.", LATENCY_BUCKETS),
  );
  readonly finishes = this.registry.register(new Counter("forno_generation_finishes_total", "Finished choices by model and finish reason (cancelled: the client went away)."));

  /** `routes`: the app's route paths; any other path is counted as "unmatched" (keeps label values bounded). */
  constructor(
    schedulers: ReadonlyMap<string, Scheduler>,
    private readonly routes: () => ReadonlySet<string>,
  ) {
    const per = (read: (s: Scheduler) => number) => () => [...schedulers].map(([model, s]): [Record<string, string>, number] => [{ model }, read(s)]);
    this.registry.register(new Gauge("forno_queue_depth", "Requests (choices) waiting for a batch, by model.", per((s) => s.depth)));
    this.registry.register(new Gauge("forno_running_batch_size", "Requests (choices) in the running engine call, by model.", per((s) => s.runningCount)));
  }

  /** Records a finished (or cancelled) generation of `model`. */
  generation(model: string, promptTokens: number, gen: Generation): void {
    this.promptTokens.inc({ model }, promptTokens);
    this.generationTokens.inc({ model }, gen.generatedTokens);
    if (gen.firstTokenMs !== null) this.firstTokenSeconds.observe({ model }, gen.firstTokenMs / 1000);
    if (gen.cancelled) this.finishes.inc({ model, finish_reason: "cancelled" });
    for (const ch of gen.choices) this.finishes.inc({ model, finish_reason: ch.finishReason });
  }

  /** Counts every request and times it to the last byte of its body. */
  http(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      const started = performance.now();
      const route = this.routes().has(c.req.path) ? c.req.path : "unmatched";
      // A stream's duration ends when its last chunk has been handed on: the stream says when (AppEnv).
      let ended = false;
      const observe = () => {
        if (ended) return;
        ended = true;
        this.requestSeconds.observe({ route }, (performance.now() - started) / 1000);
      };
      c.set("streamEnded", observe);
      await next();
      this.requests.inc({ route, method: c.req.method, status: String(c.res.status) });
      if (!c.res.headers.get("content-type")?.startsWith("text/event-stream")) observe();
    };
  }
}
