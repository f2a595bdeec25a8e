/**
 * Queues generation requests for one engine and runs them in batches: each `engine.generate` call takes up to
 * `maxBatch` queued requests, and requests that arrive while a call runs wait for the next one (the engine
 * runs calls one at a time). A completion with `n` choices is n requests. The queue is bounded: `submit`
 * throws QueueFullError when it has no room, and the server answers 429.
 *
 * Cancellation: a request whose signal aborts while queued leaves the queue; one that aborts while its batch
 * runs resolves at once with the tokens so far (finishReason "cancelled") and its later tokens are dropped.
 * The engine takes one signal per call, so the call itself is aborted only when every request in it has
 * been cancelled; until then the cancelled rows keep decoding alongside the others.
 */
import type { Engine, GenerateRequest, GenerateResult } from "@forno/model";
import { QueueFullError, SchedulerClosedError } from "./errors.ts";

/** What the scheduler needs of an engine (tests pass a fake). */
export type BatchEngine = Pick<Engine, "generate" | "maxBatch">;

export interface SchedulerOptions {
  /** Most requests (choices) waiting for a batch; more get QueueFullError. Default 64. */
  queueLimit?: number;
  /** Most requests per generate call. Default: the engine's maxBatch. */
  maxBatch?: number;
  /** Seconds a refused client is told to wait (Retry-After). Default 1. */
  retryAfterS?: number;
}

export interface SubmitOptions {
  /** Aborting it cancels every request of this submission (a client that disconnected). */
  signal?: AbortSignal;
  /** Each token as the engine emits it; `choice` indexes the submitted requests. */
  onToken?(choice: number, tokenId: number, logprob: number): void;
}

interface Job {
  req: GenerateRequest;
  choice: number;
  opts: SubmitOptions;
  tokens: number[];
  logprobs: number[];
  done: boolean;
  resolve(result: GenerateResult): void;
  reject(err: unknown): void;
}

export class Scheduler {
  readonly queueLimit: number;
  readonly maxBatch: number;
  private readonly retryAfterS: number;
  private queue: Job[] = [];
  private running: Job[] | null = null;
  private runningAbort: AbortController | null = null;
  private closed = false;
  private idleWaiters: (() => void)[] = [];

  constructor(
    private readonly engine: BatchEngine,
    opts: SchedulerOptions = {},
  ) {
    this.queueLimit = opts.queueLimit ?? 64;
    this.maxBatch = Math.min(opts.maxBatch ?? engine.maxBatch, engine.maxBatch);
    this.retryAfterS = opts.retryAfterS ?? 1;
  }

  /** Requests waiting for a batch (not counting the batch that runs). */
  get depth(): number {
    return this.queue.length;
  }

  /**
   * Queues the requests (one per choice); the promise resolves with their results in order. Throws at once
   * (not through the promise) when closed or full, so a streaming reply can still answer with a status.
   */
  submit(requests: readonly GenerateRequest[], opts: SubmitOptions = {}): Promise<GenerateResult[]> {
    if (this.closed) throw new SchedulerClosedError("the scheduler is closed");
    if (this.queue.length + requests.length > this.queueLimit) {
      throw new QueueFullError(
        `the server is busy: ${this.queue.length} requests are queued (limit ${this.queueLimit}) and this one needs ${requests.length}; retry after ${this.retryAfterS} s`,
        this.retryAfterS,
      );
    }
    const jobs = requests.map((req, choice) => this.enqueue(req, choice, opts));
    opts.signal?.addEventListener("abort", () => this.cancel(jobs.map((j) => j.job)), { once: true });
    if (opts.signal?.aborted) this.cancel(jobs.map((j) => j.job));
    this.pump();
    return Promise.all(jobs.map((j) => j.result));
  }

  /** Refuses new requests and resolves once the queued and running ones have finished. */
  close(): Promise<void> {
    this.closed = true;
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private enqueue(req: GenerateRequest, choice: number, opts: SubmitOptions): { job: Job; result: Promise<GenerateResult> } {
    let job!: Job;
    const result = new Promise<GenerateResult>((resolve, reject) => {
      job = { req, choice, opts, tokens: [], logprobs: [], done: false, resolve, reject };
    });
    this.queue.push(job);
    return { job, result };
  }

  private cancel(jobs: Job[]): void {
    for (const job of jobs) {
      if (job.done) continue;
      job.done = true;
      this.queue = this.queue.filter((j) => j !== job);
      job.resolve({ tokens: job.tokens, logprobs: job.logprobs, finishReason: "cancelled" });
    }
    if (this.running?.every((j) => j.done)) this.runningAbort?.abort();
    this.settleIfIdle();
  }

  private pump(): void {
    if (this.running || this.queue.length === 0) return this.settleIfIdle();
    const batch = this.queue.splice(0, this.maxBatch);
    const abort = new AbortController();
    this.running = batch;
    this.runningAbort = abort;
    const onToken = (i: number, tokenId: number, logprob: number) => {
      const job = batch[i]!;
      if (job.done) return;
      job.tokens.push(tokenId);
      job.logprobs.push(logprob);
      job.opts.onToken?.(job.choice, tokenId, logprob);
    };
    Promise.resolve()
      .then(() => this.engine.generate(batch.map((j) => ({ ...j.req, logprobs: true })), { onToken, signal: abort.signal }))
      .then(
        (results) => batch.forEach((job, i) => this.finish(job, () => job.resolve(results[i]!))),
        (err) => batch.forEach((job) => this.finish(job, () => job.reject(err))),
      )
      .finally(() => {
        this.running = null;
        this.runningAbort = null;
        this.pump();
      });
  }

  private finish(job: Job, settle: () => void): void {
    if (job.done) return;
    job.done = true;
    settle();
  }

  private settleIfIdle(): void {
    if (!this.closed || this.running || this.queue.length > 0) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
